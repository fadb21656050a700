/**
 * The one reading of a request path that routes are matched against. Origins resolve the same
 * bytes in many ways: Go and Express decode `%70` to `p`, most collapse `//`, some resolve `.` and
 * `..` and others (Express) do not, Tomcat and Spring drop `;params` from segments, IIS double-decodes and treats `\` as `/`. The edge
 * matches on a canonical path that every such reading agrees with, and refuses a path whose
 * readings could disagree (see {@link canonicalPath}), so no spelling of a protected path can pass
 * as another one.
 */

/** The canonical path, or why the path has no single reading. */
export type CanonicalPath =
  | { readonly path: string; readonly problem?: undefined }
  | { readonly path?: undefined; readonly problem: string };

/** Bytes that are never part of a path an origin reads one way only. */
const FORBIDDEN_RAW = /[\u0000-\u0020\u007f\\;]/;

/**
 * Canonicalises a request path (CloudFront's `request.uri`, no query string): every percent-escape
 * decoded (UTF-8) and NFKC-normalised, repeated slashes collapsed, a trailing slash dropped.
 * Returns a problem instead when readings could differ: an escape that decodes to `/`, `\`, `%`,
 * `;` or a control character (IIS, Tomcat and proxies decode these differently), a bad escape or
 * invalid UTF-8, a raw `\`, `;` (path parameters) or control character, a `.` or `..` segment
 * (raw or escaped: some origins resolve them, Express does not), or a segment with a leading or
 * trailing space.
 *
 * @example canonicalPath('//api/%70eople/') // { path: '/api/people' }
 * @example canonicalPath('/api/people/..') // { problem: … }
 * @example canonicalPath('/api%2fpeople') // { problem: … }
 */
export function canonicalPath(uri: string): CanonicalPath {
  if (!uri.startsWith('/')) return { problem: 'the path does not start with "/"' };
  if (FORBIDDEN_RAW.test(uri)) return { problem: 'the path holds a space, control character, "\\" or ";"' };
  const segments: string[] = [];
  for (const raw of uri.split('/')) {
    let segment = raw;
    if (raw.includes('%')) {
      try {
        segment = decodeURIComponent(raw);
      } catch {
        return { problem: 'the path has a malformed percent-escape' };
      }
    }
    // Compatibility forms read as their plain letters by some stacks (IIS and Windows "best fit":
    // a full-width `ｐ` is `p`, a full-width `．．` is `..`).
    if (/[^\u0000-\u007f]/.test(segment)) segment = segment.normalize('NFKC');
    if (segment !== raw && /[\u0000-\u001f\u007f/\\%;]/.test(segment)) {
      return { problem: 'the path has an escape or compatibility character that reads as a delimiter or control character' };
    }
    if (segment === '') continue;
    // Express, Node's http server and many routers never resolve dot segments (`/api/people/..` is
    // `/api/people/:id` with id ".."); browsers, Go's ServeMux and proxies do: no single reading.
    if (segment === '.' || segment === '..') return { problem: 'the path has a "." or ".." segment, which origins resolve differently' };
    // IIS and Windows drop trailing spaces from a segment; other stacks keep them.
    if (segment.trim() !== segment) return { problem: 'a path segment begins or ends with a space' };
    segments.push(segment);
  }
  return { path: `/${segments.join('/')}` };
}

/**
 * The readings of a canonical path that a route pattern is tried against: the path itself, with a
 * trailing slash (Express and most routers match `/x` and `/x/` alike), and without a format
 * extension on its last segment (Rails and older Spring route `/people.json` to `/people`).
 */
export function pathReadings(path: string): string[] {
  const readings = [path, `${path === '/' ? '' : path}/`];
  const extension = /\.[^./]*$/.exec(path);
  if (extension && extension.index > path.lastIndexOf('/') + 1) {
    const bare = path.slice(0, extension.index);
    readings.push(bare, `${bare}/`);
  }
  return readings;
}
