import { describe, expect, it } from 'vitest';
import { bodyReachingOrigin, compiled } from '../../helpers/keys';

/**
 * Found by an attacker pass (edge, embedded.ts): a string is checked as JSON only when JS `JSON.parse`
 * accepts it; otherwise only the GraphQL pattern `name\s*:` is tried, which never matches a
 * *quoted* member name (`"ssn":`, `'ssn':`). The origins that parse such a string are laxer than
 * JSON.parse: Newtonsoft (`JObject.Parse`, `JsonConvert.DeserializeObject`, ASP.NET's default
 * before 3.0) takes single quotes, trailing commas and comments; Python's `json.loads` takes NaN;
 * Go's `json.Decoder`, and any JSON Lines reader, takes several values in a row. The edge's own
 * form check (`looksLikeJson`) already names these readers. Also: a body that is a JSON *string*
 * holding JSON (double-serialised, which `[FromBody] string` + `JsonConvert` or a second
 * `json.loads` reads) is never inspected.
 */

const S = '123-45-6789';
const config = compiled({ names: ['ssn', 'email'] });
const reach = (body: string) => bodyReachingOrigin(config, body, { contentType: 'application/json', uri: '/api/webhook' });
const payload = (inner: string) => reach(JSON.stringify({ payload: inner }));

describe('F3 (High): JSON in a string that JSON.parse refuses but origins read', () => {
  it.each([
    ['Newtonsoft single quotes', `{'ssn':'${S}'}`],
    ['Newtonsoft trailing comma', `{"ssn":"${S}",}`],
    ['Newtonsoft comment before the value', `/*c*/{"ssn":"${S}"}`],
    ['Python json.loads NaN', `{"ssn":"${S}","score":NaN}`],
    ['JSON Lines / Go json.Decoder stream', `{"id":1}\n{"ssn":"${S}"}`],
    ['BOM before the value', `\uFEFF{"ssn":"${S}"}`],
  ])('%s', (_label, inner) => {
    expect(payload(inner)).not.toContain(S);
  });

  it('a body that is one JSON string holding JSON (double-serialised)', () => {
    expect(reach(JSON.stringify(JSON.stringify({ ssn: S })))).not.toContain(S);
  });
});
