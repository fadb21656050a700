/**
 * One key's way of opening its payloads (RSA-OAEP-SHA-256 blocks, or ECDH for E2): KMS, or a private key held locally.
 * The decryptor holds one backend per key id it may use; a key id it has no backend for is unknown.
 */
export interface KeyBackend {
  /** `kms` (counts as a KMS call) or `local`. */
  readonly kind: 'kms' | 'local';
  /**
   * The plaintext bytes of one block. Rejects with a DecryptError; `signal` aborts the call when
   * another marker of the same request has already failed.
   */
  decryptBlock(ciphertext: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
  /**
   * The ECDH shared secret (32 bytes, the x coordinate) of the key with an E2 payload's ephemeral
   * public key (DER SPKI, validated by the caller). Rejects with a DecryptError.
   */
  deriveSharedSecret(ephemeralSpki: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
}
