import { DecryptCommand, DeriveSharedSecretCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyBackend } from './backend';
import {
  AccessDeniedError,
  DecryptError,
  InvalidCiphertextError,
  InvalidRequestError,
  KmsTimeoutError,
  KmsUnavailableError,
  ThrottledError,
} from './errors';

/** Default for how long one KMS Decrypt may take, SDK retries included. */
export const DEFAULT_KMS_TIMEOUT_MS = 5_000;

/**
 * A backend that has KMS decrypt: `KeyId` from the keyring (never from the data) and
 * `EncryptionAlgorithm: RSAES_OAEP_SHA_256`, no encryption context (RSA keys take none). The SDK
 * retries throttling and 5xx with backoff; `timeoutMs` bounds the whole call.
 */
export function kmsKeyBackend(client: KMSClient, keyId: string, kmsKeyId: string, timeoutMs: number = DEFAULT_KMS_TIMEOUT_MS): KeyBackend {
  /** One KMS call, bounded by `timeoutMs` and the caller's signal, its errors mapped. */
  const call = async <T>(operation: string, signal: AbortSignal, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await send(AbortSignal.any([signal, timeout]));
    } catch (error) {
      if (error instanceof DecryptError) throw error;
      if (timeout.aborted)
        throw new KmsTimeoutError(`KMS did not answer within ${timeoutMs} ms for key "${keyId}"`, { cause: summary(error) });
      throw kmsError(error, keyId, operation);
    }
  };
  return {
    kind: 'kms',
    decryptBlock: (ciphertext, signal) =>
      call('Decrypt', signal, async (abortSignal) => {
        const result = await client.send(
          new DecryptCommand({ KeyId: kmsKeyId, CiphertextBlob: ciphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
          { abortSignal },
        );
        if (!result.Plaintext) throw new KmsUnavailableError(`KMS returned no plaintext for key "${keyId}"`);
        return result.Plaintext;
      }),
    deriveSharedSecret: (ephemeralSpki, signal) =>
      call('DeriveSharedSecret', signal, async (abortSignal) => {
        const result = await client.send(
          new DeriveSharedSecretCommand({ KeyId: kmsKeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: ephemeralSpki }),
          { abortSignal },
        );
        if (!result.SharedSecret) throw new KmsUnavailableError(`KMS returned no shared secret for key "${keyId}"`);
        return result.SharedSecret;
      }),
  };
}

/**
 * The SDK error reduced to its name, status and KMS message. The original carries the raw HTTP
 * response; nothing of it is kept beyond these.
 */
function summary(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const copy = new Error(error.message + (status ? ` (HTTP ${status})` : ''));
  copy.name = error.name;
  return copy;
}

/** Maps an SDK error to a DecryptError by its KMS exception name (and HTTP status for 5xx). */
export function kmsError(error: unknown, keyId: string, operation = 'Decrypt'): DecryptError {
  const cause = summary(error);
  const name = error instanceof Error ? error.name : '';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  switch (name) {
    case 'AccessDeniedException':
      return new AccessDeniedError(`KMS denied ${operation} with key "${keyId}"`, { cause });
    case 'ThrottlingException':
    case 'LimitExceededException':
      return new ThrottledError(`KMS kept throttling ${operation} with key "${keyId}" after retries`, { cause });
    case 'InvalidCiphertextException':
    case 'IncorrectKeyException':
    case 'InvalidKeyUsageException':
      return new InvalidCiphertextError(`KMS could not open a payload with key "${keyId}" (${name})`, { cause });
    case 'NotFoundException':
    case 'ValidationException':
    case 'InvalidArnException':
      return new InvalidRequestError(`KMS refused the request for key "${keyId}" (${name})`, { cause });
    default:
      return new KmsUnavailableError(
        `KMS failed ${operation} with key "${keyId}" (${name || 'error'}${status ? `, HTTP ${status}` : ''})`,
        {
          cause,
        },
      );
  }
}
