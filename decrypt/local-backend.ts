import { constants, createPrivateKey, createPublicKey, diffieHellman, type KeyObject, privateDecrypt } from 'node:crypto';
import type { KeyBackend } from './backend';
import { InvalidCiphertextError, InvalidRequestError } from './errors';

/**
 * A backend over a private key held by the caller (the reference post's external-key option, and
 * the local default): PKCS#8 PEM; RSA-OAEP with SHA-256 for OAEP and MGF1, or P-256 ECDH for E2;
 * Node crypto.
 */
export function localKeyBackend(keyId: string, privateKeyPem: string): KeyBackend {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    throw new InvalidRequestError(`the private key for "${keyId}" is not a PEM private key`);
  }
  const ec = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (key.asymmetricKeyType !== 'rsa' && !ec) throw new InvalidRequestError(`the private key for "${keyId}" is neither RSA nor P-256`);
  return {
    kind: 'local',
    async deriveSharedSecret(ephemeralSpki) {
      if (!ec) throw new InvalidCiphertextError(`an E2 payload names key "${keyId}", an RSA key`);
      try {
        return diffieHellman({
          privateKey: key,
          publicKey: createPublicKey({ key: Buffer.from(ephemeralSpki), format: 'der', type: 'spki' }),
        });
      } catch {
        throw new InvalidCiphertextError(`an E2 payload does not open with key "${keyId}"`);
      }
    },
    async decryptBlock(ciphertext) {
      if (ec) throw new InvalidCiphertextError(`an RSA payload names key "${keyId}", a P-256 key`);
      try {
        return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext);
      } catch {
        // OpenSSL's reason ("oaep decoding error") adds nothing a caller can act on.
        throw new InvalidCiphertextError(`a ciphertext does not open with key "${keyId}"`);
      }
    },
  };
}
