import { describe, expect, it } from 'vitest';
import { importEdgeKey, RequestSealer } from '../../../core/format/sealer';
import { createDecryptor } from '../../../decrypt/decryptor';
import { decryptFailure, edgeProtect } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';

/**
 * What an input crafted with only the public key (which anyone can obtain) can do to decrypt: forge
 * typed envelopes, plant marker-shaped text, send huge or marker-dense inputs. Each either decrypts
 * to safe output or fails the whole call with a code; never invalid JSON, never injected members.
 */

const local = (options: { knownKeyIds?: string[]; leaveUnknown?: boolean; maxMarkers?: number; maxInputBytes?: number } = {}) =>
  createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }], ...options });

/** A typed envelope holding `text` as its "JSON value", for location `json:/0/x`: a forgery. */
function forgeTyped(text: string, location = 'json:/0/x'): string {
  const sealer = new RequestSealer(new Map([['01', importEdgeKey('01', testKeyPair().publicKeyPem)]]));
  return sealer.plan({ key: '01', mode: 'envelope' }, 'j', Buffer.from(text, 'utf8'), location).seal();
}

describe('forged typed envelopes', () => {
  it.each([
    ['an injected member', '1, "admin": true'],
    ['two values', '1 2'],
    ['a broken document', '{"a": '],
    ['nothing', ''],
    ['a script tag outside any string', '1</script><script>alert(1)</script>'],
  ])('refuse %s with InvalidCiphertext, no output', async (_name, text) => {
    const stored = `[{"x":"${forgeTyped(text)}"}]`;
    const error = await decryptFailure(local().decrypt(stored, { contentType: 'application/json' }));
    expect(error.code).toBe('InvalidCiphertext');
    expect(error.message).not.toContain('admin');
  });

  it('come back HTML-safe and exact when they are one JSON value', async () => {
    const value = '{"s":"</script><b>&\u2028","n":9007199254740993}';
    const stored = `[{"x":"${forgeTyped(value)}"}]`;
    const { text } = await local().decrypt(stored, { contentType: 'application/json' });
    expect(text).not.toMatch(/[<>&\u2028]/);
    // biome-ignore lint/correctness/noPrecisionLoss: JSON.parse rounds the same way; the exact digits are checked on the text below
    expect(JSON.parse(text)).toEqual([{ x: { s: '</script><b>&\u2028', n: 9007199254740993 } }]);
    expect(text).toContain('9007199254740993');
  });
});

describe('marker-shaped text', () => {
  it.each([['Room #1#2#1#'], ['#ZZ#abcd#ZZ#'], ['#02#QUJD#20#'], ['a #01# mention']])(
    'of an id the deployment never configured is plain text: %s',
    async (shape) => {
      const stored = JSON.stringify([{ note: shape }]);
      const { text, stats } = await local().decrypt(stored, { contentType: 'application/json' });
      expect(text).toBe(stored);
      expect(stats.markers).toBe(0);
    },
  );

  it('of a known key the decryptor does not hold fails, or is left as it is when asked', async () => {
    const stored = edgeProtect('[{"ssn":"1"}]', 'application/json').replace('#01#', '#02#').replace('#10#', '#20#');
    expect((await decryptFailure(local({ knownKeyIds: ['01', '02'] }).decrypt(stored, { contentType: 'application/json' }))).code).toBe(
      'UnknownKey',
    );
    const left = await local({ knownKeyIds: ['01', '02'], leaveUnknown: true }).decrypt(stored, { contentType: 'application/json' });
    expect(left.text).toBe(stored);
    expect(left.stats.left).toBe(1);
  });
});

describe('limits', () => {
  it('refuses an input over maxInputBytes before reading it', async () => {
    const error = await decryptFailure(local({ maxInputBytes: 1000 }).decrypt('x'.repeat(1001)));
    expect(error.code).toBe('InputTooLarge');
  });

  it('refuses more markers than maxMarkers, whatever the container', async () => {
    const marker = edgeProtect('[{"ssn":"1"}]', 'application/json').match(/#01#[^#]+#10#/)![0];
    const many = Array.from({ length: 11 }, () => marker).join(' ');
    for (const contentType of ['text/plain', 'application/json', 'application/x-www-form-urlencoded']) {
      const body =
        contentType === 'application/json' ? JSON.stringify([many]) : contentType === 'text/plain' ? many : `a=${encodeURIComponent(many)}`;
      const error = await decryptFailure(local({ maxMarkers: 10 }).decrypt(body, { contentType }));
      expect(error.code).toBe('TooManyMarkers');
    }
  });

  it('keeps memory bounded on a 6 MB input of marker-shaped text', async () => {
    const hostile = '#ZZ#QUJD#ZZ#'.repeat(Math.floor((6 * 1024 * 1024 - 100) / 12));
    const before = process.memoryUsage().heapUsed;
    const { stats } = await local().decrypt(hostile);
    const grown = process.memoryUsage().heapUsed - before;
    expect(stats.markers).toBe(0);
    // The input itself is ~12 MB of UTF-16; nothing per marker shape is kept.
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    const dense = `#01#${'A'.repeat(4)}#10#`.repeat(Math.floor((6 * 1024 * 1024 - 100) / 12));
    expect((await decryptFailure(local().decrypt(dense))).code).toBe('TooManyMarkers');
  });
});
