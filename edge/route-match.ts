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
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, caseSensitive ? 'su' : 'siu');
}

/** A route with its matcher prepared once. */
export interface RouteMatcher<R extends Route = Route> {
  /**
   * The first route whose pattern matches any reading of the canonical path, or undefined: first
   * match wins. The method is not consulted: a body is protected whatever the method says.
   */
  match(canonicalPath: string): R | undefined;
}

/** Prepares every route's pattern once, in config order. */
export function createRouteMatcher<R extends Route>(routes: readonly R[]): RouteMatcher<R> {
  const prepared = routes.map((route) => ({ route, pattern: pathPatternToRegExp(route.path, route.caseSensitive) }));
  return {
    match(path) {
      const readings = pathReadings(path);
      return prepared.find((p) => readings.some((reading) => p.pattern.test(reading)))?.route;
    },
  };
}
