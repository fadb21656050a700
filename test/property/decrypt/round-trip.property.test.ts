import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { DecryptError } from '../../../decrypt/errors';
import { protectRequest } from '../../../edge/transform';
import { compiled, route, testKeyPair } from '../../helpers/keys';

const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }] });
const config = compiled({ routes: [route({ json: ['$..secret'], form: ['secret'] })] });

const text = fc.string({ unit: 'binary', maxLength: 40 });
/** JSON values whose every "secret" member is a string (or null), anywhere in the tree. */
const tree = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)),
    fc.array(tie('node'), { maxLength: 4 }),
    fc
      .tuple(
        fc.dictionary(
          fc.string({ maxLength: 5 }).filter((k) => k !== 'secret'),
          tie('node'),
          { maxKeys: 3 },
        ),
        fc.option(text),
      )
      .map(([members, secret]) => (secret === null ? members : { ...members, secret })),
  ),
})).node;

function protect(body: string, contentType: string): string {
  const outcome = protectRequest(config, { method: 'POST', uri: '/api/people', contentType, body: Buffer.from(body) });
  return outcome.action === 'replace' ? outcome.body : body;
}

describe('decrypt(encrypt(x)) = x', () => {
  it('for random JSON documents, compact or indented', async () => {
    await fc.assert(
      fc.asyncProperty(tree, fc.boolean(), async (doc, pretty) => {
        const body = JSON.stringify(doc, null, pretty ? 1 : undefined);
        const { text: out } = await decryptor.decrypt(protect(body, 'application/json'), { contentType: 'application/json' });
        expect(JSON.parse(out)).toEqual(JSON.parse(body));
      }),
      { numRuns: 120 },
    );
  });

  it('for random forms', async () => {
    const pairs = fc.array(fc.tuple(fc.constantFrom('secret', 'other', 'x y'), fc.string({ unit: 'grapheme', maxLength: 20 })), {
      maxLength: 6,
    });
    await fc.assert(
      fc.asyncProperty(pairs, async (entries) => {
        const body = entries.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&');
        const { text: out } = await decryptor.decrypt(protect(body, 'application/x-www-form-urlencoded'), {
          contentType: 'application/x-www-form-urlencoded',
        });
        const decoded = (s: string) => s.split('&').map((p) => p.split('=').map((c) => decodeURIComponent(c)));
        expect(decoded(out)).toEqual(decoded(body));
      }),
      { numRuns: 120 },
    );
  });

  it('only DecryptErrors escape, whatever the text and content type', async () => {
    const marker = JSON.parse(protect('{"secret":"s"}', 'application/json')).secret as string;
    const texts = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.json(),
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}${marker}${b}`),
      fc.tuple(fc.string(), fc.nat({ max: marker.length })).map(([a, cut]) => `${a}${marker.slice(0, cut)}#10#`),
    );
    await fc.assert(
      fc.asyncProperty(
        texts,
        fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', undefined),
        async (input, contentType) => {
          try {
            await decryptor.decrypt(input, { contentType });
          } catch (error) {
            expect(error).toBeInstanceOf(DecryptError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
