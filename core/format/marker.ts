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
 * A marker writer for one key id, with its delimiters made once (the edge writes thousands of
 * markers per request).
 *
 * @example markerWriter('01').wrap('QUJD') // '#01#QUJD#10#'
 */
export function markerWriter(keyId: string): { readonly overhead: number; wrap(payload: string): string } {
  const open = markerOpen(keyId);
  const close = markerClose(keyId);
  if (!isKeyId(keyId)) throw new RangeError('invalid key id');
  return { overhead: open.length + close.length, wrap: (payload) => open + payload + close };
}

/** The post-compatible payload for one RSA-OAEP ciphertext block: standard base64 with padding. */
export function encodeRsaPayload(ciphertext: Uint8Array): string {
  return (Buffer.isBuffer(ciphertext) ? ciphertext : Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength)).toString(
    'base64',
  );
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

/** Options for {@link scanMarkers}. */
export interface ScanOptions {
  /** Keeps only markers of the key ids it accepts; other shapes are plain text. */
  readonly accept?: (keyId: string) => boolean;
  /** Stops after finding one more than this many markers (the caller refuses such a text). */
  readonly max?: number;
}

/**
 * Any marker shape: `#id#payload#id2#`. No part can contain `#`, so each attempt is bounded by the
 * next delimiters; whether `id2` is reverse(`id`) is checked in code (a regex cannot reverse).
 */
const MARKER_SHAPE = new RegExp(`#([A-Za-z0-9]{1,8})#([${PAYLOAD_CHARS}]+)#([A-Za-z0-9]{1,8})#`, 'g');

/**
 * Every well-formed marker in a text, of any key id, left to right, never overlapping. This one
 * scan is what the edge uses to refuse planted markers and what the decrypt service uses to find
 * markers to decrypt, so the two can never disagree about what counts as a marker.
 *
 * @example scanMarkers('a #01#QUJD#10# b').map((m) => m.keyId) // ['01']
 */
export function scanMarkers(text: string, options: ScanOptions = {}): FoundMarker[] {
  const found: FoundMarker[] = [];
  // A marker needs four '#': text without one is answered without running the regex.
  if (!text.includes('#')) return found;
  const { accept, max = Number.POSITIVE_INFINITY } = options;
  const pattern = new RegExp(MARKER_SHAPE);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const [whole, keyId = '', payload = '', closing = ''] = match;
    if (closing === reverse(keyId) && (!accept || accept(keyId))) {
      found.push({ keyId, payload, start: match.index, end: match.index + whole.length });
      // One past the cap is enough for the caller to refuse; nothing more is kept.
      if (found.length > max) break;
    } else {
      // Not a marker (or one of an id not accepted, which is text): its closing part may still open
      // one, so look again from the next character.
      pattern.lastIndex = match.index + 1;
    }
  }
  return found;
}

/**
 * Finds the markers of a fixed set of key ids, with {@link scanMarkers}.
 *
 * @example
 * const markers = createMarkerMatcher(['01', '02']);
 * markers.test('x #01#QUJD#10# y'); // true
 * markers.test('a lone #01# mention'); // false
 */
export interface MarkerMatcher {
  /** The key ids this matcher knows. */
  readonly keyIds: readonly string[];
  /**
   * True when any substring of the text, at any offset, is a well-formed marker of a known key id.
   * This is the edge's injection check: it is a superset of what {@link scanMarkers} finds in the
   * same text or in any text that contains it verbatim (such as the stored JSON the string ends up
   * in), so the decrypt service can never find a known marker that the edge let through.
   */
  test(text: string): boolean;
  /** Every well-formed marker of a known key id, left to right, never overlapping. */
  find(text: string): FoundMarker[];
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Builds a {@link MarkerMatcher} for the given key ids (each must satisfy {@link isKeyId}). */
export function createMarkerMatcher(keyIds: readonly string[]): MarkerMatcher {
  for (const id of keyIds) if (!isKeyId(id)) throw new RangeError('invalid key id');
  const known = new Set(keyIds);
  // One alternative per key id, tried at every offset: a known marker is found even where the
  // left-to-right scan would have read its opening as part of another marker shape.
  const anywhere = new RegExp(
    [...known].map((id) => `${escapeForRegExp(markerOpen(id))}[${PAYLOAD_CHARS}]+${escapeForRegExp(markerClose(id))}`).join('|') || '(?!)',
  );
  return {
    keyIds: [...known],
    test: (text) => text.includes('#') && anywhere.test(text),
    find: (text) => scanMarkers(text, { accept: (id) => known.has(id) }),
  };
}
