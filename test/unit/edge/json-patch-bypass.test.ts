import { describe, expect, it } from 'vitest';
import { bodyReachingOrigin, compiled, route } from '../../helpers/keys';

/**
 * Attacker pass 3c, edge: JSON Patch operations the json-patch.ts defence reads differently from
 * the binders that apply them. Each body is sent as `application/json-patch+json` PATCH to
 * /api/people/7; the assertion is that the secret never reaches the origin in clear (a refusal
 * counts as a pass: bodyReachingOrigin returns '').
 */

const SECRET = '123-45-6789';
const PAN = '4111111111111111';
const patchTo = (config: ReturnType<typeof compiled>, body: unknown) =>
  bodyReachingOrigin(config, JSON.stringify(body), { contentType: 'application/json-patch+json', method: 'PATCH', uri: '/api/people/7' });

const names = compiled({ names: ['ssn', 'email'], routes: [route({ json: ['$[*].notes'], form: [] })] });

describe('F1 (High): a second spelling of `path` / `op` in one operation (Newtonsoft / System.Text.Json: case-insensitive, last wins)', () => {
  it('`path` then `Path`: the edge reads the first (/nickname), ASP.NET JsonPatchDocument the last (/ssn)', () => {
    expect(patchTo(names, [{ op: 'replace', path: '/nickname', Path: '/ssn', value: SECRET }])).not.toContain(SECRET);
  });

  it('`op` then `Op`: the edge reads "replace", ASP.NET reads "copy" from a clear member into /ssn', () => {
    const patch = [
      { op: 'add', path: '/nickname', value: SECRET },
      { op: 'replace', Op: 'copy', from: '/nickname', path: '/ssn', value: 'x' },
    ];
    // The copy lands the clear /nickname value in ssn: the defence meant to refuse it (SensitivePatchMove).
    expect(patchTo(names, patch)).toBe('');
  });
});

describe('F2 (High): `op` spelled as .NET Enum.Parse(ignoreCase) reads it ("4" = Copy, "3" = Move, surrounding spaces)', () => {
  it.each([['4'], ['3'], [' copy'], ['move ']])('op %j into /ssn is refused like copy/move', (op) => {
    const patch = [
      { op: 'add', path: '/nickname', value: SECRET },
      { op, from: '/nickname', path: '/ssn' },
    ];
    expect(patchTo(names, patch)).toBe('');
  });
});

describe('F3 (High): a route path that selects *inside* the patch value (the value is an object, the pointer is its parent)', () => {
  it('the sample route `$..card.number`: add /card {"number": PAN}', () => {
    const sample = compiled({ names: [] }); // route(): $[*].ssn, $[*].email, $..card.number
    expect(patchTo(sample, [{ op: 'add', path: '/card', value: { number: PAN } }])).not.toContain(PAN);
  });

  it('`$[*].notes`: add /- {"notes": SECRET} (a new element of the stored array)', () => {
    expect(patchTo(names, [{ op: 'add', path: '/-', value: { notes: SECRET } }])).not.toContain(SECRET);
  });

  it('`$.person.taxId`: add /person {"taxId": SECRET}', () => {
    const config = compiled({ routes: [route({ json: ['$.person.taxId'], form: [] })] });
    expect(patchTo(config, [{ op: 'add', path: '/person', value: { taxId: SECRET } }])).not.toContain(SECRET);
  });

  it('`$[*].notes`: replace the whole document ("path": "")', () => {
    expect(patchTo(names, [{ op: 'replace', path: '', value: [{ notes: SECRET }] }])).not.toContain(SECRET);
  });
});

describe('F4 (High): a pointer *below* a member a route path protects whole', () => {
  const config = compiled({ routes: [route({ json: ['$.address', '$.phones[*]'], form: [] })] });

  it('`$.address` (sealed whole): replace /address/street', () => {
    expect(patchTo(config, [{ op: 'replace', path: '/address/street', value: '1 Secret Rd' }])).not.toContain('Secret Rd');
  });

  it('`$.phones[*]`: replace /phones/0 and add /phones/-', () => {
    expect(patchTo(config, [{ op: 'replace', path: '/phones/0', value: '555-0100' }])).not.toContain('555-0100');
    expect(patchTo(config, [{ op: 'add', path: '/phones/-', value: '555-0100' }])).not.toContain('555-0100');
  });
});
