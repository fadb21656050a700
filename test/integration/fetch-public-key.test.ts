import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../cli/key-provenance';
import { KEY_ARN_01, KEY_ARN_02 } from '../helpers/decrypt';
import { testKeyPair } from '../helpers/keys';
import { type FakeKms, startFakeKms } from '../helpers/kms-server';
import { fleAsync } from '../helpers/workspace';

const SIGNING_ARN = KEY_ARN_02;
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDLOOPBACKTEST', AWS_SECRET_ACCESS_KEY: 'loopback-secret' };
let kms: FakeKms;

beforeAll(async () => {
  kms = await startFakeKms([
    { arn: KEY_ARN_01, privateKeyPem: testKeyPair().privateKeyPem },
    { arn: SIGNING_ARN, privateKeyPem: testKeyPair(2048, 1).privateKeyPem, keyUsage: 'SIGN_VERIFY' },
  ]);
});
afterAll(async () => {
  await kms.close();
});

const fetchKey = (keyId: string, out: string, ...extra: string[]) =>
  fleAsync(['fetch-public-key', '--key-id', keyId, '--out', out, '--kms-endpoint', kms.url, ...extra], '', env);

describe('fle fetch-public-key against the loopback KMS endpoint', () => {
  it('writes the KMS public key as SPKI PEM, and is idempotent', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fetch-')), 'keys', '01.pem');
    const first = await fetchKey(KEY_ARN_01, out);
    expect(first.status, first.stderr.toString()).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(testKeyPair().publicKeyPem);
    expect(kms.requests.at(-1)).toMatchObject({ target: 'TrentService.GetPublicKey', body: { KeyId: KEY_ARN_01 } });
    const again = await fetchKey(KEY_ARN_01, out);
    expect(again.status).toBe(0);
    expect(again.stdout.toString()).toContain('already holds');
    // The record that lets synth and build-edge tell a KMS key from a local one.
    const record = JSON.parse(readFileSync(out.replace(/\.pem$/, '.kms.json'), 'utf8'));
    expect(record).toEqual({ keyArn: KEY_ARN_01, keySpec: 'RSA_2048', fingerprint: fingerprintOf(testKeyPair().publicKeyPem) });
  });

  it('refuses to write where a local dev key pair lies, even forced, and names both files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fetch-'));
    const out = join(dir, '01.pem');
    writeFileSync(out, testKeyPair(2048, 1).publicKeyPem);
    writeFileSync(join(dir, '01.key.pem'), testKeyPair(2048, 1).privateKeyPem);
    const refused = await fetchKey(KEY_ARN_01, out, '--force');
    expect(refused.status).toBe(2);
    expect(refused.stderr.toString()).toMatch(/01\.key\.pem lies where the public key of .* goes: it is a local dev key pair\. Move/);
    expect(readFileSync(out, 'utf8')).toBe(testKeyPair(2048, 1).publicKeyPem);
    expect(existsSync(join(dir, '01.kms.json'))).toBe(false);
  });

  it('refuses a key of the wrong usage with a clear error and writes nothing', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fetch-')), '02.pem');
    const result = await fetchKey(SIGNING_ARN, out);
    expect(result.status).toBe(4);
    expect(result.stderr.toString()).toContain('key usage SIGN_VERIFY; edge-fle needs ENCRYPT_DECRYPT');
    expect(() => readFileSync(out)).toThrow();
  });

  it('refuses to replace a PEM that does not belong to the key, unless forced', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fetch-')), '01.pem');
    writeFileSync(out, testKeyPair(2048, 1).publicKeyPem);
    const refused = await fetchKey(KEY_ARN_01, out);
    expect(refused.status).toBe(2);
    expect(refused.stderr.toString()).toContain('does not belong to this KMS key');
    expect(readFileSync(out, 'utf8')).toBe(testKeyPair(2048, 1).publicKeyPem);
    const forced = await fetchKey(KEY_ARN_01, out, '--force');
    expect(forced.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(testKeyPair().publicKeyPem);
  });

  it('accepts a P-256 key agreement key (E2) and refuses a P-256 key of another usage', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const agree = 'arn:aws:kms:us-east-1:111122223333:key/33333333-3333-3333-3333-333333333333';
    const sign = 'arn:aws:kms:us-east-1:111122223333:key/44444444-4444-4444-4444-444444444444';
    const privateKeyPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    kms.addKey({ arn: agree, privateKeyPem, keyUsage: 'KEY_AGREEMENT' });
    kms.addKey({ arn: sign, privateKeyPem, keyUsage: 'SIGN_VERIFY' });
    const out = join(mkdtempSync(join(tmpdir(), 'fetch-')), '03.pem');
    const fetched = await fetchKey(agree, out);
    expect(fetched.status, fetched.stderr.toString()).toBe(0);
    expect(fetched.stdout.toString()).toContain('ECC_NIST_P256, KEY_AGREEMENT, ECDH');
    expect(readFileSync(out, 'utf8')).toBe(ec.publicKey.export({ type: 'spki', format: 'pem' }));
    const refused = await fetchKey(sign, join(mkdtempSync(join(tmpdir(), 'fetch-')), '04.pem'));
    expect(refused.status).toBe(4);
    expect(refused.stderr.toString()).toContain('needs KEY_AGREEMENT');
  });

  it('reports a key KMS does not know', async () => {
    const result = await fetchKey('arn:aws:kms:us-east-1:111122223333:key/missing', join(tmpdir(), 'never.pem'));
    expect(result.status).toBe(4);
    expect(result.stderr.toString()).toContain('NotFoundException');
  });
});
