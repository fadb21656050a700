import { spawnSync } from 'node:child_process';
import { constants, privateDecrypt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMarkerMatcher } from '../../core/format/marker';
import { protectRequest } from '../../edge/transform';
import { compiled, testKeyPair } from '../helpers/keys';

const values = ['123-45-6789', 'María José', '😀 "quoted" \\ value', 'x'.repeat(190)];

function protectedPayloads(): string[] {
  const body = JSON.stringify(values.map((ssn) => ({ ssn })));
  const outcome = protectRequest(compiled(), {
    method: 'POST',
    uri: '/api/people',
    contentType: 'application/json',
    body: Buffer.from(body),
  });
  if (outcome.action !== 'replace') throw new Error('expected a replaced body');
  return createMarkerMatcher(['01'])
    .find(outcome.body)
    .map((m) => m.payload);
}

describe('interop: the transform output decrypts with independent code', () => {
  const payloads = protectedPayloads();

  it('Node privateDecrypt (RSA-OAEP, SHA-256 for OAEP and MGF1) gives the UTF-8 bytes', () => {
    const key = testKeyPair().privateKeyPem;
    const plain = payloads.map((p) =>
      privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(p, 'base64')),
    );
    expect(plain).toEqual(values.map((v) => Buffer.from(v, 'utf8')));
  });

  it('openssl pkeyutl -decrypt with oaep, sha256, mgf1 sha256 gives the UTF-8 bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'interop-'));
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, testKeyPair().privateKeyPem, { mode: 0o600 });
    payloads.forEach((payload, i) => {
      const input = join(dir, `${i}.bin`);
      writeFileSync(input, Buffer.from(payload, 'base64'));
      const result = spawnSync('openssl', [
        'pkeyutl',
        '-decrypt',
        '-inkey',
        keyFile,
        '-in',
        input,
        '-pkeyopt',
        'rsa_padding_mode:oaep',
        '-pkeyopt',
        'rsa_oaep_md:sha256',
        '-pkeyopt',
        'rsa_mgf1_md:sha256',
      ]);
      expect(result.error).toBeUndefined();
      expect(result.status, result.stderr?.toString()).toBe(0);
      expect(result.stdout).toEqual(Buffer.from(values[i]!, 'utf8'));
    });
  });

  it('a SHA-1 OAEP decrypt fails: the algorithm really is SHA-256', () => {
    const key = testKeyPair().privateKeyPem;
    expect(() =>
      privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(payloads[0]!, 'base64')),
    ).toThrow();
  });
});
