import { scanJson } from '../core/json-scan';
import { bodyFormatOf } from '../core/media-type';
import { scanMarkers, type FoundMarker } from '../core/marker';
import { InvalidContainerError } from './errors';

/**
 * Where the markers of a text are and how plaintext goes back in, per container format. Pure:
 * finding and rendering only; decrypting is the caller's business in between.
 */

/** How a text is read: JSON (strings escaped), form (values URL-encoded) or raw text. */
export type ContainerFormat = 'json' | 'form' | 'text';

/** The edge's classification of content types; anything it does not protect is read as text. */
export function containerFormatOf(contentType: string | undefined): ContainerFormat {
  return bodyFormatOf(contentType) ?? 'text';
}

/** The markers of a text and a way to render it with plaintext in their place. */
export interface SubstitutionPlan {
  /** Every marker, of any key id, in order. */
  readonly markers: readonly FoundMarker[];
  /**
   * The text with each marker replaced by its plaintext, encoded for its container; a marker for
   * which `plaintextOf` returns undefined stays as it is.
   */
  render(plaintextOf: (marker: FoundMarker) => string | undefined): string;
}

/** Finds the markers of `text` read as `format`; throws InvalidContainer when the text is not that. */
export function planSubstitution(text: string, format: ContainerFormat): SubstitutionPlan {
  switch (format) {
    case 'json':
      return planJson(text);
    case 'form':
      return planForm(text);
    case 'text':
      return planText(text, (plaintext) => plaintext);
  }
}

function planText(text: string, encode: (plaintext: string) => string): SubstitutionPlan {
  const markers = scanMarkers(text);
  return {
    markers,
    render(plaintextOf) {
      let out = '';
      let cursor = 0;
      for (const marker of markers) {
        const plaintext = plaintextOf(marker);
        if (plaintext === undefined) continue;
        out += text.slice(cursor, marker.start) + encode(plaintext);
        cursor = marker.end;
      }
      return out + text.slice(cursor);
    },
  };
}

const UNSAFE_IN_HTML = /[\u2028\u2029<>&]/g;

/**
 * A string's content as JSON string text: quotes, backslashes and controls escaped by
 * JSON.stringify, plus U+2028/2029 and `< > &` as \u escapes so the result is also safe to embed
 * in HTML and script. Decodes to exactly `value`.
 */
export function jsonStringContent(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(UNSAFE_IN_HTML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON: the text must parse, and every marker must lie wholly inside one string (value or member
 * name). A marker elsewhere could only come from tampering, and substituting it would change the
 * document's structure, so it is refused.
 */
function planJson(text: string): SubstitutionPlan {
  mustParse(text);
  const plan = planText(text, jsonStringContent);
  if (plan.markers.length === 0) return plan;
  const spans: number[] = [];
  const record = (start: number, end: number): void => {
    spans.push(start, end);
  };
  scanJson(text, { open() {}, close() {}, scalar() {}, key: record, string: record });
  // Markers and strings are both in text order: walk them together.
  let s = 0;
  for (const marker of plan.markers) {
    while (s < spans.length && (spans[s + 1] as number) < marker.end) s += 2;
    const start = spans[s];
    if (start === undefined || start > marker.start) {
      throw new InvalidContainerError('a marker sits outside a JSON string');
    }
  }
  return plan;
}

function mustParse(text: string): void {
  try {
    JSON.parse(text);
  } catch {
    throw new InvalidContainerError('the body is not valid JSON');
  }
}

/** A form pair's name or value: raw text and, if it could be decoded, its decoded text. */
interface FormComponent {
  readonly raw: string;
  readonly decoded: string | undefined;
  readonly markers: FoundMarker[];
}

/**
 * Form: each name and value is URL-decoded and scanned on its own; a component holding a marker is
 * rendered with its plaintext and URL-encoded again, every other component keeps its raw text.
 */
function planForm(text: string): SubstitutionPlan {
  const pairs: (readonly [FormComponent, FormComponent | undefined])[] = text.split('&').map((pair) => {
    const equals = pair.indexOf('=');
    return equals < 0 ? ([component(pair), undefined] as const) : ([component(pair.slice(0, equals)), component(pair.slice(equals + 1))] as const);
  });
  const markers = pairs.flatMap(([name, value]) => [...name.markers, ...(value?.markers ?? [])]);
  const render = (part: FormComponent, plaintextOf: (marker: FoundMarker) => string | undefined): string => {
    if (part.decoded === undefined || part.markers.length === 0) return part.raw;
    let out = '';
    let cursor = 0;
    let replaced = false;
    for (const marker of part.markers) {
      const plaintext = plaintextOf(marker);
      if (plaintext === undefined) continue;
      out += part.decoded.slice(cursor, marker.start) + plaintext;
      cursor = marker.end;
      replaced = true;
    }
    return replaced ? encodeURIComponent(out + part.decoded.slice(cursor)) : part.raw;
  };
  return {
    markers,
    render: (plaintextOf) =>
      pairs.map(([name, value]) => (value === undefined ? render(name, plaintextOf) : `${render(name, plaintextOf)}=${render(value, plaintextOf)}`)).join('&'),
  };
}

function component(raw: string): FormComponent {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    // Undecodable text can only hide a marker if it spells '#', raw or percent-encoded.
    if (raw.includes('#') || /%23/i.test(raw)) throw new InvalidContainerError('the form body has a malformed percent-encoding');
    return { raw, decoded: undefined, markers: [] };
  }
  return { raw, decoded, markers: scanMarkers(decoded) };
}
