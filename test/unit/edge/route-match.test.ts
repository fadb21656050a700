import { describe, expect, it } from 'vitest';
import { createRouteMatcher, pathPatternToRegExp } from '../../../edge/route-match';
import { route } from '../../helpers/keys';

describe('pathPatternToRegExp (CloudFront path pattern semantics)', () => {
  it.each([
    ['/api/people*', '/api/people', true],
    ['/api/people*', '/api/people/42/cards', true],
    ['/api/people*', '/api/People', false],
    ['/api/people*', '/x/api/people', false],
    ['/api/?/items', '/api/7/items', true],
    ['/api/?/items', '/api/77/items', false],
    ['/a.b+c(d)', '/a.b+c(d)', true],
    ['/a.b+c(d)', '/aXb+c(d)', false],
    ['*', '/anything', true],
  ])('%s matches %s: %s', (pattern, uri, matches) => {
    expect(pathPatternToRegExp(pattern).test(uri)).toBe(matches);
  });
});

describe('createRouteMatcher', () => {
  const matcher = createRouteMatcher([
    route({ name: 'people-post', methods: ['POST'], path: '/api/people*' }),
    route({ name: 'people-any', methods: ['PUT', 'POST'], path: '/api/*' }),
  ]);

  it('matches by method and path, first match wins', () => {
    expect(matcher.match('POST', '/api/people/1')?.name).toBe('people-post');
    expect(matcher.match('PUT', '/api/people/1')?.name).toBe('people-any');
  });

  it('compares methods case-insensitively as CloudFront reports them upper case', () => {
    expect(matcher.match('post', '/api/people')?.name).toBe('people-post');
  });

  it('matches nothing for another method or path', () => {
    expect(matcher.match('GET', '/api/people')).toBeUndefined();
    expect(matcher.match('POST', '/health')).toBeUndefined();
  });
});
