import { createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { EC_KEY_SPEC, RSA_KEY_SPECS } from '../core/config';

/** Why a KMS key cannot serve as an edge-fle key; the message says what to change. */
export class UnsuitableKeyError extends Error {
  override readonly name = 'UnsuitableKeyError';
}

/** A KMS public key, checked and converted. */
export interface KmsPublicKey {
  readonly pem: string;
  readonly keySpec: string;
  readonly keyArn: string;
}

/**
 * Reads a KMS key's public key with GetPublicKey and checks that edge-fle can use it: an RSA key
 * spec with usage ENCRYPT_DECRYPT and RSAES_OAEP_SHA_256 among its algorithms, or ECC_NIST_P256
 * with usage KEY_AGREEMENT and ECDH (for E2). Returns it as SPKI PEM.
 */
export async function fetchKmsPublicKey(client: KMSClient, keyId: string): Promise<KmsPublicKey> {
  const result = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  const keySpec = result.KeySpec ?? result.CustomerMasterKeySpec ?? 'unknown';
  const arn = result.KeyId ?? keyId;
  if (keySpec === EC_KEY_SPEC) {
    if (result.KeyUsage !== 'KEY_AGREEMENT') {
      throw new UnsuitableKeyError(
        `${arn} has key usage ${result.KeyUsage ?? 'unknown'}; an ${EC_KEY_SPEC} key for edge-fle needs KEY_AGREEMENT`,
      );
    }
    if (!result.KeyAgreementAlgorithms?.includes('ECDH')) throw new UnsuitableKeyError(`${arn} does not offer ECDH`);
  } else if (!(RSA_KEY_SPECS as readonly string[]).includes(keySpec)) {
    throw new UnsuitableKeyError(
      `${arn} has key spec ${keySpec}; edge-fle needs an RSA key (${RSA_KEY_SPECS.join(', ')}) or ${EC_KEY_SPEC}`,
    );
  } else if (result.KeyUsage !== 'ENCRYPT_DECRYPT') {
    throw new UnsuitableKeyError(`${arn} has key usage ${result.KeyUsage ?? 'unknown'}; edge-fle needs ENCRYPT_DECRYPT`);
  } else if (!result.EncryptionAlgorithms?.includes('RSAES_OAEP_SHA_256')) {
    throw new UnsuitableKeyError(`${arn} does not offer RSAES_OAEP_SHA_256`);
  }
  if (!result.PublicKey) throw new UnsuitableKeyError(`${arn}: KMS returned no public key`);
  const pem = createPublicKey({ key: Buffer.from(result.PublicKey), format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { pem, keySpec, keyArn: arn };
}
