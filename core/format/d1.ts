import { aessiv } from '@noble/ciphers/aes.js';
import { type IndexId, MAX_VERSION, type SecretKeys } from './secret';

/**
 * The searchable payload: deterministic encryption for equality search. The same normalised value
 * under the same index, key id and versions always gives the same payload, on any route, in JSON
 * or a form, so an origin finds a record with `WHERE email = ?` on the marker the edge wrote.
 *
 *     D1.<index>.<secret version>.<index version>.<base64url of: SIV(16) ‖ ciphertext>
 *
 * The cipher is AES-256-SIV (RFC 5297) from `@noble/ciphers` (audited), a deterministic AEAD: it
 * reveals equality of plaintexts and nothing else, and any change to the payload fails to open.
 * Its key is the index's own key, derived from the edge secret by HKDF (`secret.ts`), so two
 * indexes give unlinkable payloads for the same value. The additional data binds the format
 * version, the marker's key id, the index name and both versions; never the location, which would
 * make the payload differ per field.
 *
 * What a searchable payload holds is the normalised value (`core/normalize.ts`): the decrypt
 * service gives back `alice@example.com` for `" Alice@Example.com"`.
 */

export const D1_VERSION = 'D1';
/** Index names: lower-case letters, digits, `_` and `-` (never `.`, which separates the parts). */
export const INDEX_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
const SIV_BYTES = 16;
const PAYLOAD = /^D1\.([a-z][a-z0-9_-]{0,31})\.([1-9][0-9]{0,2})\.([1-9][0-9]{0,2})\.([A-Za-z0-9_-]{22,})$/;

/** Thrown when a D1 payload does not open: wrong key, or any part altered. */
export class D1OpenError extends Error {
  override readonly name = 'D1OpenError';
}

/** A D1 payload's parts. */
export interface D1Parts {
  readonly index: IndexId;
  readonly secretVersion: number;
  /** SIV ‖ ciphertext. */
  readonly sealed: Buffer;
}

function additionalData(keyId: string, index: IndexId, secretVersion: number): Uint8Array {
  return Buffer.from(`edge-fle/${D1_VERSION}\u0000${keyId}\u0000${index.name}\u0000${secretVersion}\u0000${index.version}`, 'utf8');
}

/**
 * Seals a normalised value for an index: deterministic.
 *
 * @example
 * sealD1(keys, '01', { name: 'email', version: 1 }, Buffer.from('alice@example.com'))
 * // 'D1.email.1.1.…', the same every time
 */
export function sealD1(keys: SecretKeys, keyId: string, index: IndexId, value: Uint8Array): string {
  const sealed = aessiv(keys.indexKey(index), additionalData(keyId, index, keys.version)).encrypt(value);
  return `${D1_VERSION}.${index.name}.${keys.version}.${index.version}.${Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength).toString('base64url')}`;
}

/**
 * What seals a searchable value: {@link sealD1}, handed to `compileIndexes` by whoever makes an edge
 * transform, so a bundle for a config without indexes leaves AES-SIV (and `@noble/ciphers`) out.
 */
export type SealD1 = typeof sealD1;

/** The exact length of the payload {@link sealD1} writes. */
export function d1PayloadLength(index: IndexId, secretVersion: number, valueBytes: number): number {
  const head = `${D1_VERSION}.${index.name}.${secretVersion}.${index.version}.`.length;
  return head + Math.ceil(((SIV_BYTES + valueBytes) * 4) / 3);
}

/** True when a payload is of the D1 kind (by its version tag). */
export function isD1Payload(payload: string): boolean {
  return payload.startsWith(`${D1_VERSION}.`);
}

/** Splits a D1 payload, or undefined when it is not a well-formed one. */
export function parseD1(payload: string): D1Parts | undefined {
  const match = PAYLOAD.exec(payload);
  if (!match) return undefined;
  const [, name = '', secretVersion = '', indexVersion = '', body = ''] = match;
  if (body.length % 4 === 1) return undefined;
  const sealed = Buffer.from(body, 'base64url');
  // Stray bits or a short body: not a payload this module wrote.
  if (sealed.length < SIV_BYTES || sealed.toString('base64url') !== body) return undefined;
  const versions = [Number(secretVersion), Number(indexVersion)];
  if (versions.some((v) => v > MAX_VERSION)) return undefined;
  return { index: { name, version: versions[1] as number }, secretVersion: versions[0] as number, sealed };
}

/** Opens a D1 payload with the keys of its secret version. Throws {@link D1OpenError}. */
export function openD1(keys: SecretKeys, keyId: string, parts: D1Parts): Buffer {
  if (keys.version !== parts.secretVersion) throw new D1OpenError('the payload is of another secret version');
  try {
    const plain = aessiv(keys.indexKey(parts.index), additionalData(keyId, parts.index, parts.secretVersion)).decrypt(parts.sealed);
    return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  } catch {
    throw new D1OpenError('the payload does not authenticate');
  }
}
