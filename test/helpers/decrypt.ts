import { KMSClient } from '@aws-sdk/client-kms';
import { expect } from 'vitest';
import type { SecretRing } from '../../core/format/secret';
import { createDecryptor, type DecryptorOptions } from '../../decrypt/decryptor';
import { DecryptError } from '../../decrypt/errors';
import { type CompiledEdgeConfig, protectRequest } from '../../edge/transform';
import { compiled, route } from './keys';

export const KEY_ARN_01 = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
export const KEY_ARN_02 = 'arn:aws:kms:us-east-1:111122223333:key/22222222-2222-2222-2222-222222222222';

/** The real SDK client pointed at a loopback endpoint, with test credentials. */
export function loopbackKmsClient(url: string, maxAttempts = 3): KMSClient {
  return new KMSClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOOPBACKTEST', secretAccessKey: 'loopback-secret' },
    maxAttempts,
  });
}

/** A KMS-backed decryptor for key 01 against a loopback endpoint. */
export function kmsDecryptor(url: string, options: Partial<DecryptorOptions> = {}) {
  return createDecryptor({ keys: [{ id: '01', kmsKeyId: KEY_ARN_01 }], kmsClient: loopbackKmsClient(url), ...options });
}

/** The body the edge would forward for a JSON document POSTed to `/api/people` under `config`. */
export function protectJson(config: CompiledEdgeConfig, doc: unknown, secret?: SecretRing): string {
  const outcome = protectRequest(
    config,
    { method: 'POST', uri: '/api/people', contentType: 'application/json', body: Buffer.from(JSON.stringify(doc)) },
    secret,
  );
  if (outcome.action !== 'replace') throw new Error('expected a protected body');
  return outcome.body;
}

/** Runs the edge transform on a body for a route protecting `json` paths (and `card_number` in forms). */
export function edgeProtect(body: string, contentType: string, json: string[] = ['$..ssn', '$..notes', '$..email']): string {
  const config = compiled({ routes: [route({ json, form: ['card_number', 'notes'] })] });
  const outcome = protectRequest(config, { method: 'POST', uri: '/api/people', contentType, body: Buffer.from(body) });
  if (outcome.action !== 'replace') throw new Error('expected the edge to protect something');
  return outcome.body;
}

/** The DecryptError a call fails with; fails the test if it succeeds or throws anything else. */
export async function decryptFailure(promise: Promise<unknown>): Promise<DecryptError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptError);
    return error as DecryptError;
  }
  throw new Error('expected a DecryptError');
}
