import { describe, expect, it } from 'vitest';
import { parseJsonPath } from '../../../core/jsonpath';
import { namesInPath } from '../../../edge/member-spelling';
import { bodyReachingOrigin, compiled, route } from '../../helpers/keys';

/**
 * Found by an attacker pass (edge, High): F5 made a JSONPath's member names compare as binders compare them (FNAME
 * alone is fname), but only for paths without a filter. A path with a filter expression runs on
 * jsonpath-plus and compares exactly, both in the members it selects and in the members its filter
 * reads. Go's encoding/json, ASP.NET Core and Newtonsoft bind `NOTES` and `TYPE` to `notes` and
 * `type`, so the origin receives a person whose notes are in clear. The twin refusal only fires when
 * the exact member is also present.
 */

const SECRET = '123-45-6789';
const config = compiled({
  names: ['ssn'],
  routes: [route({ json: ['$[?(@.type=="person")].notes'], form: [] })],
});

describe('a route JSONPath with a filter expression', () => {
  it('protects the exact spelling (control)', () => {
    expect(bodyReachingOrigin(config, JSON.stringify([{ type: 'person', notes: SECRET }]))).not.toContain(SECRET);
  });

  it.each([
    ['the selected member in another case, alone', { type: 'person', NOTES: SECRET }],
    ['the selected member in another width, alone', { type: 'person', ｎｏｔｅｓ: SECRET }],
    ['the member the filter reads in another case', { TYPE: 'person', notes: SECRET }],
    ['both in another case', { Type: 'person', Notes: SECRET }],
  ])('%s: the value never reaches the origin in clear', (_name, person) => {
    expect(bodyReachingOrigin(config, JSON.stringify([person]))).not.toContain(SECRET);
  });
});

describe('namesInPath', () => {
  it('lists the names a path selects and every link of the members its filters read', () => {
    const parsed = parseJsonPath(`$[?(@.person.type=="x" && @['kind']=="y")].notes`);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(namesInPath(parsed).sort()).toEqual(['kind', 'notes', 'person', 'type']);
  });
});
