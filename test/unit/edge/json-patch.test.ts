import { describe, expect, it } from 'vitest';
import { protectRequest } from '../../../edge/transform';
import { bodyReachingOrigin, compiled, route } from '../../helpers/keys';

/**
 * Found by an attacker pass (edge, High): a JSON Patch (RFC 6902, `application/json-patch+json`, a `+json` type the
 * edge accepts as JSON) names the member it sets in a JSON Pointer *value* (`"path": "/ssn"`) and
 * carries the sensitive value under `"value"`. ASP.NET Core's JsonPatchDocument, fast-json-patch
 * (Node), json-patch (Java, Spring's PATCH handlers), jsonpatch (Python) apply it and store `ssn` in
 * clear. The edge matches member names only, so `ssn` (a name "protected everywhere") passes. The
 * same holds for a route path (`$[*].notes` via `/0/notes`) and for `"op":"add"` / `"replace"` /
 * `"test"` and `"from"`-less ops.
 */

const SECRET = '123-45-6789';
const config = compiled({ names: ['ssn', 'email'], routes: [route({ json: ['$[*].notes'], form: [] })] });

describe('JSON Patch documents', () => {
  it.each([
    ['replace /ssn', [{ op: 'replace', path: '/ssn', value: SECRET }]],
    ['add /profile/ssn', [{ op: 'add', path: '/profile/ssn', value: SECRET }]],
    ['replace /SSN (case-insensitive binder)', [{ op: 'replace', path: '/SSN', value: SECRET }]],
    ['replace /0/notes (the route path $[*].notes)', [{ op: 'replace', path: '/0/notes', value: SECRET }]],
    ['control: a value object holding ssn is protected', [{ op: 'add', path: '/profile', value: { ssn: SECRET } }]],
  ])('%s: the value never reaches the origin in clear', (_name, patch) => {
    expect(
      bodyReachingOrigin(config, JSON.stringify(patch), {
        contentType: 'application/json-patch+json',
        method: 'PATCH',
        uri: '/api/people/7',
      }),
    ).not.toContain(SECRET);
  });
});

describe('JSON Patch moves and copies', () => {
  it.each([
    ['move into /ssn', { op: 'move', from: '/nickname', path: '/ssn' }],
    ['copy into /profile/SSN', { op: 'copy', from: '/nickname', path: '/profile/SSN' }],
  ])('%s is refused: the clear source is elsewhere in the record', (_name, op) => {
    const patch = [{ op: 'add', path: '/nickname', value: SECRET }, op];
    const call = () =>
      protectRequest(config, {
        method: 'PATCH',
        uri: '/api/people/7',
        contentType: 'application/json-patch+json',
        body: Buffer.from(JSON.stringify(patch)),
      });
    expect(call).toThrow(expect.objectContaining({ code: 'SensitivePatchMove' }));
  });

  it('leaves an operation on an unprotected member as it is', () => {
    const patch = JSON.stringify([{ op: 'replace', path: '/nickname', value: 'Al' }]);
    const outcome = protectRequest(config, {
      method: 'PATCH',
      uri: '/api/people/7',
      contentType: 'application/json-patch+json',
      body: Buffer.from(patch),
    });
    expect(outcome.action).toBe('forward');
  });
});
