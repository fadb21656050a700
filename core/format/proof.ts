import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_VERSION, type SecretKeys } from './secret';

/**
 * Marker provenance: proof that the edge made a marker. Anyone can fetch a KMS public key and
 * mint a well-formed `rsa`, `E1` or `E2` marker; only a holder of the edge secret can mint one
 * that carries a valid proof. When a config declares the edge secret, the edge wraps every
 * randomised payload it writes:
 *
 *     P1.<base64url of: secret version(1) ‖ tag(16)>.<inner payload>
 *
 * The tag is HMAC-SHA256, truncated to 128 bits, under the secret version's provenance key, over
 * the version, the marker's key id and the whole inner payload, so a proof cannot be moved to
 * another payload or key id. The inner payload is unchanged (an `rsa` inner payload is still
 * byte for byte what KMS `Decrypt` takes). 27 characters per marker.
 *
 * Searchable (`D1`) payloads carry no P1 wrapper: their AES-SIV tag is made under a key derived
 * from the same secret, which is already a proof.
 */

export const PROOF_VERSION = 'P1';
const TAG_BYTES = 16;
/** Characters a proof adds to a payload: `P1.`, 23 base64url characters, `.`. */
export const PROOF_OVERHEAD = PROOF_VERSION.length + 1 + Math.ceil(((1 + TAG_BYTES) * 4) / 3) + 1;

/** A proven payload's parts. */
export interface ProofParts {
  readonly secretVersion: number;
  readonly tag: Buffer;
  readonly inner: string;
}

function tagOf(keys: SecretKeys, keyId: string, inner: string): Buffer {
  return createHmac('sha256', keys.proofKey)
    .update(`edge-fle/${PROOF_VERSION}\u0000${keys.version}\u0000${keyId}\u0000`, 'utf8')
    .update(inner, 'latin1')
    .digest()
    .subarray(0, TAG_BYTES);
}

/**
 * Wraps an inner payload with its proof.
 *
 * @example prove(keys, '01', 'E2.AbC…') // 'P1.AQ….E2.AbC…'
 */
export function prove(keys: SecretKeys, keyId: string, inner: string): string {
  const head = Buffer.allocUnsafe(1 + TAG_BYTES);
  head[0] = keys.version;
  tagOf(keys, keyId, inner).copy(head, 1);
  return `${PROOF_VERSION}.${head.toString('base64url')}.${inner}`;
}

/** True when a payload carries a proof (by its version tag). */
export function isProvenPayload(payload: string): boolean {
  return payload.startsWith(`${PROOF_VERSION}.`);
}

/** Splits a proven payload, or undefined when it is not a well-formed one. */
export function parseProof(payload: string): ProofParts | undefined {
  if (!isProvenPayload(payload)) return undefined;
  const start = PROOF_VERSION.length + 1;
  const end = payload.indexOf('.', start);
  if (end < 0) return undefined;
  const head = payload.slice(start, end);
  if (!/^[A-Za-z0-9_-]{23}$/.test(head)) return undefined;
  const bytes = Buffer.from(head, 'base64url');
  if (bytes.length !== 1 + TAG_BYTES || bytes.toString('base64url') !== head) return undefined;
  const secretVersion = bytes[0] ?? 0;
  const inner = payload.slice(end + 1);
  if (secretVersion < 1 || secretVersion > MAX_VERSION || inner === '' || isProvenPayload(inner)) return undefined;
  return { secretVersion, tag: bytes.subarray(1), inner };
}

/** Whether a proof is valid for its inner payload under `keys` (which must be of its version). */
export function verifyProof(keys: SecretKeys, keyId: string, parts: ProofParts): boolean {
  return keys.version === parts.secretVersion && timingSafeEqual(tagOf(keys, keyId, parts.inner), parts.tag);
}
