import { constants, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { maxOaepSha256Plaintext } from '../core/config';
import { encodeRsaPayload, formatMarker } from '../core/marker';

/** Encrypts one field value into a complete marker under one key. */
export interface FieldEncryptor {
  readonly keyId: string;
  /** Largest plaintext (UTF-8 bytes) one value may have. */
  readonly maxPlaintextBytes: number;
  /** Length of every marker this encryptor writes (all ASCII), for sizing a body before encrypting. */
  readonly markerLength: number;
  /** The marker for `plaintext`; the caller has checked its size against {@link maxPlaintextBytes}. */
  encrypt(plaintext: Uint8Array): string;
}

/**
 * An RSA-OAEP-SHA-256 encryptor writing the post-compatible payload. The KeyObject is made here,
 * once, when the edge config is compiled at module load, never per request.
 *
 * @example
 * const enc = createRsaEncryptor('01', pem);
 * enc.encrypt(Buffer.from('123-45-6789')); // '#01#…#10#'
 */
export function createRsaEncryptor(keyId: string, publicKeyPem: string): FieldEncryptor {
  const key: KeyObject = createPublicKey(publicKeyPem);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const blockBytes = Math.ceil(bits / 8);
  const maxPlaintextBytes = maxOaepSha256Plaintext(bits);
  return {
    keyId,
    maxPlaintextBytes,
    markerLength: formatMarker(keyId, '').length + 4 * Math.ceil(blockBytes / 3),
    encrypt(plaintext) {
      if (plaintext.byteLength > maxPlaintextBytes) throw new RangeError('plaintext exceeds one RSA block');
      // oaepHash sets the hash for both OAEP and MGF1, which is what KMS RSAES_OAEP_SHA_256 expects.
      const ciphertext = publicEncrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        plaintext,
      );
      return formatMarker(keyId, encodeRsaPayload(ciphertext));
    },
  };
}
