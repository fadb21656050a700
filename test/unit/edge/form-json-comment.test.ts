import { describe, expect, it } from 'vitest';
import { bodyReachingOrigin, compiled, route } from '../../helpers/keys';

/**
 * Attack (edge, High, bypass of F3): a form-labelled body that "looks like JSON" is refused when
 * its first character after whitespace is `{` or `[`, because origins that sniff or ignore the label
 * use lax JSON readers, which the fix itself names: Newtonsoft (Json.NET) and JSON5 take comments.
 * A leading comment hides the `{`: `/​**​/{"ssn":"…"}` or `// x\n{"ssn":"…"}` is parsed as one form
 * pair whose name is the whole text (no sensitive name) and forwarded in clear; Json.NET
 * (`JObject.Parse`, `JsonConvert.DeserializeObject`, ASP.NET MVC with Newtonsoft) reads
 * `{"ssn":"…"}`. An RFC 7464 record separator (U+001E) before `{` is not whitespace either.
 */

const SECRET = '123-45-6789';
const config = compiled({ names: ['ssn'], routes: [route({ json: ['$.notes'], form: ['notes'] })] });

describe('a form-labelled JSON body behind a leading comment', () => {
  it.each([
    ['a block comment', `/**/{"ssn":"${SECRET}"}`],
    ['a line comment', `// profile\n{"ssn":"${SECRET}"}`],
    ['a block comment and spaces', ` /* x */ [{"ssn":"${SECRET}"}]`],
    ['a record separator', `\u001e{"ssn":"${SECRET}"}`],
  ])('%s: the value never reaches the origin in clear', (_name, body) => {
    expect(bodyReachingOrigin(config, body, { contentType: 'application/x-www-form-urlencoded' })).not.toContain(SECRET);
  });
});
