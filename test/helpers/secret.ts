import { randomBytes } from 'node:crypto';
import { GenerateDataKeyWithoutPlaintextCommand, KMSClient } from '@aws-sdk/client-kms';
import type { EdgeSecretVersion, SearchIndex } from '../../core/config';
import { type SecretKeys, type SecretRing, secretEncryptionContext } from '../../core/format/secret';
import { createSecretSource, secretRing, unwrapLocalSecret } from '../../core/secret-source';

/**
 * A dev secret version (the local stand-in) with its keys for assertions: `ring` for key ids 01
 * and 02 (what the edge seals with), `keys01` for 01 alone.
 */
export async function devSecret(
  version = 1,
  secret: Buffer = randomBytes(32),
): Promise<{ version: EdgeSecretVersion; ring: SecretRing; keys01: SecretKeys }> {
  const local: EdgeSecretVersion = { version, file: `edge-secret.${version}.json`, source: 'local', secret: secret.toString('base64') };
  const ring = await secretRing(createSecretSource(local, unwrapLocalSecret), ['01', '02'])();
  return { version: local, ring, keys01: ring.get('01') as SecretKeys };
}

/** A secret version made by KMS exactly as `npm run deploy` makes it (no plaintext leaves KMS), one secret per key id. */
export async function kmsSecret(
  endpoint: string,
  kmsKeyId: string,
  version = 1,
  keyIds: readonly string[] = ['01'],
): Promise<Extract<EdgeSecretVersion, { source: 'kms' }>> {
  const client = new KMSClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback' },
  });
  const blobs: Record<string, string> = {};
  let arn = kmsKeyId;
  for (const keyId of keyIds) {
    const answer = await client.send(
      new GenerateDataKeyWithoutPlaintextCommand({
        KeyId: kmsKeyId,
        KeySpec: 'AES_256',
        EncryptionContext: secretEncryptionContext(version, keyId),
      }),
    );
    arn = answer.KeyId ?? kmsKeyId;
    blobs[keyId] = Buffer.from(answer.CiphertextBlob ?? new Uint8Array()).toString('base64');
  }
  client.destroy();
  return { version, file: `edge-secret.${version}.json`, source: 'kms', kmsKeyId: arn, ciphertextBlobs: blobs };
}

/** The shipped config's email index. */
export const EMAIL_INDEX: SearchIndex = { name: 'email', key: '01', version: 1, normalize: ['trim', 'lowercase'] };
