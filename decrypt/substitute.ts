import { type FoundMarker, scanMarkers } from '../core/format/marker';
import { decodeJsonString, escapePointer, scanJson } from '../core/json-scan';
import { parseMediaType } from '../core/media-type';
import { InvalidCiphertextError, InvalidContainerError, InvalidRequestError, TooManyMarkersError } from './errors';

/**
 * Where the markers of a text are and how plaintext goes back in, per container format. Pure:
 * finding and rendering only; decrypting is the caller's business in between.
 */

/**
 * How a text is read: JSON (strings escaped), JSON records (JSON Lines, JSON text sequences, JSON
 * behind a BOM or an anti-XSSI prefix: each record as JSON), form (values URL-encoded), HTML
 * (plaintext HTML-escaped), CSV (RFC 4180 quoting) or raw text.
 */
export type ContainerFormat = 'json' | 'json-records' | 'form' | 'html' | 'csv' | 'text';

/**
 * How a text is read. A content type naming JSON (`application/json`, `+json`, and `text/json`,
 * which ASP.NET and Rails read as JSON) or a form decides; a malformed one (a list, a parameter
 * without `=`, two charsets) is refused, since it has no single reading. Any other, or none, reads the
 * text as JSON when the whole of it parses as one JSON value, as JSON records when each of its
 * records does (see {@link jsonRecords}), then by its type (`text/html`, `text/csv`) or as raw text:
 * plaintext pasted raw into JSON would let a value (anyone's: the edge seals what it is sent) add
 * members or break it, and raw into HTML it would be markup.
 *
 * @example containerFormatOf(undefined, '{"ssn":"#01#…#10#"}') // 'json'
 * @example containerFormatOf('text/html', '<p>#01#…#10#</p>') // 'text'
 */
export function containerFormatOf(contentType: string | undefined, text: string): ContainerFormat {
  const media = parseMediaType(contentType);
  if (!media) throw new InvalidRequestError('the content type is malformed (one media type, parameters as name=value)');
  if (media.format) return media.format;
  if (media.essence === 'text/json') return 'json';
  // CSV by its label first: a one-column CSV of quoted fields is also JSON Lines, and JSON's
  // escapes are not CSV's.
  if (media.essence === 'text/csv') return 'csv';
  if (isJsonValue(text)) return 'json';
  const html = media.essence === 'text/html' || media.essence === 'application/xhtml+xml';
  if (html) return 'html';
  if (jsonRecords(text)) return 'json-records';
  return 'text';
}

/** True when the whole text is one JSON value (a top-level string included). */
function isJsonValue(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A marker and where it sits. */
export interface PlacedMarker extends FoundMarker {
  /**
   * Where an envelope found here must have been made: `json:<pointer>` for a JSON string value,
   * `form:<name>` for a form value, `null` where no field can be (a JSON member name, a form
   * name), undefined where the container cannot tell (text).
   */
  readonly location: string | null | undefined;
  /** The marker is the whole of its JSON string, so it may stand for a non-string JSON value. */
  readonly whole: boolean;
}

/** A decrypted value: a string, or the exact JSON text of another JSON value. */
export interface Plain {
  readonly kind: 's' | 'j';
  readonly text: string;
}

/** The markers of a text and a way to render it with plaintext in their place. */
export interface SubstitutionPlan {
  /** Every marker, of any key id, in order. */
  readonly markers: readonly PlacedMarker[];
  /**
   * The text with each marker replaced by its plaintext, encoded for its container; a marker for
   * which `plaintextOf` returns undefined stays as it is (a marker may also stand for another
   * marker, when rewrapping). Throws InvalidContainer when a non-string value is not a whole JSON string.
   */
  render(plaintextOf: (marker: PlacedMarker) => Plain | undefined): string;
}

/**
 * Which markers count: those of the key ids the deployment knows (text shaped like a marker of any
 * other id is plain text), at most `maxMarkers` of them.
 */
export interface MarkerScope {
  readonly known: ReadonlySet<string>;
  readonly maxMarkers: number;
}

/** Finds the markers of `text` read as `format`; throws InvalidContainer when the text is not that. */
export function planSubstitution(text: string, format: ContainerFormat, scope: MarkerScope): SubstitutionPlan {
  let count = 0;
  const find = (part: string): FoundMarker[] => {
    const found = scanMarkers(part, { accept: (id) => scope.known.has(id), max: scope.maxMarkers - count });
    count += found.length;
    if (count > scope.maxMarkers) throw new TooManyMarkersError(`the input holds more than ${scope.maxMarkers} markers`);
    return found;
  };
  switch (format) {
    case 'json':
      return planJson(text, find);
    case 'form':
      return planForm(text, find);
    case 'json-records':
      return planRecords(text, jsonRecords(text) ?? [], find);
    case 'html':
      return spliced(text, placedInText(find(text)), (_marker, plain) => plain.text.replace(HTML_SPECIAL, (c) => HTML_ENTITIES[c] ?? c));
    case 'csv':
      return spliced(text, placedInText(find(text)), (marker, plain) => csvField(text, marker, plain.text));
    case 'text':
      return spliced(text, placedInText(find(text)), (_marker, plain) => plain.text);
  }
}

/**
 * A typed (non-string) plaintext as JSON text safe to splice into a document: exactly one JSON
 * value, or the call fails (anyone holding the public key can forge a typed envelope, and pasting
 * its text raw would inject members or break the document). Its text is kept exactly (numbers
 * beyond 2^53 included), with `<`, `>`, `&`, U+2028 and U+2029 escaped as the string values are:
 * outside strings they are not JSON, so escaping them everywhere changes no value.
 */
export function safeJsonValue(text: string): string {
  try {
    JSON.parse(text);
  } catch {
    throw new InvalidCiphertextError('a typed value is not exactly one JSON value');
  }
  return text.replace(UNSAFE_IN_HTML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function placedInText(found: readonly FoundMarker[]): PlacedMarker[] {
  return found.map((m) => ({ ...m, location: undefined, whole: false }));
}

const HTML_SPECIAL = /[&<>"']/g;
const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A plaintext in CSV (RFC 4180): inside a quoted field its quotes are doubled; a marker that is a
 * whole unquoted field becomes a quoted field when it needs one; anywhere else a plaintext holding
 * a quote, comma or line break would end the field, so the call fails.
 */
function csvField(text: string, marker: PlacedMarker, plain: string): string {
  const before = text[marker.start - 1];
  const after = text[marker.end];
  if (before === '"' && after === '"') return plain.replace(/"/g, '""');
  if (!/["\r\n,]/.test(plain)) return plain;
  const fieldStart = before === undefined || before === ',' || before === '\n' || before === '\r';
  const fieldEnd = after === undefined || after === ',' || after === '\n' || after === '\r';
  if (fieldStart && fieldEnd) return `"${plain.replace(/"/g, '""')}"`;
  throw new InvalidContainerError('a value would end its CSV field: the marker is part of a longer field');
}

/**
 * The records of a text that holds JSON one record at a time: JSON Lines (a value per line), JSON
 * text sequences (RFC 7464: U+001E before each), or one value behind a BOM or Angular's anti-XSSI
 * prefix `)]}'`. Each record's bounds, or undefined when some non-blank record is not one JSON value.
 */
export function jsonRecords(text: string): { start: number; end: number }[] | undefined {
  let offset = 0;
  if (text.startsWith('\ufeff')) offset = 1;
  if (text.startsWith(")]}'", offset)) {
    const newline = text.indexOf('\n', offset);
    if (newline < 0) return undefined;
    offset = newline + 1;
  }
  const records: { start: number; end: number }[] = [];
  const separator = /[\n\u001e]/g;
  for (let start = offset; start <= text.length; ) {
    separator.lastIndex = start;
    const found = separator.exec(text);
    const end = found ? found.index : text.length;
    const record = text.slice(start, end);
    if (record.trim() !== '') {
      try {
        JSON.parse(record);
      } catch {
        return undefined;
      }
      records.push({ start, end });
    }
    start = end + 1;
  }
  return records.length > 0 ? records : undefined;
}

/** Each record planned as JSON; the text between records (prefix, separators) kept as it is. */
function planRecords(
  text: string,
  records: readonly { start: number; end: number }[],
  find: (part: string) => FoundMarker[],
): SubstitutionPlan {
  const plans = records.map((r) => ({ ...r, plan: planJson(text.slice(r.start, r.end), find) }));
  return {
    markers: plans.flatMap((p) => p.plan.markers),
    render(plaintextOf) {
      let out = '';
      let cursor = 0;
      for (const { start, end, plan } of plans) {
        out += text.slice(cursor, start) + plan.render(plaintextOf);
        cursor = end;
      }
      return out + text.slice(cursor);
    },
  };
}

/** Replaces each marker's range (widened by `replace` as it likes) in one pass. */
function spliced(
  text: string,
  markers: readonly PlacedMarker[],
  encode: (marker: PlacedMarker, plain: Plain) => string | { start: number; end: number; text: string },
): SubstitutionPlan {
  return {
    markers,
    render(plaintextOf) {
      let out = '';
      let cursor = 0;
      for (const marker of markers) {
        const plain = plaintextOf(marker);
        if (plain === undefined) continue;
        const encoded = encode(marker, plain);
        const range = typeof encoded === 'string' ? { start: marker.start, end: marker.end, text: encoded } : encoded;
        out += text.slice(cursor, range.start) + range.text;
        cursor = range.end;
      }
      return out + text.slice(cursor);
    },
  };
}

const UNSAFE_IN_HTML = /[\u2028\u2029<>&']/g;

/**
 * A string's content as JSON string text: quotes, backslashes and controls escaped by
 * JSON.stringify, plus U+2028/2029 and `< > & '` as \u escapes so the result is also safe to embed
 * in HTML and script. Decodes to exactly `value`.
 */
export function jsonStringContent(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(UNSAFE_IN_HTML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON: the text must parse, and every marker must lie wholly inside one string (value or member
 * name); each learns the JSON Pointer of its string. A marker elsewhere could only come from
 * tampering, and substituting it would change the document's structure, so it is refused.
 */
function planJson(text: string, find: (part: string) => FoundMarker[]): SubstitutionPlan {
  try {
    JSON.parse(text);
  } catch {
    throw new InvalidContainerError('the body is not valid JSON');
  }
  const found = find(text);
  if (found.length === 0) return spliced(text, [], () => '');
  const placed: PlacedMarker[] = [];
  let m = 0;
  const frames: { isArray: boolean; index: number; key: string | undefined; pointer: string }[] = [];
  const nextPointer = (): string => {
    const frame = frames[frames.length - 1];
    if (!frame) return '';
    const segment = frame.isArray ? String(frame.index++) : (frame.key ?? '');
    return `${frame.pointer}/${escapePointer(segment)}`;
  };
  const take = (start: number, end: number, location: string | null): void => {
    for (let marker = found[m]; marker !== undefined && marker.end <= end; marker = found[m]) {
      if (marker.start < start) throw new InvalidContainerError('a marker sits outside a JSON string');
      placed.push({ ...marker, location, whole: marker.start === start && marker.end === end });
      m += 1;
    }
  };
  scanJson(text, {
    open(isArray) {
      frames.push({ isArray, index: 0, key: undefined, pointer: nextPointer() });
    },
    close() {
      frames.pop();
    },
    key(start, end, escaped) {
      const frame = frames[frames.length - 1];
      if (frame) frame.key = decodeJsonString(text, start, end, escaped);
      take(start, end, null);
    },
    string(start, end) {
      take(start, end, `json:${nextPointer()}`);
    },
    scalar() {
      nextPointer();
    },
  });
  if (m < found.length) throw new InvalidContainerError('a marker sits outside a JSON string');
  return spliced(text, placed, (marker, plain) => {
    if (plain.kind === 's') return jsonStringContent(plain.text);
    // A non-string value replaces its whole string, quotes included, with its own JSON text.
    if (!marker.whole || marker.location === null) {
      throw new InvalidContainerError('a non-string JSON value was found inside a longer string or a member name');
    }
    return { start: marker.start - 1, end: marker.end + 1, text: safeJsonValue(plain.text) };
  });
}

/** A form pair's name or value: raw text and, if it could be decoded, its decoded text. */
interface FormComponent {
  readonly raw: string;
  readonly decoded: string | undefined;
  readonly markers: PlacedMarker[];
}

/**
 * Form: each name and value is URL-decoded and scanned on its own; a component holding a marker is
 * rendered with its plaintext and URL-encoded again, every other component keeps its raw text.
 */
function planForm(text: string, find: (part: string) => FoundMarker[]): SubstitutionPlan {
  const pairs = text.split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const name = component(equals < 0 ? pair : pair.slice(0, equals), () => null, find);
    const value =
      equals < 0 ? undefined : component(pair.slice(equals + 1), () => (name.decoded === undefined ? null : `form:${name.decoded}`), find);
    return { name, value };
  });
  const render = (part: FormComponent, plaintextOf: (marker: PlacedMarker) => Plain | undefined): string => {
    if (part.decoded === undefined || part.markers.length === 0) return part.raw;
    const rendered = spliced(part.decoded, part.markers, (_marker, plain) => plain.text).render(plaintextOf);
    return rendered === part.decoded ? part.raw : encodeURIComponent(rendered);
  };
  return {
    markers: pairs.flatMap(({ name, value }) => [...name.markers, ...(value?.markers ?? [])]),
    render: (plaintextOf) =>
      pairs
        .map(({ name, value }) =>
          value === undefined ? render(name, plaintextOf) : `${render(name, plaintextOf)}=${render(value, plaintextOf)}`,
        )
        .join('&'),
  };
}

function component(raw: string, location: () => string | null, find: (part: string) => FoundMarker[]): FormComponent {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    // Undecodable text can only hide a marker if it spells '#', raw or percent-encoded.
    if (raw.includes('#') || /%23/i.test(raw)) throw new InvalidContainerError('the form body has a malformed percent-encoding');
    return { raw, decoded: undefined, markers: [] };
  }
  const markers = find(decoded);
  const where = markers.length > 0 ? location() : null;
  return { raw, decoded, markers: markers.map((m) => ({ ...m, location: where, whole: m.start === 0 && m.end === decoded.length })) };
}
