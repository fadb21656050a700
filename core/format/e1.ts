import { createCipheriv, createSecretKey, hkdfSync, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { openTypedGcm, type ValueKind } from './typed-gcm';

/**
 * The envelope payload: the versioned payload kind for values one RSA block cannot carry (any
 * size, any JSON type). With `marker.ts` (delimiters and the RSA payload) this module is the
 * whole ciphertext format; the edge writes it and the decrypt service reads it, nobody else.
 *
 * Per request and key the edge draws one random 256-bit data key and wraps it once with
 * RSA-OAEP-SHA-256 (so KMS `Decrypt` unwraps it). From the data key, HKDF-SHA256 derives an
 * AES-256-GCM key and a 256-bit commitment. Each value is encrypted under a fresh 96-bit IV, with
 * additional data binding the format version, the key id and the value's location. The payload
 * carries everything needed to open it:
 *
 *     E1.<wrapped data key>.<commitment>.<location>.<iv>.<ciphertext and tag>   (base64url parts)
 *
 * It holds `.`, `-` and `_`, never `#`, so it is never mistaken for the post's plain base64 kind.
 *
 * Key commitment (as the AWS Encryption SDK's committing suites): a wrong data key fails the
 * commitment check before decryption instead of yielding other plaintext.
 */

/** The version tag every envelope payload starts with. */
export const ENVELOPE_VERSION = 'E1';
export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const COMMITMENT_BYTES = 32;
const HKDF_SALT = Buffer.from('edge-fle/E1/hkdf-salt', 'utf8');

/** A data key made ready: the wrapped form travels in each payload, the derived keys never leave memory. */
export interface DataKey {
  /** The data key wrapped with RSA-OAEP-SHA-256 under the marker's key. */
  readonly wrappedKey: Buffer;
  /** A KeyObject: createCipheriv imports a raw Buffer key on every call (slow on Node 24). */
  readonly encryptionKey: KeyObject;
  readonly commitment: Buffer;
  /** The payload's first parts (version, wrapped key, commitment), the same for every value sealed. */
  readonly header: string;
}

/** The parts of an envelope payload. */
export interface EnvelopeParts {
  readonly wrappedKey: Buffer;
  readonly commitment: Buffer;
  /** Where the value was made: `json:<JSON Pointer>` or `form:<field name>`. */
  readonly location: string;
  readonly iv: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  readonly sealed: Buffer;
}

/** Thrown when an envelope does not open: wrong data key, or any part altered. */
export class EnvelopeOpenError extends Error {
  override readonly name = 'EnvelopeOpenError';
}

/** Derives the AES key and the commitment from a plaintext data key. */
export function prepareDataKey(plaintextKey: Uint8Array, wrappedKey: Buffer): DataKey {
  if (plaintextKey.byteLength !== DATA_KEY_BYTES) throw new EnvelopeOpenError('a data key must be 32 bytes');
  const derive = (label: string): Buffer => Buffer.from(hkdfSync('sha256', plaintextKey, HKDF_SALT, `edge-fle/E1/${label}`, 32));
  const commitment = derive('commitment');
  const header = `${ENVELOPE_VERSION}.${wrappedKey.toString('base64url')}.${commitment.toString('base64url')}.`;
  const aesKey = derive('aes-256-gcm');
  const encryptionKey = createSecretKey(aesKey);
  aesKey.fill(0);
  return { wrappedKey, encryptionKey, commitment, header };
}

/** A fresh random data key, wrapped by `wrap` (RSA-OAEP-SHA-256 under the marker's public key). */
export function newDataKey(wrap: (plaintextKey: Buffer) => Buffer): DataKey {
  const plaintextKey = randomBytes(DATA_KEY_BYTES);
  try {
    return prepareDataKey(plaintextKey, wrap(plaintextKey));
  } finally {
    plaintextKey.fill(0);
  }
}

function additionalData(keyId: string, location: string): Buffer {
  return Buffer.from(`edge-fle/${ENVELOPE_VERSION}\u0000${keyId}\u0000${location}`, 'utf8');
}

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/**
 * Encrypts one value into an envelope payload (the part between a marker's delimiters).
 *
 * @example
 * const payload = sealValue(dataKey, '01', 'json:/0/ssn', 's', Buffer.from('123-45-6789'));
 */
export function sealValue(dataKey: DataKey, keyId: string, location: string, kind: ValueKind, value: Uint8Array): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey.encryptionKey, iv);
  cipher.setAAD(additionalData(keyId, location));
  const sealed = Buffer.concat([cipher.update(Buffer.from(kind, 'ascii')), cipher.update(value), cipher.final(), cipher.getAuthTag()]);
  return `${dataKey.header}${b64u(Buffer.from(location, 'utf8'))}.${b64u(iv)}.${b64u(sealed)}`;
}

/** The exact length of the payload {@link sealValue} writes, for sizing a body before encrypting. */
export function envelopePayloadLength(wrappedKeyBytes: number, locationBytes: number, valueBytes: number): number {
  const b64uLength = (n: number): number => Math.ceil((n * 4) / 3);
  return (
    ENVELOPE_VERSION.length +
    5 +
    b64uLength(wrappedKeyBytes) +
    b64uLength(COMMITMENT_BYTES) +
    b64uLength(locationBytes) +
    b64uLength(IV_BYTES) +
    b64uLength(1 + valueBytes + TAG_BYTES)
  );
}

const PART = /^[A-Za-z0-9_-]*$/;

/** True when a payload is of the envelope kind (by its version tag). */
export function isEnvelopePayload(payload: string): boolean {
  return payload.startsWith(`${ENVELOPE_VERSION}.`);
}

/** Splits an envelope payload into its parts, or undefined when it is not a well-formed one. */
export function parseEnvelope(payload: string): EnvelopeParts | undefined {
  const parts = payload.split('.');
  if (parts.length !== 6 || parts[0] !== ENVELOPE_VERSION || !parts.every((p) => PART.test(p))) return undefined;
  const [, wrapped = '', commitment = '', location = '', iv = '', sealed = ''] = parts;
  const decoded = {
    wrappedKey: Buffer.from(wrapped, 'base64url'),
    commitment: Buffer.from(commitment, 'base64url'),
    location: Buffer.from(location, 'base64url').toString('utf8'),
    iv: Buffer.from(iv, 'base64url'),
    sealed: Buffer.from(sealed, 'base64url'),
  };
  if (
    decoded.wrappedKey.length === 0 ||
    decoded.commitment.length !== COMMITMENT_BYTES ||
    decoded.iv.length !== IV_BYTES ||
    decoded.sealed.length < TAG_BYTES + 1
  ) {
    return undefined;
  }
  return decoded;
}

/**
 * Opens an envelope with its (unwrapped, prepared) data key. Throws {@link EnvelopeOpenError}
 * when the commitment does not match (wrong data key) or authentication fails (any part altered,
 * or the key id or location differ from when it was made).
 */
export function openValue(dataKey: DataKey, keyId: string, parts: EnvelopeParts): { kind: ValueKind; value: Buffer } {
  if (!timingSafeEqual(dataKey.commitment, parts.commitment)) throw new EnvelopeOpenError('the data key does not commit to this envelope');
  const opened = openTypedGcm(dataKey.encryptionKey, parts.iv, additionalData(keyId, parts.location), parts.sealed);
  if (opened === 'unauthentic') throw new EnvelopeOpenError('the envelope does not authenticate');
  if (opened === 'unknown-kind') throw new EnvelopeOpenError('the envelope holds an unknown value kind');
  return opened;
}
