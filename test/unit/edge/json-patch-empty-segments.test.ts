import { describe, expect, it } from 'vitest';
import { bodyReachingOrigin, compiled, route } from '../../helpers/keys';

/**
 * Found by an attacker pass (edge, JSON Patch): ASP.NET Core's JsonPatchDocument (the binder the README
 * names) reads a pointer through `ParsedPath`, which drops empty segments
 * (`path.Split('/', RemoveEmptyEntries)` in older versions, `if (sb.Length > 0)` in `ParsePath`
 * now): `ssn`, `//ssn`, `card/number` and `//card//number` are all the member `ssn` /
 * `card.number`. The edge splits on `/` and drops only the first segment, so a path without a
 * leading slash has no segment at all (`ssn` → []), and a doubled slash puts a `""` member in the
 * landed document that no route path selects.
 */

const S = '123-45-6789';
const PAN = '4111111111111111';
const config = compiled({ names: ['ssn', 'email'], routes: [route({ json: ['$[*].notes', '$..card.number'], form: [] })] });
const patch = (body: unknown, contentType = 'application/json-patch+json') =>
  bodyReachingOrigin(config, JSON.stringify(body), { contentType, method: 'PATCH', uri: '/api/people/7' });

describe('F1 (High): a JSON Patch pointer without its leading slash, or with doubled slashes', () => {
  it('sensitive name: {"op":"replace","path":"ssn","value":S} (ASP.NET sets Person.Ssn)', () => {
    expect(patch([{ op: 'replace', path: 'ssn', value: S }])).not.toContain(S);
  });

  it('same inside a {"patch": [...]} wrapper, as application/json', () => {
    expect(patch({ patch: [{ op: 'replace', path: 'ssn', value: S }] }, 'application/json')).not.toContain(S);
  });

  it('route path $..card.number: "path":"card/number"', () => {
    expect(patch([{ op: 'add', path: 'card/number', value: PAN }])).not.toContain(PAN);
  });

  it('route path $..card.number: "path":"//card//number"', () => {
    expect(patch([{ op: 'add', path: '//card//number', value: PAN }])).not.toContain(PAN);
  });

  it('route path $[*].notes: "path":"0/notes"', () => {
    expect(patch([{ op: 'add', path: '0/notes', value: S }])).not.toContain(S);
  });
});
