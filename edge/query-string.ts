import type { FieldRule } from '../core/config';
import type { NameMatcher } from '../core/names';
import { SensitiveQueryError } from './errors';

/**
 * Refuses a query string that carries a configured sensitive name. The edge cannot protect a query
 * string: by the time the function runs, the viewer's URL is in CloudFront's access logs, the
 * browser's history and any `Referer` it sends, so encrypting it for the origin would only hide the
 * leak. Pairs are split on `&` and `;`, names decoded leniently (a malformed escape is read as its
 * raw text, as most parsers do; IIS's `%uXXXX` is read both ways) and matched like form field
 * names, brackets included.
 */
export function checkQueryString(query: string, names: NameMatcher<FieldRule>): void {
  if (names.empty) return;
  for (const pair of query.split(/[&;]/)) {
    const equals = pair.indexOf('=');
    const raw = (equals < 0 ? pair : pair.slice(0, equals)).replace(/\+/g, ' ');
    if (raw === '') continue;
    // Classic ASP.NET also decodes IIS's `%uXXXX` escapes: that reading is matched too.
    const iis = /%u[0-9a-f]{4}/i.test(raw)
      ? lenientDecode(raw.replace(/%u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))))
      : undefined;
    if (names.field(lenientDecode(raw)) || (iis !== undefined && names.field(iis))) {
      throw new SensitiveQueryError(
        'a sensitive field is in the query string; send it in the body (query strings are logged before the edge runs)',
      );
    }
  }
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
