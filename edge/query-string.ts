import type { MarkerMatcher } from '../core/format/marker';
import { MarkerInjectionError, SensitiveQueryError } from './errors';
import type { FormFieldMatcher } from './form-transform';

/**
 * Refuses a query string that carries a protected name, or a ciphertext marker. The edge cannot
 * protect a query string: by the time the function runs, the viewer's URL is in CloudFront's
 * access logs, the browser's history and any `Referer` it sends, so encrypting it for the origin
 * would only hide the leak. `fields` says what is protected here: on a route, its form fields, the
 * member names its JSON paths end with and the sensitive names (form binders read query and body
 * parameters as one set); elsewhere the sensitive names. A marker is refused as in a body: an
 * origin storing the parameter would keep a replayed marker, and decrypt would open it there.
 * Pairs are split on `&` and `;`, names and values decoded leniently (a malformed escape is read
 * as its raw text, as most parsers do; IIS's `%uXXXX` is read both ways) and names matched like
 * form field names, brackets included.
 */
export function checkQueryString(query: string, fields: FormFieldMatcher, markers: MarkerMatcher): void {
  for (const pair of query.split(/[&;]/)) {
    // The whole pair, `+` kept: a payload may hold `+`, and no marker holds a space or `&`.
    if (readings(pair).some((reading) => markers.test(reading))) {
      throw new MarkerInjectionError('the query string holds an edge-fle ciphertext marker');
    }
    const equals = pair.indexOf('=');
    const name = (equals < 0 ? pair : pair.slice(0, equals)).replace(/\+/g, ' ');
    if (name === '') continue;
    if (readings(name).some((reading) => fields(reading) !== undefined)) {
      throw new SensitiveQueryError(
        'a sensitive field is in the query string; send it in the body (query strings are logged before the edge runs)',
      );
    }
  }
}

/** A query component as parsers read it: percent-decoded, and also with IIS's `%uXXXX` decoded. */
function readings(raw: string): string[] {
  const plain = lenientDecode(raw);
  if (!/%u[0-9a-f]{4}/i.test(raw)) return [plain];
  // Classic ASP.NET also decodes IIS's `%uXXXX` escapes.
  return [plain, lenientDecode(raw.replace(/%u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))))];
}

/** Percent-decodes what decodes and keeps the rest, so a bad escape cannot hide a name. */
function lenientDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw.replace(/%([0-9A-Fa-f]{2})/g, (spelled, hex: string) => {
      const code = Number.parseInt(hex, 16);
      return code < 0x80 ? String.fromCharCode(code) : spelled;
    });
  }
}
