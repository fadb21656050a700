import { constants, publicEncrypt } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { decryptFailure, edgeProtect, KEY_ARN_01, kmsDecryptor, loopbackKmsClient } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';
import { type FakeKms, startFakeKms } from '../../helpers/kms-server';

let kms: FakeKms;

/** Each block gets its own endpoint, so a request a previous block abandoned cannot skew its counts. */
function useFakeKms(): void {
  beforeAll(async () => {
    kms = await startFakeKms([{ arn: KEY_ARN_01, privateKeyPem: testKeyPair().privateKeyPem }]);
  });
  afterAll(async () => {
    await kms.close();
  });
  beforeEach(() => {
    kms.reset();
  });
}

const people = [
  { id: 1, ssn: '123-45-6789', notes: 'quote " backslash \\ newline \n nul \u0000 emoji 😀 lone #01#' },
  { id: 2, ssn: '987-65-4321', notes: '</script>\u2028\u2029' },
];

describe('KMS backend through the real SDK client against the loopback endpoint', () => {
  useFakeKms();
  it('decrypts every marker, sending KeyId from the keyring and RSAES_OAEP_SHA_256, signed, without context', async () => {
    const stored = edgeProtect(JSON.stringify(people), 'application/json');
    const { text, stats } = await kmsDecryptor(kms.url).decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual(people);
    expect(stats).toMatchObject({ markers: 4, decrypted: 4, kmsCalls: 4, keysUsed: ['01'] });
    expect(kms.requests).toHaveLength(4);
    for (const request of kms.requests) {
      expect(request.target).toBe('TrentService.Decrypt');
      expect(request.body).toMatchObject({ KeyId: KEY_ARN_01, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
      expect(request.body).not.toHaveProperty('EncryptionContext');
      expect(request.signed).toBe(true);
    }
  });

  it('retries throttling and then succeeds', async () => {
    kms.fault = (_request, index) =>
      index < 2 ? { kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } : undefined;
    const stored = edgeProtect(JSON.stringify([{ ssn: 'x' }]), 'application/json');
    const { text } = await kmsDecryptor(kms.url).decrypt(stored, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual([{ ssn: 'x' }]);
    expect(kms.requests).toHaveLength(3);
  });

  it('fails with Throttled when throttling persists past the retries', async () => {
    kms.fault = () => ({ kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const stored = edgeProtect(JSON.stringify([{ ssn: 'x' }]), 'application/json');
    const error = await decryptFailure(kmsDecryptor(kms.url).decrypt(stored, { contentType: 'application/json' }));
    expect(error.code).toBe('Throttled');
    expect(error.name).toBe('Throttled');
    expect(kms.requests).toHaveLength(3);
  });

  it('retries a 5xx, and fails with KmsUnavailable when it persists', async () => {
    const stored = edgeProtect(JSON.stringify([{ ssn: 'x' }]), 'application/json');
    kms.fault = (_request, index) => (index === 0 ? { kind: 'error', status: 500, type: 'KMSInternalException' } : undefined);
    expect(JSON.parse((await kmsDecryptor(kms.url).decrypt(stored, { contentType: 'application/json' })).text)).toEqual([{ ssn: 'x' }]);
    kms.reset();
    kms.fault = () => ({ kind: 'error', status: 503, type: 'KMSInternalException' });
    const error = await decryptFailure(kmsDecryptor(kms.url).decrypt(stored, { contentType: 'application/json' }));
    expect(error.code).toBe('KmsUnavailable');
    expect(error.message).toContain('HTTP 503');
  });

  it('fails with KmsTimeout on a slow answer', async () => {
    // The answer would take 5 s; a 200 ms timeout gives up long before, with room for a loaded machine.
    kms.fault = () => ({ kind: 'delay', ms: 5_000 });
    const stored = edgeProtect(JSON.stringify([{ ssn: 'x' }]), 'application/json');
    const started = Date.now();
    const error = await decryptFailure(kmsDecryptor(kms.url, { kmsTimeoutMs: 200 }).decrypt(stored, { contentType: 'application/json' }));
    expect(error.code).toBe('KmsTimeout');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('fails with AccessDenied when KMS denies', async () => {
    kms.fault = () => ({
      kind: 'error',
      status: 400,
      type: 'AccessDeniedException',
      message: 'User is not authorized to perform: kms:Decrypt',
    });
    const stored = edgeProtect(JSON.stringify([{ ssn: 'x' }]), 'application/json');
    const error = await decryptFailure(kmsDecryptor(kms.url).decrypt(stored, { contentType: 'application/json' }));
    expect(error.code).toBe('AccessDenied');
    expect(kms.requests).toHaveLength(1);
  });

  it('fails with InvalidCiphertext for a ciphertext made under another key', async () => {
    const other = testKeyPair(2048, 1).publicKeyPem;
    const ciphertext = publicEncrypt({ key: other, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('x'));
    const stored = JSON.stringify({ ssn: `#01#${ciphertext.toString('base64')}#10#` });
    const error = await decryptFailure(kmsDecryptor(kms.url).decrypt(stored, { contentType: 'application/json' }));
    expect(error.code).toBe('InvalidCiphertext');
  });

  it('never sends a marker of a key outside the keyring to KMS', async () => {
    const stored = edgeProtect(JSON.stringify([{ ssn: 'x' }]), 'application/json')
      .replace(/#01#/g, '#02#')
      .replace(/#10#/g, '#20#');
    const error = await decryptFailure(
      kmsDecryptor(kms.url, { knownKeyIds: ['01', '02'] }).decrypt(stored, { contentType: 'application/json' }),
    );
    expect(error.code).toBe('UnknownKey');
    expect(kms.requests).toHaveLength(0);
  });

  it('is all or nothing: one failing marker fails the whole call', async () => {
    kms.fault = (_request, index) => (index === 1 ? { kind: 'error', status: 400, type: 'AccessDeniedException' } : undefined);
    const stored = edgeProtect(JSON.stringify(people), 'application/json');
    const error = await decryptFailure(kmsDecryptor(kms.url, { concurrency: 1 }).decrypt(stored, { contentType: 'application/json' }));
    expect(error.code).toBe('AccessDenied');
    // With concurrency 1 nothing starts after the failure.
    expect(kms.requests).toHaveLength(2);
  });

  it('keeps no plaintext or ciphertext in error messages or causes', async () => {
    kms.fault = () => ({ kind: 'error', status: 400, type: 'InvalidCiphertextException' });
    const stored = edgeProtect(JSON.stringify(people), 'application/json');
    const payload = /#01#([^#]+)#10#/.exec(stored)![1]!;
    const error = await decryptFailure(kmsDecryptor(kms.url).decrypt(stored, { contentType: 'application/json' }));
    const everything = `${error.message} ${String(error.cause)} ${JSON.stringify(error.cause)} ${(error.cause as Error)?.message}`;
    expect(everything).not.toContain(payload.slice(0, 24));
    expect(everything).not.toContain('123-45-6789');
  });
});

describe('KMS cost', () => {
  useFakeKms();
  it('never has more than C requests in flight for N markers', async () => {
    kms.latencyMs = 20;
    const doc = Array.from({ length: 40 }, (_, i) => ({ ssn: `ssn-${i}` }));
    const stored = edgeProtect(JSON.stringify(doc), 'application/json');
    for (const concurrency of [1, 4, 16]) {
      kms.reset();
      kms.latencyMs = 20;
      // Answers wait until C requests are in flight (or 5 s): the test sees the limit, not the machine's load.
      kms.holdUntilInFlight(concurrency, 5000);
      const { text, stats } = await kmsDecryptor(kms.url, { concurrency }).decrypt(stored, { contentType: 'application/json' });
      expect(JSON.parse(text)).toEqual(doc);
      expect(stats.kmsCalls).toBe(40);
      expect(kms.maxInFlight).toBeLessThanOrEqual(concurrency);
      expect(kms.maxInFlight).toBe(concurrency);
    }
  });

  it('decrypts identical ciphertexts once per call', async () => {
    const stored = edgeProtect(JSON.stringify([{ ssn: 'same' }]), 'application/json');
    const marker = JSON.parse(stored)[0].ssn as string;
    const repeated = JSON.stringify([{ a: marker, b: marker }, { c: `${marker} and ${marker}` }]);
    const { text, stats } = await kmsDecryptor(kms.url).decrypt(repeated, { contentType: 'application/json' });
    expect(JSON.parse(text)).toEqual([{ a: 'same', b: 'same' }, { c: 'same and same' }]);
    expect(stats).toMatchObject({ markers: 4, decrypted: 1, kmsCalls: 1 });
    expect(kms.requests).toHaveLength(1);
  });

  it('reads ciphertext written the way the post writes it (RSA-OAEP SHA-256, base64, #01#…#10#)', async () => {
    // The post: PKCS1_OAEP.new(key, SHA256).encrypt(value) → base64 → "#01#" + … + "#10#", raw text.
    const ciphertext = publicEncrypt(
      { key: testKeyPair().publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from('Alejandro', 'utf8'),
    );
    const stored = `[{"fname": "#01#${ciphertext.toString('base64')}#10#"}]`;
    const client = loopbackKmsClient(kms.url);
    const decryptor = createDecryptor({ keys: [{ id: '01', kmsKeyId: KEY_ARN_01 }], kmsClient: client });
    expect((await decryptor.decrypt(stored)).text).toBe('[{"fname": "Alejandro"}]');
  });
});
