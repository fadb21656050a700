import { describe, expect, it } from 'vitest';
import { protectRequest } from '../../../edge/transform';
import { compiled, route } from '../../helpers/keys';

/**
 * Attacker pass 3c, edge (Low): the query string may not carry "the member names a route's JSON
 * paths end with", but a path ending in a wildcard or index (`$.phones[*]`, `$.cards[0]`) contributes
 * no name, so `?phones=555-0100` (or `phones[]=`) passes on that route, where a binder reading query
 * and body parameters as one set (ASP.NET [FromQuery] on the same model, Rails params) reads it.
 */

const config = compiled({ routes: [route({ json: ['$.phones[*]', '$.cards[0]'], form: [] })] });
const query = (querystring: string) => () =>
  protectRequest(config, { method: 'GET', uri: '/api/people', querystring, body: Buffer.alloc(0) });

describe('F9 (Low): a route path ending in [*] or [n] leaves its member out of the query check', () => {
  it.each([['phones=555-0100'], ['phones[]=555-0100'], ['cards=4111111111111111']])('%s is refused', (q) => {
    expect(query(q)).toThrow(expect.objectContaining({ code: 'SensitiveQueryParameter' }));
  });
});
