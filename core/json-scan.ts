/**
 * A single-pass, allocation-light scanner over JSON text that `JSON.parse` has already accepted.
 * It reports structure and the exact offsets of strings, so the transform can splice ciphertext
 * into the original text instead of re-serialising it: numbers beyond 2^53, spacing and key order
 * reach the origin exactly as the client sent them.
 *
 * Iterative (no recursion), so nesting depth cannot overflow the stack.
 */

/** What the scanner reports, in document order. */
export interface JsonTokenVisitor {
  /** An object (`isArray` false) or array opens; `start` is the offset of its bracket. */
  open(isArray: boolean, start: number): void;
  /** The innermost open object or array closes; `end` is the offset just past its bracket. */
  close(end: number): void;
  /**
   * A member name; `start`/`end` bound its content inside the quotes; `escaped` when it holds a
   * backslash escape (so the raw slice is not the name).
   */
  key(start: number, end: number, escaped: boolean): void;
  /** A string value, bounded like {@link JsonTokenVisitor.key}. */
  string(start: number, end: number, escaped: boolean): void;
  /** A number, `true`, `false` or `null`, at `start` up to `end` (exclusive). */
  scalar(start: number, end: number): void;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDelimiter(c: number): boolean {
  return c === 0x2c || c === 0x5d || c === 0x7d || isWhitespace(c);
}

/**
 * Walks valid JSON text and calls the visitor for every token. The text must already have passed
 * `JSON.parse`; malformed text gives unspecified (but terminating) results.
 */
export function scanJson(text: string, visitor: JsonTokenVisitor): void {
  const n = text.length;
  let i = 0;
  // Offset of the next backslash at or after the current string, found lazily: amortised linear,
  // where a search per string would be quadratic on a large body without escapes.
  let nextBackslash = -1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      const end = findStringEnd(text, start);
      if (nextBackslash !== Infinity && nextBackslash < start) {
        const at = text.indexOf('\\', start);
        nextBackslash = at < 0 ? Infinity : at;
      }
      const escaped = nextBackslash < end;
      let j = end + 1;
      while (j < n && isWhitespace(text.charCodeAt(j))) j += 1;
      if (j < n && text.charCodeAt(j) === COLON) visitor.key(start, end, escaped);
      else visitor.string(start, end, escaped);
      i = end + 1;
    } else if (c === 0x7b || c === 0x5b) {
      visitor.open(c === 0x5b, i);
      i += 1;
    } else if (c === 0x7d || c === 0x5d) {
      i += 1;
      visitor.close(i);
    } else if (c === 0x2c || c === COLON || isWhitespace(c)) {
      i += 1;
    } else {
      const start = i;
      i += 1;
      while (i < n && !isDelimiter(text.charCodeAt(i))) i += 1;
      visitor.scalar(start, i);
    }
  }
}

/** Offset of the closing quote of the string whose content starts at `start`. */
function findStringEnd(text: string, start: number): number {
  let from = start;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let k = quote - 1; k >= start && text.charCodeAt(k) === BACKSLASH; k -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** The decoded content of a string token bounded by `start`/`end` (quotes excluded). */
export function decodeJsonString(text: string, start: number, end: number, escaped: boolean): string {
  const raw = text.slice(start, end);
  return escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/** A JSON Pointer segment, escaped (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The segments of a JSON Pointer, unescaped. */
export function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}
