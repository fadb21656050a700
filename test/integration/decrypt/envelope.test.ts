import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMarkerMatcher, scanMarkers } from '../../../core/format/marker';
import { createDecryptor, type DecryptorOptions } from '../../../decrypt/decryptor';
import { compileEdgeConfig, protectRequest } from '../../../edge/transform';
import { decryptFailure, KEY_ARN_01, KEY_ARN_02, loopbackKmsClient, protectJson } from '../../helpers/decrypt';
import { compiled, edgeConfig, type RouteOverrides, route, testKeyPair } from '../../helpers/keys';
import { type FakeKms, startFakeKms } from '../../helpers/kms-server';

let kms: FakeKms;
beforeAll(async () => {
  kms = await startFakeKms([
    { arn: KEY_ARN_01, privateKeyPem: testKeyPair().privateKeyPem },
    { arn: KEY_ARN_02, privateKeyPem: testKeyPair(2048, 1).privateKeyPem },
  ]);
});
afterAll(async () => {
  await kms.close();
});
beforeEach(() => {
  kms.reset();
});

const SENSITIVE = ['$[*].fname', '$[*].lname', '$[*].email', '$[*].ssn', '$[*].dob', '$[*].phone'];
const kmsDecryptor = (extra: Partial<DecryptorOptions> = {}) =>
  createDecryptor({
    keys: [
      { id: '01', kmsKeyId: KEY_ARN_01 },
      { id: '02', kmsKeyId: KEY_ARN_02 },
    ],
    kmsClient: loopbackKmsClient(kms.url),
    ...extra,
  });

function people(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    fname: `Name${i}`,
    lname: `Surname ${i}`,
    email: `person${i}@example.com`,
    ssn: `${100 + i}-45-6789`,
    dob: '1980-01-01',
    phone: `+1-555-${String(i).padStart(4, '0')}`,
    address: { street: `${i} Main St`, city: 'Anytown' },
    notes: 'n'.repeat(i % 7),
  }));
}

function protect(
  doc: unknown,
  json: RouteOverrides['json'],
  mode: 'rsa' | 'envelope' = 'envelope',
  cfg = compiled({ routes: [route({ json, mode })] }),
) {
  return protectJson(cfg, doc);
}

describe('envelope mode against the loopback KMS endpoint', () => {
  it('decrypts a 100-record, 6-field request with exactly one KMS call', async () => {
    const doc = people(100);
    const stored = protect(doc, SENSITIVE);
    expect(createMarkerMatcher(['01']).find(stored)).toHaveLength(600);
    const { text, stats } = await kmsDecryptor().decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual(doc);
    expect(stats).toMatchObject({ markers: 600, kmsCalls: 1 });
    expect(kms.requests).toHaveLength(1);
  });

  it('costs one call per field in rsa mode, for contrast', async () => {
    const doc = people(5);
    const { stats } = await kmsDecryptor().decrypt(protect(doc, SENSITIVE, 'rsa'), { contentType: 'application/json' });
    expect(stats.kmsCalls).toBe(30);
  });

  it('protects what rsa mode could not: long strings and every JSON type, which come back as the same values', async () => {
    const doc = {
      // biome-ignore lint/correctness/noPrecisionLoss: the value is read back by JSON.parse too; the test compares the two
      a: { ssn: 'x'.repeat(5000), n: 9007199254740993, f: -1.5e-7, t: true, nil: null, obj: { deep: [1, 'two', { three: 3 }] }, arr: [] },
    };
    const paths = ['$.a.ssn', '$.a.n', '$.a.f', '$.a.t', '$.a.nil', '$.a.obj', '$.a.arr'];
    const body =
      '{"a": {"ssn": "' +
      'x'.repeat(5000) +
      '", "n": 9007199254740993, "f": -1.5e-7, "t": true, "nil": null, "obj": {"deep": [1, "two", {"three": 3}]}, "arr": []}}';
    const cfg = compiled({ routes: [route({ json: paths, mode: 'rsa' })] });
    const outcome = protectRequest(cfg, { method: 'POST', uri: '/api/people', contentType: 'application/json', body: Buffer.from(body) });
    if (outcome.action !== 'replace') throw new Error('expected a protected body');
    const stored = JSON.parse(outcome.body);
    for (const key of ['ssn', 'n', 'f', 't', 'obj', 'arr']) expect(stored.a[key]).toMatch(/^#01#E1\./);
    expect(stored.a.nil).toBeNull();
    const { text } = await kmsDecryptor().decrypt(outcome.body, { contentType: 'application/json' });
    // The exact original text comes back: big integers and number spelling included.
    expect(text).toBe(body);
    expect(JSON.parse(text)).toEqual(doc);
  });

  it.each([0, 1, 1000, 100_000, 700_000])('round-trips a %i-byte string through the edge and back', async (size) => {
    const doc = [{ notes: 'é'.repeat(Math.floor(size / 2)) + (size % 2 ? 'x' : '') }];
    const stored = protect(doc, ['$[*].notes'], 'rsa');
    const { text } = await kmsDecryptor().decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual(doc);
  });

  it('refuses a ciphertext moved to another field (LocationMismatch) in JSON mode, and reads it in text mode', async () => {
    const stored = JSON.parse(protect([{ ssn: '123-45-6789', email: 'a@example.com' }], ['$[*].ssn', '$[*].email']));
    const moved = JSON.stringify([{ ssn: stored[0].email, email: stored[0].email }]);
    const error = await decryptFailure(kmsDecryptor().decrypt(moved, { contentType: 'application/json' }));
    expect(error.code).toBe('LocationMismatch');
    expect(kms.requests).toHaveLength(0);
    const { text } = await kmsDecryptor().decrypt(`ssn: ${stored[0].ssn}`, { contentType: 'text/plain' });
    expect(text).toBe('ssn: 123-45-6789');
  });

  it('refuses an envelope opened with the wrong key', async () => {
    const stored = protect([{ ssn: 'x' }], ['$[*].ssn']);
    const relabelled = stored.replace('#01#', '#02#').replace('#10#', '#20#');
    const error = await decryptFailure(kmsDecryptor().decrypt(relabelled, { contentType: 'application/json' }));
    expect(error.code).toBe('InvalidCiphertext');
  });

  it('decrypts a document mixing keys 01 and 02 (per-field keys) with one KMS call per key', async () => {
    const cfg = compileEdgeConfig({
      ...edgeConfig(),
      keys: [
        { id: '01', publicKeyPem: testKeyPair().publicKeyPem },
        { id: '02', publicKeyPem: testKeyPair(2048, 1).publicKeyPem },
      ],
      routes: [route({ mode: 'envelope', json: ['$[*].email', { path: '$[*].ssn', key: '02', mode: 'envelope' }] })],
    });
    const doc = people(10);
    const stored = protect(doc, undefined, 'envelope', cfg);
    expect(scanMarkers(stored).filter((m) => m.keyId === '02')).toHaveLength(10);
    const { text, stats } = await kmsDecryptor().decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual(doc);
    expect(stats.kmsCalls).toBe(2);
    expect(new Set(kms.requests.map((r) => r.body.KeyId))).toEqual(new Set([KEY_ARN_01, KEY_ARN_02]));

    // A service holding only key 01 reads the emails and leaves the SSNs as ciphertext.
    const onlyOne = createDecryptor({
      keys: [{ id: '01', kmsKeyId: KEY_ARN_01 }],
      kmsClient: loopbackKmsClient(kms.url),
      leaveUnknown: true,
    });
    const partial = JSON.parse((await onlyOne.decrypt(stored, { contentType: 'application/json' })).text);
    expect(partial[0].email).toBe(doc[0]!.email);
    expect(partial[0].ssn).toMatch(/^#02#E1\./);
  });

  it('caches data keys across calls only when asked, within max uses', async () => {
    const stored = protect(people(3), SENSITIVE);
    const plain = kmsDecryptor();
    await plain.decrypt(stored, { contentType: 'application/json' });
    await plain.decrypt(stored, { contentType: 'application/json' });
    expect(kms.requests).toHaveLength(2);
    kms.reset();
    const cached = kmsDecryptor({ dataKeyCache: { maxAgeMs: 60_000, maxUses: 2 } });
    const first = await cached.decrypt(stored, { contentType: 'application/json' });
    const second = await cached.decrypt(stored, { contentType: 'application/json' });
    const third = await cached.decrypt(stored, { contentType: 'application/json' });
    expect([first.stats.kmsCalls, second.stats.kmsCalls, third.stats.kmsCalls]).toEqual([1, 0, 1]);
    expect(JSON.parse(second.text)).toEqual(people(3));
  });
});

describe('rewrap', () => {
  it('re-encrypts every marker to the new key: no marker of the old key left, same document back', async () => {
    const doc = people(4).map((p, i) => ({ ...p, notes: i === 0 ? 'x'.repeat(400) : p.notes }));
    const stored = protect(doc, ['$[*].ssn', '$[*].notes', '$[*].address'], 'rsa');
    const to = { id: '02', publicKeyPem: testKeyPair(2048, 1).publicKeyPem };
    const { text: rewrapped } = await kmsDecryptor().rewrap(stored, to, { contentType: 'application/json' });
    expect(scanMarkers(rewrapped).filter((m) => m.keyId === '01')).toHaveLength(0);
    expect(scanMarkers(rewrapped).filter((m) => m.keyId === '02')).toHaveLength(12);
    // Payload kinds are kept: short strings stay post-compatible, the rest stay envelopes.
    const after = JSON.parse(rewrapped);
    expect(after[1].ssn).toMatch(/^#02#[A-Za-z0-9+/]+=*#20#$/);
    expect(after[0].notes).toMatch(/^#02#E1\./);
    expect(after[0].address).toMatch(/^#02#E1\./);
    const onlyNew = createDecryptor({ keys: [{ id: '02', kmsKeyId: KEY_ARN_02 }], kmsClient: loopbackKmsClient(kms.url) });
    expect(JSON.parse((await onlyNew.decrypt(rewrapped, { contentType: 'application/json' })).text)).toEqual(doc);
  });

  it('keeps each envelope bound to its location', async () => {
    const stored = JSON.parse(protect([{ ssn: 'a', email: 'b' }], ['$[*].ssn', '$[*].email']));
    const to = { id: '02', publicKeyPem: testKeyPair(2048, 1).publicKeyPem };
    const rewrapped = JSON.parse((await kmsDecryptor().rewrap(JSON.stringify(stored), to, { contentType: 'application/json' })).text);
    const swapped = JSON.stringify([{ ssn: rewrapped[0].email, email: rewrapped[0].ssn }]);
    expect((await decryptFailure(kmsDecryptor().decrypt(swapped, { contentType: 'application/json' }))).code).toBe('LocationMismatch');
  });
});
