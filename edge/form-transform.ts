import type { FieldRule } from '../core/config';
import { AmbiguousRequestError, BodyLimitError, MalformedBodyError, MarkerInjectionError } from './errors';
import type { BodyResult, FieldContext } from './json-transform';
import { type FieldEdit, spliceFields } from './splice';

/**
 * Decodes one `application/x-www-form-urlencoded` component: `+` is a space, then percent-decoding
 * as UTF-8. Throws MalformedForm on a bad escape or invalid UTF-8.
 */
export function decodeFormComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new MalformedBodyError('MalformedForm', 'the form body has a malformed percent-encoding');
  }
}

/** The rule for a decoded form field name, or undefined when the name is not protected. */
export type FormFieldMatcher = (name: string) => FieldRule | undefined;

/**
 * Encrypts the value of every pair whose name (after URL-decoding) `match` protects, wherever and
 * however often it occurs. Other pairs, their order and their original encoding are untouched.
 * Every name and value is checked for planted markers first. Pairs are split on `&`; a `;` inside a
 * pair would be a separator to some parsers (Go before 1.17, Python's old parse_qs, some PHP
 * setups), so a pair whose `;`-separated part names a protected field is refused.
 * `inspectValue` sees every decoded value left in clear (the edge refuses one that is a document
 * naming a sensitive field, see `embedded.ts`).
 */
export function protectForm(
  text: string,
  match: FormFieldMatcher,
  context: FieldContext,
  inspectValue: (value: string) => void = () => undefined,
): BodyResult {
  const { markers, limits, sealer } = context;
  const edits: FieldEdit[] = [];
  let pairs = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    if (end > start) {
      pairs += 1;
      if (pairs > limits.maxValues) {
        throw new BodyLimitError('TooManyValues', `the body has more than ${limits.maxValues} form fields`);
      }
      const equals = text.indexOf('=', start);
      const nameEnd = equals >= 0 && equals < end ? equals : end;
      const name = decodeFormComponent(text.slice(start, nameEnd));
      const value = nameEnd < end ? decodeFormComponent(text.slice(nameEnd + 1, end)) : '';
      if (markers.test(name) || markers.test(value)) {
        throw new MarkerInjectionError('the body already contains an edge-fle ciphertext marker');
      }
      if (text.lastIndexOf(';', end - 1) >= start) refuseSemicolonFields(text.slice(start, end), match);
      const field = match(name);
      if (!field) inspectValue(value);
      if (field) {
        const plan = sealer.plan(field, 's', Buffer.from(value, 'utf8'), `form:${name}`);
        // A name without '=' gets one: its (empty) value is protected like any other.
        edits.push(nameEnd < end ? { start: nameEnd + 1, end, plan } : { start: end, end, plan, prefix: '=' });
      }
    }
    start = end + 1;
  }
  if (edits.length === 0) return { text: undefined, fields: 0 };
  return { text: spliceFields(text, edits, encodeURIComponent), fields: edits.length };
}

/** Refuses a pair whose `;`-separated parts (after the first) name a protected field. */
function refuseSemicolonFields(pair: string, match: FormFieldMatcher): void {
  for (const part of pair.split(';').slice(1)) {
    const equals = part.indexOf('=');
    const name = decodeFormComponent(equals < 0 ? part : part.slice(0, equals));
    if (match(name)) {
      throw new AmbiguousRequestError(
        'AmbiguousFormSeparator',
        'a form pair holds a ";"-separated protected field, which origins split differently',
      );
    }
  }
}
