import type { Route } from '../core/config';
import { pathReadings } from './canonical-path';

/**
 * Turns a CloudFront path pattern into a RegExp: `*` matches any run of characters (including
 * `/`), `?` exactly one, everything else itself; anchored at both ends; case-insensitive unless
 * `caseSensitive` (origins such as ASP.NET and IIS route case-insensitively).
 *
 * @example pathPatternToRegExp('/api/people*').test('/api/people/42') // true
 */
export function pathPatternToRegExp(pattern: string, caseSensitive = true): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, caseSensitive ? 'su' : 'siu');
}

/** Two readings of one path (`/x.json` and `/x`, say) name different routes: no single answer. */
export const AMBIGUOUS = Symbol('ambiguous route');

/** A route with its matcher prepared once. */
export interface RouteMatcher<R extends Route = Route> {
  /**
   * The route the canonical path names: for each reading (see `pathReadings`) the first route whose
   * pattern matches it, in config order. Undefined when no reading matches a route; {@link AMBIGUOUS}
   * when readings name different routes (an origin could route the request to either). The method
   * is not consulted: a body is protected whatever the method says.
   */
  match(canonicalPath: string): R | undefined | typeof AMBIGUOUS;
}

/** Prepares every route's pattern once, in config order. */
export function createRouteMatcher<R extends Route>(routes: readonly R[]): RouteMatcher<R> {
  const prepared = routes.map((route) => ({ route, pattern: pathPatternToRegExp(route.path, route.caseSensitive) }));
  return {
    match(path) {
      let found: R | undefined;
      for (const reading of pathReadings(path)) {
        // .NET's OrdinalIgnoreCase (ASP.NET Core routing) compares upper-cased characters, so the
        // dotless `ı` is `I` is `i` there, which simple case folding in a RegExp does not see.
        const upper = reading.toUpperCase();
        const route = prepared.find((p) => p.pattern.test(reading) || (!p.route.caseSensitive && p.pattern.test(upper)))?.route;
        if (route === undefined || route === found) continue;
        if (found !== undefined) return AMBIGUOUS;
        found = route;
      }
      return found;
    },
  };
}
