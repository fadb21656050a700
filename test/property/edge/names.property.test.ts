import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdgeError } from '../../../edge/errors';
import { protectRequest } from '../../../edge/transform';
import { compiled, route } from '../../helpers/keys';

/**
 * A configured sensitive name, spelled any way an origin would still read as that name, placed
 * anywhere in a random JSON or form body, sent to any spelling of any path: its value never reaches
 * the origin in clear. The edge either refuses (an EdgeError) or forwards a body without the value.
 */

const config = compiled({ names: ['ssn', 'card_number'], routes: [route({ json: ['$[*].email'], form: ['email'] })] });

/** A value that cannot appear in the output by accident (markers are base64 and ids). */
const secret = fc.stringMatching(/^[0-9]{3}-[0-9]{2}-[0-9]{4}$/);

/** Spellings of `ssn` / `card_number` that origins read as the configured name. */
const variant = fc.oneof(
  fc
    .constantFrom('ssn', 'card_number')
    .chain((name) =>
      fc
        .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
        .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')),
    ),
  fc.constantFrom('ſsn', 'ＳＳＮ', 'S_S_N', 'card.number', 'card number', 'Card-Number', 'cardNumber', 'CARDNUMBER'),
);

/** Random JSON with the sensitive member somewhere inside. */
const jsonBody = fc
  .tuple(variant, secret, fc.array(fc.constantFrom('array', 'object'), { maxLength: 5 }), fc.string({ maxLength: 4 }))
  .map(([name, value, wrappers, filler]) => {
    let doc: unknown = { [name]: value, other: filler };
    for (const wrapper of wrappers) doc = wrapper === 'array' ? [filler, doc] : { [`k${filler}`]: doc };
    return { body: JSON.stringify(doc), value };
  });

/** A form body with the sensitive field, possibly nested in bracket or dot notation. */
const formBody = fc
  .tuple(variant, secret, fc.constantFrom('', 'person[', 'a[0][', 'person.'), fc.boolean())
  .map(([name, value, prefix, percent]) => {
    const field = prefix.endsWith('[') ? `${prefix}${name}]` : `${prefix}${name}`;
    const spelled = percent
      ? [...Buffer.from(field, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
      : encodeURIComponent(field);
    return { body: `a=1&${spelled}=${encodeURIComponent(value)}&b=2`, value };
  });

/** Spellings of a protected path and of paths no route names. */
const paths = fc.constantFrom(
  '/api/people',
  '/API/People',
  '//api/people',
  '/api/./people',
  '/x/../api/people',
  '/api/%70eople',
  '/other',
  '/',
  '/api/people.json',
);

describe('protection by name, everywhere', () => {
  it('never forwards a sensitive value in clear, whatever the spelling, nesting, format or path', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonBody.map((b) => ({ ...b, type: 'application/json' })),
          formBody.map((b) => ({ ...b, type: 'application/x-www-form-urlencoded' })),
        ),
        paths,
        fc.constantFrom('POST', 'PUT', 'DELETE', 'OPTIONS'),
        ({ body, value, type }, uri, method) => {
          let out: string;
          try {
            const outcome = protectRequest(config, { method, uri, contentType: type, body: Buffer.from(body) });
            out = outcome.action === 'replace' ? outcome.body : body;
          } catch (error) {
            expect(error).toBeInstanceOf(EdgeError);
            return;
          }
          expect(out).not.toContain(value);
          if (type !== 'application/json') expect(decodeURIComponent(out)).not.toContain(value);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses a sensitive name in the query string, however it is spelled', () => {
    fc.assert(
      fc.property(variant, secret, fc.constantFrom('&', ';'), (name, value, separator) => {
        expect(() =>
          protectRequest(config, {
            method: 'GET',
            uri: '/anything',
            querystring: `x=1${separator}${encodeURIComponent(name)}=${value}`,
            body: Buffer.alloc(0),
          }),
        ).toThrow(expect.objectContaining({ code: 'SensitiveQueryParameter' }));
      }),
    );
  });
});
