import { describe, expect, it } from 'vitest';
import { protectRequest } from '../../../edge/transform';
import { compiled, route } from '../../helpers/keys';

/**
 * Attack (edge, Medium): the query string is checked against the config's `names` only. A route's
 * form fields (`routes[].form`, here `fname`) are passed in the query on that route's own path.
 * Form binders read query and body parameters as one set: Spring `@ModelAttribute`/`@RequestParam`
 * and the Servlet API (`getParameter` returns the query's value first), PHP `$_REQUEST`, Rails
 * `params`, ASP.NET MVC model binding, Express + `qs` with `req.query` merged by many helpers. So
 * `POST /api/people?fname=…` with any body, or `fname` in both places, binds the clear query value.
 */

const SECRET = 'Alice-Secret';
const config = compiled({ names: ['ssn'], routes: [route({ json: ['$[*].fname'], form: ['fname'] })] });

describe("a route's form field in the query string of that route's path", () => {
  it.each([
    ['with a form body', 'application/x-www-form-urlencoded', 'lname=Smith'],
    ['beside the same field in the body', 'application/x-www-form-urlencoded', 'fname=decoy'],
    ['with a JSON body', 'application/json', '[{"lname":"Smith"}]'],
  ])('%s is refused like a sensitive name', (_name, contentType, body) => {
    const call = () =>
      protectRequest(config, { method: 'POST', uri: '/api/people', querystring: `fname=${SECRET}`, contentType, body: Buffer.from(body) });
    expect(call).toThrow(expect.objectContaining({ code: 'SensitiveQueryParameter' }));
  });
});
