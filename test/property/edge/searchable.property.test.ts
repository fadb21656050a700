import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMarkerMatcher } from '../../../core/format/marker';
import { normalizer } from '../../../core/normalize';
import { createDecryptor } from '../../../decrypt/decryptor';
import { DecryptError } from '../../../decrypt/errors';
import { EdgeError } from '../../../edge/errors';
import { protectRequest } from '../../../edge/transform';
import { compiled, route, testKeyPair } from '../../helpers/keys';
import { devSecret, EMAIL_INDEX } from '../../helpers/secret';

const { version, ring: keys } = await devSecret();
const config = compiled({
  routes: [route({ json: ['$[*].ssn'], form: ['ssn'] })],
  names: [{ name: 'email', key: '01', mode: 'rsa', index: 'email' }],
  secret: version,
  indexes: [EMAIL_INDEX],
});
const markers = createMarkerMatcher(['01']);
const normalize = normalizer(EMAIL_INDEX.normalize);
const decryptor = createDecryptor({
  keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }],
  secret: { versions: [version], indexes: [EMAIL_INDEX] },
});

/** Email-ish strings: any code points, mixed case, white space at either end. */
const email = fc
  .tuple(fc.constantFrom('', ' ', '\t', '\u00a0'), fc.string({ unit: 'grapheme', maxLength: 24 }), fc.constantFrom('', ' ', '\n'))
  .map(([before, core, after]) => before + core + after);

function protect(uri: string, contentType: string, body: string): string | undefined {
  const outcome = protectRequest(config, { method: 'POST', uri, contentType, body: Buffer.from(body) }, keys);
  return outcome.action === 'replace' ? outcome.body : undefined;
}

function jsonMarker(value: string): string {
  return JSON.parse(protect('/api/people', 'application/json', JSON.stringify([{ email: value }])) ?? '[]')[0].email;
}

function formMarker(value: string): string | null {
  return new URLSearchParams(protect('/elsewhere', 'application/x-www-form-urlencoded', `email=${encodeURIComponent(value)}`) ?? '').get(
    'email',
  );
}

describe('searchable fields (property)', () => {
  it('give equal markers exactly when the normalised values are equal, in JSON on one path and forms on another', () => {
    fc.assert(
      fc.property(email, email, (a, b) => {
        const [ja, fb] = [jsonMarker(a), formMarker(b)];
        expect(markers.find(ja)).toHaveLength(1);
        expect(ja === fb).toBe(normalize(a) === normalize(b));
      }),
      { numRuns: 150 },
    );
  });

  it('never forward the value in clear, and decrypt to the normalised value', async () => {
    await fc.assert(
      fc.asyncProperty(
        email.filter((v) => normalize(v).length >= 3),
        async (value) => {
          const body = protect('/api/people', 'application/json', JSON.stringify([{ email: value, ssn: value }])) ?? '';
          expect(body).not.toContain(JSON.stringify(normalize(value)).slice(1, -1));
          const { text } = await decryptor.decrypt(body, { contentType: 'application/json' });
          expect(JSON.parse(text)).toEqual([{ email: normalize(value), ssn: value }]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('let only our errors escape, on any JSON value at a searchable name', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 2 }), (value) => {
        try {
          protect('/api/people', 'application/json', JSON.stringify({ email: value }));
        } catch (error) {
          expect(error).toBeInstanceOf(EdgeError);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('let only DecryptErrors escape on any payload in a marker, with the secret declared', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.stringMatching(/^D1\.[a-z]{1,6}\.[0-9]{1,3}\.[0-9]{1,3}\.[A-Za-z0-9_-]{0,40}$/),
          fc.stringMatching(/^P1\.[A-Za-z0-9_-]{0,30}\.[A-Za-z0-9+/=._-]{0,40}$/),
        ),
        async (payload) => {
          try {
            const { text } = await decryptor.decrypt(JSON.stringify({ v: `#01#${payload}#10#` }), { contentType: 'application/json' });
            JSON.parse(text);
          } catch (error) {
            expect(error).toBeInstanceOf(DecryptError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
