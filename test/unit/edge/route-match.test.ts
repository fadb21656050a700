import { describe, expect, it } from 'vitest';
import { canonicalPath, pathReadings } from '../../../edge/canonical-path';
import { AMBIGUOUS, createRouteMatcher, pathPatternToRegExp } from '../../../edge/route-match';
import { route } from '../../helpers/keys';

describe('pathPatternToRegExp (CloudFront path pattern semantics)', () => {
  it.each([
    ['/api/people*', '/api/people', true],
    ['/api/people*', '/api/people/42/cards', true],
    ['/api/people*', '/x/api/people', false],
    ['/api/?/items', '/api/7/items', true],
    ['/api/?/items', '/api/77/items', false],
    ['/a.b+c(d)', '/a.b+c(d)', true],
    ['/a.b+c(d)', '/aXb+c(d)', false],
    ['*', '/anything', true],
  ])('%s matches %s: %s', (pattern, uri, matches) => {
    expect(pathPatternToRegExp(pattern).test(uri)).toBe(matches);
  });

  it('is case-insensitive unless the route is case-sensitive', () => {
    expect(pathPatternToRegExp('/api/people*', false).test('/API/People')).toBe(true);
    expect(pathPatternToRegExp('/api/people*', true).test('/API/People')).toBe(false);
  });
});

describe('canonicalPath', () => {
  it.each([
    ['/api/people', '/api/people'],
    ['//api//people', '/api/people'],
    ['/api/%70eople', '/api/people'],
    ['/api/people/', '/api/people'],
    ['/', '/'],
    ['/caf%C3%A9', '/café'],
  ])('%s reads as %s', (uri, path) => {
    expect(canonicalPath(uri)).toEqual({ path });
  });

  it.each([
    ['/api%2fpeople'],
    ['/api%2Fpeople'],
    ['/api%5cpeople'],
    ['/api\\people'],
    ['/api/people;jsessionid=1'],
    ['/api;x=1/people'],
    ['/api/%2570eople'],
    ['/api/%zzpeople'],
    ['/api/%C3'],
    ['/api/%00people'],
    ['/../api/people'],
    ['/api/../../people'],
    // Dot segments: Express never resolves them (`/api/people/..` is `/api/people/:id`), others do.
    ['/api/./people'],
    ['/x/../api/people'],
    ['/api/people/..'],
    ['/api/people/%2e%2e'],
    ['/api/people/.%2E'],
    ['/api/%2e/people'],
    // A segment's trailing space is dropped by IIS, kept by others.
    ['/api/signup%20'],
    ['/api/%20people'],
    ['/api/ people'],
    ['api/people'],
  ])('%s has no single reading', (uri) => {
    expect(canonicalPath(uri).problem).toEqual(expect.any(String));
  });

  it('offers the trailing-slash and extension-less readings', () => {
    expect(pathReadings('/api/people.json')).toEqual(['/api/people.json', '/api/people.json/', '/api/people', '/api/people/']);
    expect(pathReadings('/api/.hidden')).toEqual(['/api/.hidden', '/api/.hidden/']);
  });
});

describe('createRouteMatcher', () => {
  const matcher = createRouteMatcher([
    route({ name: 'people-post', methods: ['POST'], path: '/api/people*' }),
    route({ name: 'exact', methods: ['PUT', 'POST'], path: '/api/cards' }),
    route({ name: 'strict', methods: ['POST'], path: '/Case', caseSensitive: true }),
  ]);

  it('matches the path whatever the method would be, first match wins', () => {
    expect((matcher.match('/api/people/1') as { name: string }).name).toBe('people-post');
    expect((matcher.match('/api/cards') as { name: string }).name).toBe('exact');
  });

  it('matches other spellings of an exact path as routers read them', () => {
    const name = (path: string): string | undefined => {
      const found = matcher.match(path);
      return found === AMBIGUOUS ? 'AMBIGUOUS' : found?.name;
    };
    expect(name('/API/Cards')).toBe('exact');
    expect(name('/api/cards.json')).toBe('exact');
    expect(name('/Case')).toBe('strict');
    expect(matcher.match('/case')).toBeUndefined();
  });

  it('matches nothing for another path', () => {
    expect(matcher.match('/health')).toBeUndefined();
  });

  it('answers AMBIGUOUS when readings of one path name different routes', () => {
    const two = createRouteMatcher([route({ name: 'export', path: '/api/export.json' }), route({ name: 'api', path: '/api/export' })]);
    expect(two.match('/api/export.json')).toBe(AMBIGUOUS);
    expect((two.match('/api/export') as { name: string }).name).toBe('api');
  });
});

describe('canonicalPath with compatibility characters', () => {
  it('reads full-width letters as their plain forms, and refuses full-width dot segments and a full-width solidus', () => {
    expect(canonicalPath('/api/%EF%BD%90eople')).toEqual({ path: '/api/people' });
    expect(canonicalPath('/x/%EF%BC%8E%EF%BC%8E/api/people').problem).toEqual(expect.any(String));
    expect(canonicalPath('/api%EF%BC%8Fpeople').problem).toEqual(expect.any(String));
  });
});
