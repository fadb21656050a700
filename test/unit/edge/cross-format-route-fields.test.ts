import { describe, expect, it } from 'vitest';
import { protectRequest } from '../../../edge/transform';
import { compiled, route } from '../../helpers/keys';

/**
 * Found by an attacker pass (edge): a route's fields are applied only in the format they are listed for, and a
 * body of the *other* format is accepted as soon as the config declares any `names`. The
 * "a route only accepts a format it lists fields for" refusal is skipped when names exist, yet the
 * names do not cover the route's own fields. So on /api/people (JSON paths `$[*].fname`,
 * `$[*].email`; form field `card_number`) with `names: ["ssn"]`:
 *   - a form body `fname=…&email=…` reaches the origin in clear (the edge already refuses the same
 *     names in the *query string* of this route, because form binders read query and body as one
 *     set: Spring @ModelAttribute, ASP.NET model binding, Express with both body parsers, PHP);
 *   - a JSON body `{"card_number": "4111…"}` reaches the origin in clear on the same route.
 */
const FNAME = 'Alice-Secret';
const CARD = '4111111111111111';
const config = compiled({ names: ['ssn'], routes: [route({ json: ['$[*].fname', '$[*].email'], form: ['card_number'] })] });

const send = (contentType: string, body: string) =>
  protectRequest(config, { method: 'POST', uri: '/api/people', contentType, body: Buffer.from(body) });

/** What the origin would read: the replaced body, or the original on forward. */
const reaching = (contentType: string, body: string): string => {
  const outcome = send(contentType, body);
  return outcome.action === 'replace' ? outcome.body : body;
};

describe("a route's fields sent in the other format on that route", () => {
  it('the query string refuses fname on this route (binders read query and form as one set)', () => {
    expect(() =>
      protectRequest(config, {
        method: 'POST',
        uri: '/api/people',
        querystring: `fname=${FNAME}`,
        contentType: 'application/json',
        body: Buffer.from('[]'),
      }),
    ).toThrow(expect.objectContaining({ code: 'SensitiveQueryParameter' }));
  });

  it('a form body carrying a JSON-path member never reaches the origin in clear', () => {
    let origin: string | undefined;
    try {
      origin = reaching('application/x-www-form-urlencoded', `fname=${FNAME}&email=alice%40example.com`);
    } catch {
      return; // refused: fine
    }
    expect(origin).not.toContain(FNAME);
    expect(origin).not.toContain('alice%40example.com');
  });

  it('a JSON body carrying a route form field never reaches the origin in clear', () => {
    let origin: string | undefined;
    try {
      origin = reaching('application/json', `{"card_number":"${CARD}"}`);
    } catch {
      return;
    }
    expect(origin).not.toContain(CARD);
  });
});
