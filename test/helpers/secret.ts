import { randomBytes } from 'node:crypto';
import { GenerateDataKeyWithoutPlaintextCommand, KMSClient } from '@aws-sdk/client-kms';
import type { EdgeSecretVersion, SearchIndex } from '../../core/config';
import { deriveSecretKeys, type SecretKeys, secretEncryptionContext } from '../../core/format/secret';

/** A dev secret version (the local stand-in), with its keys for assertions. */
export function devSecret(version = 1, secret: Buffer = randomBytes(32)): { version: EdgeSecretVersion; keys: SecretKeys } {
  return {
    version: { version, file: `edge-secret.${version}.json`, source: 'local', secret: secret.toString('base64') },
    keys: deriveSecretKeys(secret, version),
  };
}

/** A secret version made by KMS exactly as `npm run deploy` makes it (no plaintext leaves KMS). */
export async function kmsSecret(endpoint: string, kmsKeyId: string, version = 1): Promise<Extract<EdgeSecretVersion, { source: 'kms' }>> {
  const client = new KMSClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback' },
  });
  const answer = await client.send(
    new GenerateDataKeyWithoutPlaintextCommand({
      KeyId: kmsKeyId,
      KeySpec: 'AES_256',
      EncryptionContext: secretEncryptionContext(version),
    }),
  );
  client.destroy();
  return {
    version,
    file: `edge-secret.${version}.json`,
    source: 'kms',
    kmsKeyId: answer.KeyId ?? kmsKeyId,
    ciphertextBlob: Buffer.from(answer.CiphertextBlob ?? new Uint8Array()).toString('base64'),
  };
}

/** The shipped config's email index. */
export const EMAIL_INDEX: SearchIndex = { name: 'email', key: '01', version: 1, normalize: ['trim', 'lowercase'] };
