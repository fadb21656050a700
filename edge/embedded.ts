import type { FieldRule } from '../core/config';
import type { NameMatcher } from '../core/names';
import { EmbeddedNameError } from './errors';

/** Comments JSON5, Newtonsoft and GraphQL readers skip: `#…` (GraphQL), `//…`, `/*…*\/`. */
const COMMENTS = /#[^\r\n]*|\/\/[^\r\n]*|\/\*[\s\S]*?(?:\*\/|$)/g;
/**
 * A member, argument or input-object field name and its `:`: double-quoted (JSON), single-quoted
 * (Newtonsoft, JSON5) or bare (GraphQL, JSON5), with anything a lax reader skips between. A bare
 * name starts only where a word starts, and an unclosed comment runs to the end, so a hostile
 * megabyte is scanned in linear time.
 */
const NAME_COLON =
  /"((?:[^"\\]|\\.)*)"\s*:|'((?:[^'\\]|\\.)*)'\s*:|(?<![\w$\u0080-\uffff-])([_A-Za-z$\u0080-\uffff][\w$\u0080-\uffff-]*)\s*:/g;

/**
 * Refuses a string value that may be a document of its own naming a sensitive field, which an
 * origin parses again: JSON serialised into a string (`{"payload": "{\"ssn\": …}"}`, webhook
 * `data`, SNS and SQS envelopes), in the lax dialects origins read (single quotes, comments,
 * trailing commas, `NaN`, several values), or a GraphQL operation with inline arguments
 * (`mutation { createPerson(ssn: "…") }`, commas and comments being GraphQL's ignored tokens).
 * The edge cannot protect a value inside such a string without changing the string, so it refuses
 * the request. Not a parse: any string holding a `{` is read this way, with comments and commas
 * dropped, and a sensitive name followed by `:` refuses it; GraphQL variables are protected as
 * any JSON member is.
 */
export function refuseEmbeddedNames(value: string, names: NameMatcher<FieldRule>): void {
  if (names.empty || !value.includes('{')) return;
  const stripped = value.replace(COMMENTS, ' ').replace(/,/g, ' ');
  for (const m of stripped.matchAll(NAME_COLON)) {
    const name = m[1] !== undefined ? unescapeJson(m[1]) : (m[2] ?? m[3] ?? '');
    if (names.field(name)) {
      throw new EmbeddedNameError(
        'a string value is a JSON or GraphQL document naming a sensitive field; send it as a member (GraphQL: as a variable)',
      );
    }
  }
}

/** A double-quoted name's JSON escapes decoded (`\u0073sn` is `ssn`); as written when they do not decode. */
function unescapeJson(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
