import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

/**
 * The edge secret: one 256-bit symmetric key per version and key id, made by KMS (`GenerateDataKey` or
 * `GenerateDataKeyWithoutPlaintext` under the config's symmetric key, with
 * {@link secretEncryptionContext}) and baked into the edge bundle only as KMS ciphertext. The edge
 * and the decrypt service unwrap it with KMS `Decrypt` once per container.
 *
 * Nothing uses the secret itself: HKDF-SHA256 derives one key per purpose, so a key for one
 * purpose tells nothing of another's:
 * - the provenance key, which MACs every marker the edge writes (`proof.ts`);
 * - one AES-SIV key per searchable index and index version (`d1.ts`).
 *
 * Imports no AWS SDK (it is bundled into the edge function).
 */

/** Bytes in an edge secret (KMS `GenerateDataKey` with `KeySpec: AES_256`). */
export const SECRET_BYTES = 32;
/** Highest secret or index version a marker can name. */
export const MAX_VERSION = 255;
const HKDF_SALT = Buffer.from('edge-fle/secret/hkdf-salt', 'utf8');
/** AES-256-SIV takes two 256-bit keys: one for S2V, one for CTR (RFC 5297). */
const SIV_KEY_BYTES = 64;

/**
 * The KMS encryption context of secret version `version` for key id `keyId`. It names the purpose,
 * so the key policy and the edge role's policy allow `kms:Decrypt` for exactly this use, and the key
 * id, so each decrypt audience may unwrap only the secrets of its own key ids: every key id has its
 * own secret (its proofs, its searchable indexes), KMS-wrapped separately.
 */
export function secretEncryptionContext(version: number, keyId: string): Record<string, string> {
  return { 'edge-fle:purpose': 'edge-secret', 'edge-fle:secret-version': String(version), 'edge-fle:key-id': keyId };
}

/** The encryption context keys {@link secretEncryptionContext} uses, for IAM conditions. */
export const SECRET_CONTEXT_KEYS = ['edge-fle:purpose', 'edge-fle:secret-version', 'edge-fle:key-id'] as const;
/** The purpose every secret's encryption context names. */
export const SECRET_PURPOSE = 'edge-secret';

/** An index as the format needs it: its name and version select its key. */
export interface IndexId {
  readonly name: string;
  readonly version: number;
}

/** The edge secret's keys for each key id the caller needs: key id → keys. */
export type SecretRing = ReadonlyMap<string, SecretKeys>;

/** The keys derived from one version of the edge secret (of one key id). */
export interface SecretKeys {
  readonly version: number;
  /** HMAC-SHA256 key for marker provenance (a KeyObject: no re-import per marker). */
  readonly proofKey: KeyObject;
  /** The AES-256-SIV key (64 bytes) of an index version; derived once, then kept. */
  indexKey(index: IndexId): Uint8Array;
}

/**
 * Derives the per-purpose keys of one secret version. The secret's bytes are copied into HKDF
 * only; the caller may zero its buffer afterwards.
 *
 * @example
 * const keys = deriveSecretKeys(secret, 1);
 * keys.indexKey({ name: 'email', version: 1 }); // 64 bytes, the same for the same secret
 */
export function deriveSecretKeys(secret: Uint8Array, version: number): SecretKeys {
  if (secret.byteLength !== SECRET_BYTES) throw new RangeError(`an edge secret is ${SECRET_BYTES} bytes`);
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw new RangeError('a secret version is 1 to 255');
  const ikm = Buffer.from(secret);
  const derive = (info: string, bytes: number): Buffer => Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, Buffer.from(info, 'utf8'), bytes));
  const proofKey = createSecretKey(derive(`edge-fle/P1/proof\u0000${version}`, 32));
  const indexKeys = new Map<string, Uint8Array>();
  return {
    version,
    proofKey,
    indexKey(index) {
      const id = `${index.name}\u0000${index.version}`;
      let key = indexKeys.get(id);
      if (!key) {
        key = derive(`edge-fle/D1/index\u0000${version}\u0000${id}`, SIV_KEY_BYTES);
        indexKeys.set(id, key);
      }
      return key;
    },
  };
}
