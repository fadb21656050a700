import { createCipheriv, createECDH, createPublicKey, createSecretKey, ECDH, hkdfSync, type KeyObject, timingSafeEqual } from 'node:crypto';
import { openTypedGcm, type ValueKind } from './typed-gcm';

/**
 * The E2 payload: the compact envelope for keys that are KMS ECC keys with `KEY_AGREEMENT` usage
 * (`ECC_NIST_P256`). KMS keeps the private key; nothing but KMS `DeriveSharedSecret` (or a local
 * EC private key) opens it.
 *
 * Per request and key the edge makes one ephemeral P-256 key pair and computes the ECDH shared
 * secret Z with the KMS public key. HKDF-SHA256 over Z, with info binding the version, the key id
 * and the ephemeral public key, derives a 256-bit AES-GCM key and a 128-bit key commitment. Each
 * value is sealed with AES-256-GCM, additional data binding the version, key id and location:
 *
 *     E2.<base64url of: point(33) ‖ commitment(16) ‖ counter(4) ‖ location length(2) ‖ location ‖ GCM(kind ‖ value) ‖ tag(16)>
 *
 * One part after the tag, so an 11-byte string at `json:/0/ssn` is a 137-character marker.
 *
 * **Nonces without a random call per value.** The nonce is 8 zero bytes and a 32-bit counter that
 * starts at 0 for each request and key. Uniqueness of (key, nonce) is what GCM needs, and the key
 * here is itself unique per request: it is derived from a fresh ephemeral key pair (2^128 work to
 * repeat one), and its point goes into the HKDF info. So a counter from zero never repeats a
 * (key, nonce) pair, and no value pays for a `randomBytes` call (7 µs of the 17 µs E1 spends).
 * A request holds at most a few thousand values (the 1 MB body), far below 2^32.
 *
 * **A 128-bit commitment.** It makes a marker open under one key only (as the AWS Encryption SDK's
 * committing suites): without it, a ciphertext could be built that authenticates under two keys.
 * Here the key is fixed by the payload (its point) and the marker's key id, so breaking the
 * commitment means finding a second Z with the same HKDF output: a second preimage of 128 bits
 * (2^128 work). The collision bound (2^64) would need an attacker who controls both secrets, that
 * is, who holds the KMS private key already. 16 bytes instead of E1's 32 save 22 characters per value.
 *
 * **The point is checked before any KMS call**: 33 bytes, prefix 02 or 03 (the point at infinity
 * and uncompressed forms are refused), and on the curve (decompression fails otherwise).
 */

/** The version tag every E2 payload starts with. */
export const E2_VERSION = 'E2';
/** The curve, as Node's crypto names it (KMS: ECC_NIST_P256). */
const CURVE = 'prime256v1';
const POINT_BYTES = 33;
const COMMITMENT_BYTES = 16;
const COUNTER_BYTES = 4;
const LOCATION_LENGTH_BYTES = 2;
const TAG_BYTES = 16;
const HEADER_BYTES = POINT_BYTES + COMMITMENT_BYTES;
const HKDF_SALT = Buffer.from('edge-fle/E2/hkdf-salt', 'utf8');
const MAX_COUNTER = 0xffff_ffff;

/** Thrown when an E2 payload does not open: wrong key, or any part altered. */
export class E2OpenError extends Error {
  override readonly name = 'E2OpenError';
}

/** A request's E2 key: the ephemeral point travels in each payload, the derived keys never leave memory. */
export interface E2Key {
  /** The compressed ephemeral public key (33 bytes). */
  readonly point: Buffer;
  /**
   * The AES-256-GCM key as a KeyObject: on Node 24, createCipheriv with a raw Buffer key imports it
   * on every call (about 19 µs per value); with a KeyObject, about 4 µs.
   */
  readonly encryptionKey: KeyObject;
  readonly commitment: Buffer;
}

/** The parts of an E2 payload. */
export interface E2Parts {
  readonly point: Buffer;
  readonly commitment: Buffer;
  readonly counter: number;
  /** Where the value was made: `json:<JSON Pointer>` or `form:<field name>`. */
  readonly location: string;
  /** Ciphertext followed by the 16-byte GCM tag. */
  readonly sealed: Buffer;
}

/** Derives the request key from the ECDH shared secret (the x coordinate, as KMS DeriveSharedSecret returns it). */
export function prepareE2Key(sharedSecret: Uint8Array, keyId: string, point: Buffer): E2Key {
  if (sharedSecret.byteLength !== 32) throw new E2OpenError('a P-256 shared secret is 32 bytes');
  const info = (label: string): Buffer => Buffer.concat([Buffer.from(`edge-fle/E2/${label}\u0000${keyId}\u0000`, 'utf8'), point]);
  const derive = (label: string, bytes: number): Buffer => Buffer.from(hkdfSync('sha256', sharedSecret, HKDF_SALT, info(label), bytes));
  const aesKey = derive('aes-256-gcm', 32);
  const encryptionKey = createSecretKey(aesKey);
  aesKey.fill(0);
  return { point, encryptionKey, commitment: derive('commitment', COMMITMENT_BYTES) };
}

/** The uncompressed point (04 ‖ x ‖ y) of a P-256 public key, or undefined for another kind of key. */
export function p256Point(publicKey: KeyObject): Buffer | undefined {
  if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== CURVE) return undefined;
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
}

/**
 * A fresh request key for the KMS public key `recipientPoint` (uncompressed): one ephemeral key
 * pair, one ECDH, one HKDF. The ephemeral private key is dropped when this returns.
 */
export function newE2Key(keyId: string, recipientPoint: Buffer): E2Key {
  const ecdh = createECDH(CURVE);
  ecdh.generateKeys();
  const shared = ecdh.computeSecret(recipientPoint);
  try {
    return prepareE2Key(shared, keyId, ecdh.getPublicKey(null, 'compressed'));
  } finally {
    shared.fill(0);
  }
}

/** The additional data's fixed start; the location's UTF-8 bytes follow it. */
function additionalDataPrefix(keyId: string): Buffer {
  return Buffer.from(`edge-fle/${E2_VERSION}\u0000${keyId}\u0000`, 'utf8');
}

/** The additional data: version, key id and location, so a moved or relabelled value fails to open. */
function additionalData(keyId: string, location: string): Buffer {
  return Buffer.concat([additionalDataPrefix(keyId), Buffer.from(location, 'utf8')]);
}

/** Seals the values of one request and key, numbering their nonces. */
export class E2Sealer {
  private counter = 0;
  private readonly header: Buffer;
  /** The additional data's fixed start; the location follows. */
  private readonly aadPrefix: Buffer;
  /** Reused: createCipheriv copies the nonce. */
  private readonly nonce = Buffer.alloc(12);
  /** Reused for the additional data and for kind ‖ value (the cipher reads them before returning). */
  private scratch = Buffer.alloc(1024);

  constructor(
    private readonly key: E2Key,
    keyId: string,
  ) {
    this.header = Buffer.concat([key.point, key.commitment]);
    this.aadPrefix = additionalDataPrefix(keyId);
  }

  /**
   * Encrypts one value into an E2 payload (the part between a marker's delimiters).
   *
   * @example
   * const sealer = new E2Sealer(newE2Key('03', kmsPoint), '03');
   * sealer.seal('json:/0/ssn', 's', Buffer.from('123-45-6789')); // 'E2.A…'
   */
  seal(location: string, kind: ValueKind, value: Uint8Array): string {
    if (this.counter > MAX_COUNTER) throw new RangeError('too many values for one E2 request key');
    const locationBytes = Buffer.byteLength(location, 'utf8');
    if (locationBytes > 0xffff) throw new RangeError('an E2 location is at most 65535 bytes');
    const counter = this.counter;
    this.counter += 1;
    this.nonce.writeUInt32BE(counter, 8);
    const prefix = this.aadPrefix.length;
    const need = Math.max(prefix + locationBytes, 1 + value.byteLength);
    if (this.scratch.length < need) this.scratch = Buffer.alloc(need * 2);
    const scratch = this.scratch;
    // One buffer for the whole payload: header, counter, location, ciphertext, tag.
    const fixed = HEADER_BYTES + COUNTER_BYTES + LOCATION_LENGTH_BYTES;
    const out = Buffer.allocUnsafe(fixed + locationBytes + 1 + value.byteLength + TAG_BYTES);
    this.header.copy(out, 0);
    out.writeUInt32BE(counter, HEADER_BYTES);
    out.writeUInt16BE(locationBytes, HEADER_BYTES + COUNTER_BYTES);
    out.write(location, fixed, 'utf8');
    const cipher = createCipheriv('aes-256-gcm', this.key.encryptionKey, this.nonce);
    this.aadPrefix.copy(scratch, 0);
    out.copy(scratch, prefix, fixed, fixed + locationBytes);
    cipher.setAAD(scratch.subarray(0, prefix + locationBytes));
    scratch[0] = kind === 's' ? 0x73 : 0x6a;
    scratch.set(value, 1);
    let at = fixed + locationBytes;
    at += cipher.update(scratch.subarray(0, 1 + value.byteLength)).copy(out, at);
    at += cipher.final().copy(out, at);
    cipher.getAuthTag().copy(out, at);
    scratch.fill(0, 0, 1 + value.byteLength);
    return `${E2_VERSION}.${out.toString('base64url')}`;
  }
}

/** The exact length of the payload {@link E2Sealer.seal} writes, for sizing a body before encrypting. */
export function e2PayloadLength(locationBytes: number, valueBytes: number): number {
  const bytes = HEADER_BYTES + COUNTER_BYTES + LOCATION_LENGTH_BYTES + locationBytes + 1 + valueBytes + TAG_BYTES;
  return E2_VERSION.length + 1 + Math.ceil((bytes * 4) / 3);
}

/** True when a payload is of the E2 kind (by its version tag). */
export function isE2Payload(payload: string): boolean {
  return payload.startsWith(`${E2_VERSION}.`);
}

/** Whether a compressed point is a valid P-256 point: checked before any KMS call. */
function validPoint(point: Buffer): boolean {
  if (point.length !== POINT_BYTES || (point[0] !== 2 && point[0] !== 3)) return false;
  try {
    ECDH.convertKey(point, CURVE, undefined, undefined, 'uncompressed');
    return true;
  } catch {
    return false;
  }
}

/** Splits an E2 payload into its parts, or undefined when it is not a well-formed one (an invalid point included). */
export function parseE2(payload: string): E2Parts | undefined {
  if (!isE2Payload(payload)) return undefined;
  const body = payload.slice(E2_VERSION.length + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(body) || body.length % 4 === 1) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  // Base64url that does not re-encode to itself has stray bits: not a payload this module wrote.
  if (bytes.toString('base64url') !== body) return undefined;
  const fixed = HEADER_BYTES + COUNTER_BYTES + LOCATION_LENGTH_BYTES;
  if (bytes.length < fixed + 1 + TAG_BYTES) return undefined;
  const point = bytes.subarray(0, POINT_BYTES);
  if (!validPoint(point)) return undefined;
  const locationLength = bytes.readUInt16BE(HEADER_BYTES + COUNTER_BYTES);
  if (bytes.length < fixed + locationLength + 1 + TAG_BYTES) return undefined;
  const where = bytes.subarray(fixed, fixed + locationLength);
  const location = where.toString('utf8');
  if (!Buffer.from(location, 'utf8').equals(where)) return undefined;
  return {
    point: Buffer.from(point),
    commitment: bytes.subarray(POINT_BYTES, HEADER_BYTES),
    counter: bytes.readUInt32BE(HEADER_BYTES),
    location,
    sealed: bytes.subarray(fixed + locationLength),
  };
}

/** The ephemeral point as DER SPKI: what KMS DeriveSharedSecret takes as `PublicKey`. */
export function pointSpki(point: Buffer): Buffer {
  const uncompressed = ECDH.convertKey(point, CURVE, undefined, undefined, 'uncompressed') as Buffer;
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: uncompressed.subarray(1, 33).toString('base64url'),
      y: uncompressed.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  return key.export({ type: 'spki', format: 'der' });
}

/**
 * Opens an E2 payload with its request key. Throws {@link E2OpenError} when the commitment does
 * not match (wrong key) or authentication fails (any part altered, or the key id or location
 * differ from when it was made).
 */
export function openE2(key: E2Key, keyId: string, parts: E2Parts): { kind: ValueKind; value: Buffer } {
  if (!timingSafeEqual(key.commitment, parts.commitment)) throw new E2OpenError('the key does not commit to this payload');
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(parts.counter, 8);
  const opened = openTypedGcm(key.encryptionKey, nonce, additionalData(keyId, parts.location), parts.sealed);
  if (opened === 'unauthentic') throw new E2OpenError('the payload does not authenticate');
  if (opened === 'unknown-kind') throw new E2OpenError('the payload holds an unknown value kind');
  return opened;
}
