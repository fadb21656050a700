import { constants, createPrivateKey, type KeyObject, privateDecrypt } from 'node:crypto';
import type { KeyBackend } from './backend';
import { InvalidCiphertextError, InvalidRequestError } from './errors';

/**
 * A backend over a private key held by the caller (the reference post's external-key option, and
 * the local default): PKCS#8 PEM, RSA-OAEP with SHA-256 for OAEP and MGF1, Node crypto.
 */
export function localKeyBackend(keyId: string, privateKeyPem: string): KeyBackend {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    throw new InvalidRequestError(`the private key for "${keyId}" is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new InvalidRequestError(`the private key for "${keyId}" is not an RSA key`);
  return {
    kind: 'local',
    async decryptBlock(ciphertext) {
      try {
        return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext);
      } catch {
        // OpenSSL's reason ("oaep decoding error") adds nothing a caller can act on.
        throw new InvalidCiphertextError(`a ciphertext does not open with key "${keyId}"`);
      }
    },
  };
}
