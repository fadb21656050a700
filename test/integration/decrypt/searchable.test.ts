import { randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EdgeSecretVersion } from '../../../core/config';
import { sealD1 } from '../../../core/format/d1';
import { createMarkerMatcher, markerWriter } from '../../../core/format/marker';
import { PROOF_VERSION } from '../../../core/format/proof';
import { createSecretSource, secretRing } from '../../../core/secret-source';
import { createDecryptor } from '../../../decrypt/decryptor';
import { createOriginRequestHandler } from '../../../edge/handler';
import { kmsSecretUnwrapper } from '../../../edge/kms-secret';
import type { CompiledEdgeConfig } from '../../../edge/transform';
import { originRequestEvent } from '../../helpers/cloudfront';
import { decryptFailure, KEY_ARN_01, loopbackKmsClient, protectJson } from '../../helpers/decrypt';
import { compiled, route, testKeyPair } from '../../helpers/keys';
import { type FakeKms, startFakeKms } from '../../helpers/kms-server';
import { devSecret, EMAIL_INDEX, kmsSecret } from '../../helpers/secret';

const SECRET_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-5ec7e75ec7e75ec7e75ec7e75ec7e75e';
const OTHER_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-0be40be40be40be40be40be40be40be4';
let kms: FakeKms;
let v1: EdgeSecretVersion;
let v2: EdgeSecretVersion;

beforeAll(async () => {
  kms = await startFakeKms([
    { arn: KEY_ARN_01, privateKeyPem: testKeyPair().privateKeyPem },
    { arn: SECRET_ARN, privateKeyPem: '', symmetricKey: randomBytes(32) },
    { arn: OTHER_ARN, privateKeyPem: '', symmetricKey: randomBytes(32) },
  ]);
  v1 = await kmsSecret(kms.url, SECRET_ARN, 1);
  v2 = await kmsSecret(kms.url, SECRET_ARN, 2);
});
afterAll(async () => {
  await kms.close();
});
beforeEach(() => {
  kms.reset();
});

function edge(version: EdgeSecretVersion): CompiledEdgeConfig {
  return compiled({
    routes: [route({ json: ['$[*].ssn', '$[*].notes', { path: '$[*].email', key: '01', mode: 'rsa', index: 'email' }], form: [] })],
    secret: version,
    indexes: [EMAIL_INDEX],
  });
}

/** The edge's secret keys, unwrapped through the real SDK against the loopback KMS. */
async function edgeKeys(version: EdgeSecretVersion) {
  return secretRing(createSecretSource(version, kmsSecretUnwrapper(loopbackKmsClient(kms.url))), ['01'])();
}

function decryptor(versions: EdgeSecretVersion[], extra: { acceptUnproven?: boolean; current?: number } = {}) {
  return createDecryptor({
    keys: [{ id: '01', kmsKeyId: KEY_ARN_01 }],
    kmsClient: loopbackKmsClient(kms.url),
    secret: { versions, indexes: [EMAIL_INDEX], ...extra },
  });
}

const people = [{ email: ' Alice@Example.com ', ssn: '123-45-6789', notes: 'x'.repeat(300) }];
const rsaDecrypts = () => kms.requests.filter((r) => r.target === 'TrentService.Decrypt' && r.body.EncryptionAlgorithm !== undefined);

describe('the edge secret through KMS', () => {
  it('is unwrapped once per container with its encryption context, however many requests, with 20 ms KMS latency', async () => {
    // Prepare
    kms.latencyMs = 20;
    const source = secretRing(createSecretSource(v1, kmsSecretUnwrapper(loopbackKmsClient(kms.url))), ['01']);
    const handler = createOriginRequestHandler(edge(v1), { log: () => undefined, secret: source });
    // Act
    const results = await Promise.all(
      Array.from({ length: 5 }, () => handler(originRequestEvent({ body: JSON.stringify(people), contentType: 'application/json' }))),
    );
    // Assert
    for (const result of results) expect((result as CloudFrontRequest).body?.action).toBe('replace');
    expect(kms.requests).toHaveLength(1);
    expect(kms.requests[0]?.target).toBe('TrentService.Decrypt');
    expect(kms.requests[0]?.body).toMatchObject({
      KeyId: SECRET_ARN,
      EncryptionContext: { 'edge-fle:purpose': 'edge-secret', 'edge-fle:secret-version': '1', 'edge-fle:key-id': '01' },
    });
  });

  it.each([
    ['throttled', { kind: 'error', status: 400, type: 'ThrottlingException' } as const],
    ['unavailable', { kind: 'error', status: 500, type: 'KMSInternalException' } as const],
  ])('answers 503 while KMS is %s, forwarding nothing and logging no value', async (_name, fault) => {
    kms.fault = () => fault;
    const lines: string[] = [];
    const source = secretRing(createSecretSource(v1, kmsSecretUnwrapper(loopbackKmsClient(kms.url, 1))), ['01']);
    const handler = createOriginRequestHandler(edge(v1), { log: (line) => lines.push(line), secret: source });
    const result = (await handler(
      originRequestEvent({ body: JSON.stringify(people), contentType: 'application/json' }),
    )) as CloudFrontResultResponse;
    expect(result.status).toBe('503');
    expect(JSON.parse(result.body ?? '')).toMatchObject({ code: 'EdgeSecretUnavailable' });
    expect(lines.join('\n')).not.toMatch(/Alice|123-45|ciphertextBlob|AQ/);
  });

  it('refuses a secret file naming another key than the one that wrapped it (503)', async () => {
    const misfiled = { ...v1, kmsKeyId: OTHER_ARN } as EdgeSecretVersion;
    await expect(createSecretSource(misfiled, kmsSecretUnwrapper(loopbackKmsClient(kms.url)))('01')).rejects.toThrow(
      /IncorrectKeyException/,
    );
  });

  it('refuses an answer from another key or of another size', async () => {
    const liar = (answer: object) => ({ send: async () => answer }) as unknown as KMSClient;
    await expect(kmsSecretUnwrapper(liar({ KeyId: OTHER_ARN, Plaintext: randomBytes(32) }))(v1, '01')).rejects.toThrow(/another key/);
    await expect(kmsSecretUnwrapper(liar({ KeyId: SECRET_ARN, Plaintext: randomBytes(16) }))(v1, '01')).rejects.toThrow(/32-byte/);
    // A key id the version holds no secret for never reaches KMS.
    await expect(kmsSecretUnwrapper(liar({}))(v1, '02')).rejects.toThrow(/no ciphertext for key 02/);
  });
});

describe('decrypt with the edge secret', () => {
  it('opens proven and searchable markers; the searchable value comes back normalised', async () => {
    const stored = protectJson(edge(v1), people, await edgeKeys(v1));
    kms.reset();
    const { text } = await decryptor([v1]).decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual([{ ...people[0], email: 'alice@example.com' }]);
    // One secret unwrap, then one RSA block for ssn and one envelope data key for the notes.
    expect(kms.requests.map((r) => r.target)).toEqual(['TrentService.Decrypt', 'TrentService.Decrypt', 'TrentService.Decrypt']);
  });

  it('refuses a marker minted with the public key alone, before any RSA Decrypt', async () => {
    const minted = protectJson(compiled({ routes: [route({ json: ['$[*].ssn'], form: [] })] }), [{ ssn: 'forged' }]);
    const failure = await decryptFailure(decryptor([v1]).decrypt(minted, { contentType: 'application/json' }));
    expect(failure.code).toBe('UnprovenMarker');
    expect(rsaDecrypts()).toHaveLength(0);
  });

  it('opens such legacy markers with the explicit opt-in only', async () => {
    const legacy = protectJson(compiled({ routes: [route({ json: ['$[*].ssn'], form: [] })] }), [{ ssn: 'old' }]);
    const { text } = await decryptor([v1], { acceptUnproven: true }).decrypt(legacy, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual([{ ssn: 'old' }]);
  });

  it('refuses a forged or transplanted proof with InvalidCiphertext, before any RSA Decrypt', async () => {
    const stored = protectJson(edge(v1), [{ ssn: '123-45-6789' }], await edgeKeys(v1));
    const [marker] = createMarkerMatcher(['01']).find(stored);
    const payload = marker?.payload ?? '';
    const inner = payload.slice(PROOF_VERSION.length + 25);
    const forged = stored.replace(
      payload,
      `${PROOF_VERSION}.${Buffer.concat([Buffer.from([1]), randomBytes(16)]).toString('base64url')}.${inner}`,
    );
    kms.reset();
    const failure = await decryptFailure(decryptor([v1]).decrypt(forged, { contentType: 'application/json' }));
    expect(failure.code).toBe('InvalidCiphertext');
    expect(rsaDecrypts()).toHaveLength(0);
  });

  it('refuses a searchable marker of a secret version it does not hold', async () => {
    const stored = protectJson(edge(v2), [{ email: 'a@b.c' }], await edgeKeys(v2));
    const failure = await decryptFailure(decryptor([v1]).decrypt(stored, { contentType: 'application/json' }));
    expect(failure.code).toBe('InvalidCiphertext');
  });
});

describe('rotating the edge secret', () => {
  it('rewrap moves searchable and proven markers to the new version; the old version is then not needed', async () => {
    // Prepare
    const old = protectJson(edge(v1), people, await edgeKeys(v1));
    const fresh = protectJson(edge(v2), [{ email: 'alice@example.com' }], await edgeKeys(v2));
    // Act
    const { text } = await decryptor([v1, v2], { current: 2 }).rewrap(old, { id: '01', publicKeyPem: testKeyPair().publicKeyPem });
    // Assert
    const [rewrapped] = JSON.parse(text);
    expect(rewrapped.email).toBe(JSON.parse(fresh)[0].email);
    // Secret version 2 in the proof's first byte: base64url 'A' then one of g-v.
    expect(rewrapped.ssn).toMatch(/^#01#P1\.A[g-v]/);
    const { text: plain } = await decryptor([v2]).decrypt(text, { contentType: 'application/json' });
    expect(JSON.parse(plain)).toEqual([{ ...people[0], email: 'alice@example.com' }]);
  });
});

describe('rotating the edge secret where the target key cannot be opened (the rotation worker)', () => {
  it('re-proves markers under the target key without opening them, and re-seals searchable ones, with no RSA Decrypt', async () => {
    // Prepare: under v1, then a worker holding no key at all (the target is 01, which it may not open).
    const old = protectJson(edge(v1), people, await edgeKeys(v1));
    const worker = createDecryptor({
      keys: [],
      knownKeyIds: ['01'],
      kmsClient: loopbackKmsClient(kms.url),
      secret: { versions: [v1, v2], current: 2, indexes: [EMAIL_INDEX] },
    });
    kms.reset();
    // Act
    const { text } = await worker.rewrap(old, { id: '01', publicKeyPem: testKeyPair().publicKeyPem });
    // Assert: only the two secret unwraps reached KMS; every marker is now of version 2.
    expect(rsaDecrypts()).toHaveLength(0);
    const [moved] = JSON.parse(text);
    expect(moved.email).toMatch(/^#01#D1\.email\.2\.1\./);
    expect(moved.ssn).toMatch(/^#01#P1\.A[g-v]/);
    expect(moved.notes).toMatch(/^#01#P1\.A[g-v]/);
    const { text: plain } = await decryptor([v2]).decrypt(text, { contentType: 'application/json' });
    expect(JSON.parse(plain)).toEqual([{ ...people[0], email: 'alice@example.com' }]);
  });

  it('never launders a forged proof into a valid one', async () => {
    const stored = protectJson(edge(v1), [{ ssn: '123-45-6789' }], await edgeKeys(v1));
    const [marker] = createMarkerMatcher(['01']).find(stored);
    const payload = marker?.payload ?? '';
    // One character of the tag changed: the version and the inner payload stay.
    const forged = stored.replace(payload, `${payload.slice(0, 10)}${payload[10] === 'B' ? 'C' : 'B'}${payload.slice(11)}`);
    const worker = createDecryptor({
      keys: [],
      knownKeyIds: ['01'],
      kmsClient: loopbackKmsClient(kms.url),
      secret: { versions: [v1, v2], current: 2 },
    });
    const failure = await decryptFailure(worker.rewrap(forged, { id: '01', publicKeyPem: testKeyPair().publicKeyPem }));
    expect(failure.code).toBe('InvalidCiphertext');
  });
});

describe('legacy markers and rewrap', () => {
  it('leaves a marker without proof as it is unless proveUnproven asks to vouch for it', async () => {
    const legacy = protectJson(compiled({ routes: [route({ json: ['$[*].ssn'], form: [] })] }), [{ ssn: 'old' }]);
    const to = { id: '01', publicKeyPem: testKeyPair().publicKeyPem };
    const kept = await decryptor([v1], { acceptUnproven: true }).rewrap(legacy, to, { contentType: 'application/json' });
    expect(kept.text).toBe(legacy);
    const proven = await decryptor([v1], { acceptUnproven: true }).rewrap(legacy, to, {
      contentType: 'application/json',
      proveUnproven: true,
    });
    expect(JSON.parse(proven.text)[0].ssn).toMatch(/^#01#P1\./);
    const { text } = await decryptor([v1]).decrypt(proven.text, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual([{ ssn: 'old' }]);
  });
});

describe('a searchable marker made under another key id than its index', () => {
  it('neither opens nor is re-sealed under the key of its index: a key-02 holder cannot make key-01 markers', async () => {
    // Prepare: key 02's own secret makes a D1 of index email, which belongs to key 01.
    const { version, ring } = await devSecret();
    const keys02 = ring.get('02');
    if (!keys02) throw new Error('expected key 02');
    const planted = JSON.stringify({
      email: markerWriter('02').wrap(sealD1(keys02, '02', { name: 'email', version: 1 }, Buffer.from('alice@example.com'))),
    });
    const worker = createDecryptor({
      keys: [],
      knownKeyIds: ['01', '02'],
      secret: { versions: [version], current: 1, indexes: [EMAIL_INDEX] },
    });
    // Act and assert
    const rewrapped = await decryptFailure(
      worker.rewrap(planted, { id: '01', publicKeyPem: testKeyPair().publicKeyPem }, { contentType: 'application/json' }),
    );
    expect(rewrapped.code).toBe('InvalidCiphertext');
    const both = createDecryptor({
      keys: [{ id: '02', privateKeyPem: testKeyPair().privateKeyPem }],
      knownKeyIds: ['01', '02'],
      secret: { versions: [version], indexes: [EMAIL_INDEX] },
    });
    expect((await decryptFailure(both.decrypt(planted, { contentType: 'application/json' }))).code).toBe('InvalidCiphertext');
  });
});
