import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { EdgeSecretVersion } from '../core/config';
import { SECRET_BYTES, secretEncryptionContext } from '../core/format/secret';
import type { UnwrapSecret } from '../core/secret-source';

/**
 * Unwrapping the edge secret with KMS: the one AWS call the edge makes, once per container (the
 * decrypt service and the CLI use it too). Kept apart so the pure edge code never imports the SDK.
 */

/** Why an unwrap failed; says nothing of the ciphertext. */
export class SecretUnwrapError extends Error {
  override readonly name = 'SecretUnwrapError';
}

/** Timeouts for the edge's KMS call: two attempts of at most 1.5 s fit the 5 s function timeout. */
export const EDGE_KMS_TIMEOUTS = { connectionTimeout: 1000, requestTimeout: 1500, maxAttempts: 2 } as const;

/** The Region of a KMS key ARN: where the edge calls KMS to unwrap a secret version. */
export function regionOfKey(arn: string): string {
  const region = arn.split(':')[3];
  if (!region) throw new SecretUnwrapError('the secret version names no KMS key ARN');
  return region;
}

/**
 * A KMS client for unwrapping a secret at the edge: in the wrapping key's own Region (the edge has
 * no environment to configure), with {@link EDGE_KMS_TIMEOUTS}.
 */
export function edgeKmsClient(version: EdgeSecretVersion, endpoint?: string): KMSClient {
  const region = version.source === 'kms' ? regionOfKey(version.kmsKeyId) : 'us-east-1';
  const { connectionTimeout, requestTimeout, maxAttempts } = EDGE_KMS_TIMEOUTS;
  return new KMSClient({ region, maxAttempts, requestHandler: { connectionTimeout, requestTimeout }, ...(endpoint ? { endpoint } : {}) });
}

/**
 * Unwraps secret versions with KMS `Decrypt`, naming the key and the encryption context (the key
 * policy allows nothing else). An answer from another key, or of another size, is refused.
 */
export function kmsSecretUnwrapper(client: KMSClient): UnwrapSecret {
  return async (version, keyId) => {
    if (version.source !== 'kms') throw new SecretUnwrapError('this secret version is a dev secret, not KMS ciphertext');
    const blob = version.ciphertextBlobs[keyId];
    if (blob === undefined) throw new SecretUnwrapError(`edge secret version ${version.version} holds no ciphertext for key ${keyId}`);
    let answer: { KeyId?: string | undefined; Plaintext?: Uint8Array | undefined };
    try {
      answer = await client.send(
        new DecryptCommand({
          CiphertextBlob: Buffer.from(blob, 'base64'),
          KeyId: version.kmsKeyId,
          EncryptionContext: secretEncryptionContext(version.version, keyId),
        }),
      );
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      // The SDK's message may quote the request; keep only the error's name.
      throw new SecretUnwrapError(`KMS Decrypt of edge secret version ${version.version} failed (${name})`);
    }
    const plaintext = answer.Plaintext;
    if (!version.kmsKeyId.includes(':alias/') && answer.KeyId !== version.kmsKeyId) {
      plaintext?.fill(0);
      throw new SecretUnwrapError('KMS answered with another key than the one that wrapped the secret');
    }
    if (!plaintext || plaintext.byteLength !== SECRET_BYTES) {
      plaintext?.fill(0);
      throw new SecretUnwrapError(`KMS returned no ${SECRET_BYTES}-byte secret`);
    }
    return plaintext;
  };
}
