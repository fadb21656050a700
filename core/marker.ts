/**
 * The ciphertext marker format. This module is its only owner: the edge writes markers with it,
 * the decrypt service and the edge's injection check find them with it. Nothing else may build or
 * parse a marker by hand.
 *
 * For key id `K` a marker is `#K#` + payload + `#` + reverse(K) + `#`; key `01` gives `#01#…#10#`.
 * The payload of a value that fits one RSA block is the standard base64 (with padding) of its
 * RSA-OAEP-SHA-256 ciphertext, byte for byte what the reference post writes and KMS `Decrypt` reads.
 *
 * Imports nothing from the AWS SDK (it is bundled into the edge function).
 */

/** A key id: letters and digits only, so it can never contain or imitate the `#` delimiter. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9]{1,8}$/;

/**
 * Characters a payload may use: standard base64 (`A-Z a-z 0-9 + / =`), plus `.`, `_` and `-` kept
 * for versioned payload kinds. Never `#`, so a marker's end is unambiguous.
 */
const PAYLOAD_CHARS = 'A-Za-z0-9+/=._-';

/** The payload of the post-compatible kind: standard base64, padded, whole quads only. */
const RSA_PAYLOAD = /^(?:[A-Za-z0-9+/]{4})+$|^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/;

/** True when `id` is a valid key id. */
export function isKeyId(id: string): boolean {
  return KEY_ID_PATTERN.test(id);
}

function reverse(text: string): string {
  return [...text].reverse().join('');
}

/** The opening delimiter for a key id: `#01#` for `01`. */
export function markerOpen(keyId: string): string {
  return `#${keyId}#`;
}

/** The closing delimiter for a key id: `#10#` for `01`. */
export function markerClose(keyId: string): string {
  return `#${reverse(keyId)}#`;
}

/**
 * Wraps a payload in the markers of a key id.
 *
 * @example formatMarker('01', 'QUJD') // '#01#QUJD#10#'
 */
export function formatMarker(keyId: string, payload: string): string {
  if (!isKeyId(keyId)) throw new RangeError('invalid key id');
  return markerOpen(keyId) + payload + markerClose(keyId);
}

/** The post-compatible payload for one RSA-OAEP ciphertext block: standard base64 with padding. */
export function encodeRsaPayload(ciphertext: Uint8Array): string {
  return Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength).toString('base64');
}

/** True when a payload is of the post-compatible kind (standard base64 of one RSA block). */
export function isRsaPayload(payload: string): boolean {
  return RSA_PAYLOAD.test(payload);
}

/**
 * Decodes a post-compatible payload to the ciphertext bytes, or undefined when it is not one.
 */
export function decodeRsaPayload(payload: string): Buffer | undefined {
  return isRsaPayload(payload) ? Buffer.from(payload, 'base64') : undefined;
}

/** One marker found in a text. */
export interface FoundMarker {
  /** The key id named by the marker. */
  readonly keyId: string;
  /** The payload between the delimiters. */
  readonly payload: string;
  /** Offset of the opening `#` in the text. */
  readonly start: number;
  /** Offset just past the closing `#`. */
  readonly end: number;
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Finds the markers of a fixed set of key ids. Made once per keyring; `find` and `test` run in one
 * linear pass each.
 *
 * @example
 * const markers = createMarkerMatcher(['01', '02']);
 * markers.test('x #01#QUJD#10# y'); // true
 * markers.test('a lone #01# mention'); // false
 */
export interface MarkerMatcher {
  /** The key ids this matcher knows. */
  readonly keyIds: readonly string[];
  /** True when the text holds at least one well-formed marker of a known key id. */
  test(text: string): boolean;
  /** Every well-formed marker of a known key id, left to right, never overlapping. */
  find(text: string): FoundMarker[];
}

/** Builds a {@link MarkerMatcher} for the given key ids (each must satisfy {@link isKeyId}). */
export function createMarkerMatcher(keyIds: readonly string[]): MarkerMatcher {
  for (const id of keyIds) if (!isKeyId(id)) throw new RangeError('invalid key id');
  const ids = [...new Set(keyIds)];
  // One alternative per key id, so an opening delimiter only pairs with its own closing one.
  const alternatives = ids.map(
    (id) => `${escapeForRegExp(markerOpen(id))}[${PAYLOAD_CHARS}]+${escapeForRegExp(markerClose(id))}`,
  );
  const source = alternatives.length > 0 ? alternatives.join('|') : '(?!)';
  const testPattern = new RegExp(source);
  const findPattern = new RegExp(source, 'g');
  return {
    keyIds: ids,
    test(text) {
      // A marker needs four '#', so text without one is answered without running the regex.
      return text.includes('#') && testPattern.test(text);
    },
    find(text) {
      const found: FoundMarker[] = [];
      if (!text.includes('#')) return found;
      for (const match of text.matchAll(findPattern)) {
        const whole = match[0];
        const start = match.index;
        const keyId = whole.slice(1, whole.indexOf('#', 1));
        const payload = whole.slice(keyId.length + 2, whole.length - keyId.length - 2);
        found.push({ keyId, payload, start, end: start + whole.length });
      }
      return found;
    },
  };
}
