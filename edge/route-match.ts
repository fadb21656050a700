import type { Route } from '../core/config';

/**
 * Turns a CloudFront path pattern into a RegExp: `*` matches any run of characters (including
 * `/`), `?` exactly one, everything else itself; case-sensitive, anchored at both ends.
 *
 * @example pathPatternToRegExp('/api/people*').test('/api/people/42') // true
 */
export function pathPatternToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

/** A route with its matcher prepared once. */
export interface RouteMatcher<R extends Route = Route> {
  /** The first route matching the method and URI, or undefined: first match wins. */
  match(method: string, uri: string): R | undefined;
}

/** Prepares every route's pattern once, in config order. */
export function createRouteMatcher<R extends Route>(routes: readonly R[]): RouteMatcher<R> {
  const prepared = routes.map((route) => ({
    route,
    methods: new Set<string>(route.methods),
    pattern: pathPatternToRegExp(route.path),
  }));
  return {
    match(method, uri) {
      const upper = method.toUpperCase();
      return prepared.find((p) => p.methods.has(upper) && p.pattern.test(uri))?.route;
    },
  };
}
