import { describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { mapBounded } from '../../../decrypt/pool';
import { jsonStringContent, planSubstitution } from '../../../decrypt/substitute';
import { decodeFormComponent } from '../../../edge/form-transform';
import { decryptFailure, edgeProtect } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';

const HOSTILE = [
  'quote " and \\ backslash',
  'newline\nand\ttab\r',
  'nul \u0000 and \u001f',
  'emoji 😀 and astral 𝄞',
  'a lone #01# mention',
  '</script><script>alert(1)</script>',
  '\u2028\u2029',
  'x", "admin": true, "y": "',
  '',
];

const local = () => createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }] });

describe('round trips edge → decrypt with a local private key', () => {
  it('JSON: decrypt(encrypt(doc)) deep-equals doc for hostile plaintexts, without injecting members', async () => {
    const doc = HOSTILE.map((notes, i) => ({ i, notes, nested: { ssn: notes } }));
    const stored = edgeProtect(JSON.stringify(doc), 'application/json');
    const { text, stats } = await local().decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual(doc);
    expect(stats.kmsCalls).toBe(0);
    expect(JSON.parse(text)[7]).not.toHaveProperty('admin');
    expect(text).not.toContain('</script>');
  });

  it('form: decrypted values come back URL-encoded, other pairs untouched', async () => {
    const body = HOSTILE.map((v) => `card_number=${encodeURIComponent(v)}&keep=${encodeURIComponent('a+b c')}`).join('&');
    const stored = edgeProtect(body, 'application/x-www-form-urlencoded');
    const { text } = await local().decrypt(stored, { contentType: 'application/x-www-form-urlencoded' });
    const pairs = text.split('&').map((p) => p.split('='));
    expect(pairs.filter(([n]) => n === 'card_number').map(([, v]) => decodeFormComponent(v!))).toEqual(HOSTILE);
    expect(pairs.filter(([n]) => n === 'keep').map(([, v]) => v)).toEqual(HOSTILE.map(() => encodeURIComponent('a+b c')));
  });

  it('text: markers anywhere are replaced raw, as the reference post does', async () => {
    const stored = edgeProtect(JSON.stringify([{ ssn: 'line one\nline "two"' }]), 'application/json');
    const marker = JSON.parse(stored)[0].ssn as string;
    const { text } = await local().decrypt(`log: ${marker}; again ${marker}.`, { contentType: 'text/plain' });
    expect(text).toBe('log: line one\nline "two"; again line one\nline "two".');
  });
});

describe('container safety', () => {
  it('refuses a marker outside a JSON string', async () => {
    const marker = JSON.parse(edgeProtect('[{"ssn":"1"}]', 'application/json'))[0].ssn as string;
    const error = await decryptFailure(
      local()
        .decrypt(`{"a": 1} ${marker}`, { contentType: 'application/json' })
        .then(() => undefined),
    );
    expect(error.code).toBe('InvalidContainer');
  });

  it('refuses a JSON content type whose text is not JSON', async () => {
    expect((await decryptFailure(local().decrypt('{"a":', { contentType: 'application/json' }))).code).toBe('InvalidContainer');
  });

  it('finds markers in member names and inside longer strings', async () => {
    const marker = JSON.parse(edgeProtect('[{"ssn":"k\\"ey"}]', 'application/json'))[0].ssn as string;
    const { text } = await local().decrypt(JSON.stringify({ [marker]: `before ${marker} after` }), { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual({ 'k"ey': 'before k"ey after' });
  });

  it('jsonStringContent escapes what JSON and HTML need and decodes to the same string', () => {
    for (const value of HOSTILE) {
      const content = jsonStringContent(value);
      expect(JSON.parse(`"${content}"`)).toBe(value);
      expect(content).not.toMatch(/[<>&\u2028\u2029\n\u0000]/);
    }
  });

  it('planSubstitution leaves a text without markers exactly as it is', () => {
    for (const format of ['json', 'form', 'text'] as const) {
      const text = format === 'json' ? '{"a": "#01# alone"}' : 'a=%ZZ&b=#01#';
      expect(planSubstitution(text, format, { known: new Set(['01']), maxMarkers: 10 }).render(() => ({ kind: 's', text: 'x' }))).toBe(
        text,
      );
    }
  });
});

describe('keyring', () => {
  // Key 02 is configured for the deployment, but this decryptor does not hold it.
  const known = () => createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }], knownKeyIds: ['01', '02'] });
  const stored = () => edgeProtect('[{"ssn":"1"}]', 'application/json').replace('#01#', '#02#').replace('#10#', '#20#');

  it('fails with UnknownKey for a marker of a known key it does not hold', async () => {
    expect((await decryptFailure(known().decrypt(stored(), { contentType: 'application/json' }))).code).toBe('UnknownKey');
  });

  it('leaves markers of unknown keys untouched when asked, and decrypts the rest', async () => {
    const held = edgeProtect('[{"ssn":"known"}]', 'application/json');
    const unknown = JSON.parse(stored())[0].ssn as string;
    const doc = JSON.stringify([JSON.parse(held)[0], { ssn: unknown }]);
    const { text, stats } = await known().decrypt(doc, { contentType: 'application/json', leaveUnknown: true });
    expect(JSON.parse(text)).toEqual([{ ssn: 'known' }, { ssn: unknown }]);
    expect(stats).toMatchObject({ markers: 2, decrypted: 1, left: 1 });
  });

  it('fails with InvalidCiphertext for a payload kind it cannot read, before decrypting anything', async () => {
    const error = await decryptFailure(local().decrypt('{"a": "#01#v9.AAAA#10#"}', { contentType: 'application/json' }));
    expect(error.code).toBe('InvalidCiphertext');
  });

  it('fails with InvalidCiphertext for a damaged ciphertext', async () => {
    const damaged = edgeProtect('[{"ssn":"1"}]', 'application/json').replace(/#01#(.)/, (_m, c: string) => `#01#${c === 'A' ? 'B' : 'A'}`);
    expect((await decryptFailure(local().decrypt(damaged, { contentType: 'application/json' }))).code).toBe('InvalidCiphertext');
  });

  it('refuses a key with neither a KMS key nor a private key', () => {
    expect(() => createDecryptor({ keys: [{ id: '01' }] })).toThrow(expect.objectContaining({ code: 'InvalidRequest' }));
  });

  it('gives errors whose name and message carry the code', async () => {
    const error = await decryptFailure(known().decrypt(stored(), { contentType: 'application/json' }));
    expect(error.name).toBe('UnknownKey');
    expect(error.message.startsWith('UnknownKey: ')).toBe(true);
  });
});

describe('mapBounded', () => {
  it('never runs more than the limit at once and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('starts nothing after a failure, aborts what is in flight, and throws the first error', async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    const run = mapBounded([1, 2, 3, 4, 5], 2, async (n, signal) => {
      started.push(n);
      if (n === 1) throw new Error('first');
      await new Promise((r) => setTimeout(r, 20));
      if (signal.aborted) aborted.push(n);
      return n;
    });
    await expect(run).rejects.toThrow('first');
    expect(started).toEqual([1, 2]);
    expect(aborted).toEqual([2]);
  });
});

describe('values that look like encodings', () => {
  it('round-trips a string with an unpaired surrogate, which UTF-8 cannot carry, exactly', async () => {
    const body = '[{"ssn": "\\ud800 lone", "notes": "pair \\ud83d\\ude00"}]';
    const stored = edgeProtect(body, 'application/json');
    expect(stored).not.toContain('lone');
    const { text } = await local().decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual(JSON.parse(body));
    expect(JSON.parse(text)[0].ssn.charCodeAt(0)).toBe(0xd800);
  });

  it('keeps a leading U+FEFF in a value (it is data, not a byte-order mark)', async () => {
    const doc = [{ ssn: '\uFEFF', notes: '\uFEFFstarts with a BOM' }];
    const stored = edgeProtect(JSON.stringify(doc), 'application/json');
    expect(JSON.parse((await local().decrypt(stored, { contentType: 'application/json' })).text)).toEqual(doc);
  });
});
