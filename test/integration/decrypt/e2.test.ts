import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../core/config';
import { createMarkerMatcher } from '../../../core/format/marker';
import { createDecryptor } from '../../../decrypt/decryptor';
import jsonPathPlusEngine from '../../../edge/expression-engine-default';
import { compileEdgeConfig } from '../../../edge/transform';
import { decryptFailure, KEY_ARN_01, loopbackKmsClient, protectJson } from '../../helpers/decrypt';
import { route, testKeyPair } from '../../helpers/keys';
import { type FakeKms, startFakeKms } from '../../helpers/kms-server';

const E2_ARN = 'arn:aws:kms:us-east-1:111122223333:key/33333333-3333-3333-3333-333333333333';
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const EC_PUBLIC = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const EC_PRIVATE = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let kms: FakeKms;
beforeAll(async () => {
  kms = await startFakeKms([
    { arn: KEY_ARN_01, privateKeyPem: testKeyPair().privateKeyPem },
    { arn: E2_ARN, privateKeyPem: EC_PRIVATE, keyUsage: 'KEY_AGREEMENT' },
  ]);
});
afterAll(async () => {
  await kms.close();
});
beforeEach(() => {
  kms.reset();
});

const FIELDS = ['$[*].ssn', '$[*].email', '$[*].fname', '$[*].notes'];
const config = compileEdgeConfig(
  {
    keys: [
      { id: '01', publicKeyPem: testKeyPair().publicKeyPem },
      { id: '03', publicKeyPem: EC_PUBLIC },
    ],
    encryptWith: '03',
    names: [],
    unmatched: 'protect',
    // Under a P-256 key even an `rsa` route writes E2: there is no RSA block to write.
    routes: [route({ json: FIELDS.map((path) => ({ path, key: '03', mode: 'rsa' as const })) })],
    limits: DEFAULT_LIMITS,
  },
  jsonPathPlusEngine,
);

const protect = (doc: unknown): string => protectJson(config, doc);

const doc = Array.from({ length: 50 }, (_, i) => ({
  id: i,
  fname: `Name${i}`,
  email: `person${i}@example.com`,
  ssn: `${100 + i}-45-6789`,
  notes: i % 2 ? { nested: [1, true, null] } : 'n'.repeat(i),
}));

const kmsDecryptor = () =>
  createDecryptor({
    keys: [
      { id: '01', kmsKeyId: KEY_ARN_01 },
      { id: '03', kmsKeyId: E2_ARN },
    ],
    kmsClient: loopbackKmsClient(kms.url),
  });

/** A stored body's one E2 marker for `[0].ssn`, as `#03#E2.<b64u>#30#`. */
function firstMarker(stored: string): { text: string; bytes: Buffer } {
  const marker = createMarkerMatcher(['03']).find(stored)[0]!;
  return { text: stored.slice(marker.start, marker.end), bytes: Buffer.from(marker.payload.slice(3), 'base64url') };
}

/** Replaces the first marker's payload bytes after `edit`. */
function tampered(stored: string, edit: (bytes: Buffer) => Buffer): string {
  const { text, bytes } = firstMarker(stored);
  return stored.replace(text, `#03#E2.${edit(Buffer.from(bytes)).toString('base64url')}#30#`);
}

describe('E2: KMS ECDH P-256 envelopes', () => {
  it('round-trips every JSON type with one DeriveSharedSecret per request, however many fields', async () => {
    const stored = protect(doc);
    expect(stored).not.toContain('person1@example.com');
    expect(createMarkerMatcher(['03']).find(stored)).toHaveLength(200);
    const { text, stats } = await kmsDecryptor().decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual(doc);
    expect(stats).toMatchObject({ markers: 200, kmsCalls: 1 });
    expect(kms.requests.map((r) => r.target)).toEqual(['TrentService.DeriveSharedSecret']);
    expect(kms.requests[0]!.body).toMatchObject({ KeyId: E2_ARN, KeyAgreementAlgorithm: 'ECDH' });
  });

  it('opens with a local P-256 private key too', async () => {
    const local = createDecryptor({ keys: [{ id: '03', privateKeyPem: EC_PRIVATE }] });
    const { text } = await local.decrypt(protect(doc), { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual(doc);
  });

  it('writes an 11-byte string as a marker of at most 140 characters', () => {
    const stored = protect([{ ssn: '123-45-6789' }]);
    const { text } = firstMarker(stored);
    expect(text.length).toBeLessThanOrEqual(140);
    expect(text).toMatch(/^#03#E2\.[A-Za-z0-9_-]+#30#$/);
  });

  it('makes a fresh ephemeral key per request: two requests never share a point or a ciphertext', () => {
    const a = firstMarker(protect([{ ssn: '123-45-6789' }]));
    const b = firstMarker(protect([{ ssn: '123-45-6789' }]));
    expect(a.bytes.subarray(0, 33).equals(b.bytes.subarray(0, 33))).toBe(false);
    expect(a.text).not.toBe(b.text);
  });

  it.each([
    ['not on the curve', (b: Buffer) => Buffer.concat([Buffer.from([2]), Buffer.alloc(32, 0xff), b.subarray(33)])],
    ['the point at infinity', (b: Buffer) => Buffer.concat([Buffer.alloc(33), b.subarray(33)])],
    ['an uncompressed point prefix', (b: Buffer) => Buffer.concat([Buffer.from([4]), b.subarray(1)])],
    ['a truncated payload', (b: Buffer) => b.subarray(0, 60)],
    ['a location length past the end', (b: Buffer) => Buffer.concat([b.subarray(0, 53), Buffer.from([0xff, 0xff]), b.subarray(55)])],
  ])('refuses %s as InvalidCiphertext before any KMS call', async (_name, edit) => {
    const failure = await decryptFailure(kmsDecryptor().decrypt(tampered(protect(doc), edit), { contentType: 'application/json' }));
    expect(failure.code).toBe('InvalidCiphertext');
    expect(kms.requests).toHaveLength(0);
  });

  it.each([
    ['a wrong commitment', (b: Buffer) => Buffer.concat([b.subarray(0, 33), Buffer.alloc(16, 7), b.subarray(49)])],
    [
      'a flipped ciphertext byte',
      (b: Buffer) => Buffer.concat([b.subarray(0, b.length - 20), Buffer.from([b[b.length - 20]! ^ 1]), b.subarray(b.length - 19)]),
    ],
    ['another counter', (b: Buffer) => Buffer.concat([b.subarray(0, 49), Buffer.from([0, 0, 0, 9]), b.subarray(53)])],
    ['another valid point', (b: Buffer) => Buffer.concat([firstMarker(protect([{ ssn: 'x' }])).bytes.subarray(0, 33), b.subarray(33)])],
  ])('refuses %s as InvalidCiphertext, all or nothing', async (_name, edit) => {
    const failure = await decryptFailure(kmsDecryptor().decrypt(tampered(protect(doc), edit), { contentType: 'application/json' }));
    expect(failure.code).toBe('InvalidCiphertext');
    expect(failure.message).not.toMatch(/Name0|person0|100-45/);
  });

  it('maps KMS throttling of DeriveSharedSecret to Throttled after the SDK retries, with no output', async () => {
    kms.fault = () => ({ kind: 'error', status: 400, type: 'ThrottlingException' });
    const failure = await decryptFailure(kmsDecryptor().decrypt(protect(doc), { contentType: 'application/json' }));
    expect(failure.code).toBe('Throttled');
    expect(failure.message).toContain('DeriveSharedSecret');
    expect(kms.requests.length).toBeGreaterThan(1);
    expect(kms.requests.every((r) => r.target === 'TrentService.DeriveSharedSecret')).toBe(true);
  });

  it('refuses a marker moved to another member as LocationMismatch', async () => {
    const stored = JSON.parse(protect([{ ssn: '123-45-6789', email: 'a@example.com' }]));
    const swapped = JSON.stringify([{ ssn: stored[0].email, email: stored[0].ssn }]);
    const failure = await decryptFailure(kmsDecryptor().decrypt(swapped, { contentType: 'application/json' }));
    expect(failure.code).toBe('LocationMismatch');
  });

  it('fle rewrap turns E1 into E2, keeping types and locations', async () => {
    const e1Config = compileEdgeConfig(
      {
        keys: [{ id: '01', publicKeyPem: testKeyPair().publicKeyPem }],
        encryptWith: '01',
        names: [],
        unmatched: 'protect',
        routes: [route({ json: FIELDS, mode: 'envelope' })],
        limits: DEFAULT_LIMITS,
      },
      jsonPathPlusEngine,
    );
    const outcome = { body: protectJson(e1Config, doc) };
    expect(outcome.body).toContain('#01#E1.');
    const { text } = await kmsDecryptor().rewrap(outcome.body, { id: '03', publicKeyPem: EC_PUBLIC }, { contentType: 'application/json' });
    expect(text).not.toContain('#01#');
    expect(text).toContain('#03#E2.');
    expect(text.length).toBeLessThan(outcome.body.length / 2);
    const back = await kmsDecryptor().decrypt(text, { contentType: 'application/json' });
    expect(JSON.parse(back.text)).toEqual(doc);
  });
});
