import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { D1OpenError, d1PayloadLength, isD1Payload, openD1, parseD1, sealD1 } from '../../../../core/format/d1';
import { isRsaPayload, scanMarkers } from '../../../../core/format/marker';
import { isProvenPayload, PROOF_OVERHEAD, parseProof, prove, verifyProof } from '../../../../core/format/proof';
import { deriveSecretKeys, secretEncryptionContext } from '../../../../core/format/secret';
import { normalizer } from '../../../../core/normalize';

const secret = randomBytes(32);
const keys = deriveSecretKeys(secret, 1);
const email = { name: 'email', version: 1 };
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('D1 searchable payload', () => {
  it('is deterministic: the same value, index, key id and versions give the same payload', () => {
    // Prepare
    const again = deriveSecretKeys(Buffer.from(secret), 1);
    // Act
    const first = sealD1(keys, '01', email, bytes('alice@example.com'));
    const second = sealD1(again, '01', email, bytes('alice@example.com'));
    // Assert
    expect(second).toBe(first);
    expect(first).toMatch(/^D1\.email\.1\.1\.[A-Za-z0-9_-]+$/);
    expect(first.length).toBe(d1PayloadLength(email, 1, 17));
  });

  it('gives unlinkable payloads across indexes, index versions, secret versions and key ids', () => {
    const value = bytes('alice@example.com');
    const payloads = [
      sealD1(keys, '01', email, value),
      sealD1(keys, '01', { name: 'login', version: 1 }, value),
      sealD1(keys, '01', { name: 'email', version: 2 }, value),
      sealD1(deriveSecretKeys(secret, 2), '01', email, value),
      sealD1(keys, '02', email, value),
      sealD1(deriveSecretKeys(randomBytes(32), 1), '01', email, value),
    ];
    const bodies = payloads.map((p) => p.split('.').pop());
    expect(new Set(bodies).size).toBe(payloads.length);
  });

  it('opens to the sealed value, and only under the same key id, index and secret', () => {
    const payload = sealD1(keys, '01', email, bytes('alice@example.com'));
    const parts = parseD1(payload);
    expect(parts).toBeDefined();
    if (!parts) return;
    expect(openD1(keys, '01', parts).toString('utf8')).toBe('alice@example.com');
    expect(() => openD1(keys, '02', parts)).toThrow(D1OpenError);
    expect(() => openD1(deriveSecretKeys(randomBytes(32), 1), '01', parts)).toThrow(D1OpenError);
    expect(() => openD1(deriveSecretKeys(secret, 2), '01', parts)).toThrow(D1OpenError);
    const relabelled = parseD1(payload.replace('D1.email.', 'D1.login.'));
    expect(relabelled && (() => openD1(keys, '01', relabelled))).toThrow(D1OpenError);
  });

  it('refuses altered and malformed payloads before or at opening', () => {
    const payload = sealD1(keys, '01', email, bytes('bob@example.com'));
    const body = payload.split('.').pop() ?? '';
    const flipped = `${payload.slice(0, -body.length)}${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`;
    const parts = parseD1(flipped);
    expect(parts && (() => openD1(keys, '01', parts))).toThrow(D1OpenError);
    for (const bad of [
      'D1.email.1.1.',
      'D1.Email.1.1.AAAAAAAAAAAAAAAAAAAAAA',
      'D1.email.0.1.AAAAAAAAAAAAAAAAAAAAAA',
      'D1.email.1.256.AAAAAAAAAAAAAAAAAAAAAA',
      'D1.email.1.1.AAAA',
      `${payload}=`,
    ]) {
      expect(parseD1(bad)).toBeUndefined();
    }
  });

  it('stays inside the marker grammar and apart from the other kinds', () => {
    const payload = sealD1(keys, '01', email, bytes('x'));
    expect(isD1Payload(payload)).toBe(true);
    expect(isRsaPayload(payload)).toBe(false);
    expect(isProvenPayload(payload)).toBe(false);
    expect(scanMarkers(`#01#${payload}#10#`).map((m) => m.payload)).toEqual([payload]);
  });
});

describe('P1 provenance', () => {
  it('wraps any inner payload and verifies only under the same secret version and key id', () => {
    // Prepare
    const inner = 'E2.AAAAbbbbCCCC';
    // Act
    const payload = prove(keys, '01', inner);
    const parts = parseProof(payload);
    // Assert
    expect(payload.length).toBe(inner.length + PROOF_OVERHEAD);
    expect(parts?.inner).toBe(inner);
    expect(parts && verifyProof(keys, '01', parts)).toBe(true);
    expect(parts && verifyProof(keys, '02', parts)).toBe(false);
    expect(parts && verifyProof(deriveSecretKeys(randomBytes(32), 1), '01', parts)).toBe(false);
    expect(parts && verifyProof(deriveSecretKeys(secret, 2), '01', parts)).toBe(false);
  });

  it('fails when the inner payload is swapped for another', () => {
    const parts = parseProof(prove(keys, '01', 'E2.AAAA'));
    expect(parts && verifyProof(keys, '01', { ...parts, inner: 'E2.AAAB' })).toBe(false);
  });

  it('refuses malformed proofs', () => {
    const good = prove(keys, '01', 'QUJD');
    for (const bad of [
      'P1.',
      'P1.AAAA.QUJD',
      `${good.slice(0, 3)}.${good.slice(3)}`,
      `P1.${'A'.repeat(23)}.QUJD`,
      `P1.${good.slice(3, 26)}.`,
      `${good.slice(0, 27)}${good}`,
    ]) {
      expect(parseProof(bad)).toBeUndefined();
    }
    expect(parseProof(good)).toBeDefined();
  });
});

describe('edge secret', () => {
  it('names its purpose and version in the KMS encryption context', () => {
    expect(secretEncryptionContext(3, '02')).toEqual({
      'edge-fle:purpose': 'edge-secret',
      'edge-fle:secret-version': '3',
      'edge-fle:key-id': '02',
    });
  });

  it('refuses a secret of the wrong size or version', () => {
    expect(() => deriveSecretKeys(randomBytes(16), 1)).toThrow(RangeError);
    expect(() => deriveSecretKeys(randomBytes(32), 0)).toThrow(RangeError);
    expect(() => deriveSecretKeys(randomBytes(32), 256)).toThrow(RangeError);
  });
});

describe('normalisation', () => {
  it.each([
    [['trim', 'lowercase'], ' Alice@Example.com ', 'alice@example.com'],
    [['lowercase', 'trim'], '\tALICE@example.COM\n', 'alice@example.com'],
    [['digits'], '123-45-6789', '123456789'],
    [['digits'], '4111 1111 1111 1111', '4111111111111111'],
    [['nfkc', 'lowercase'], 'Ａｌｉｃｅ', 'alice'],
    [[], ' As Is ', ' As Is '],
  ] as const)('%j turns %j into %j', (steps, input, output) => {
    expect(normalizer(steps)(input)).toBe(output);
  });

  it('applies in one order whatever order the config lists', () => {
    // NFKC turns a full-width digit into an ASCII one; digits-only after it keeps it.
    expect(normalizer(['digits', 'nfkc'])('１2')).toBe('12');
  });
});

describe('AES-SIV as D1 uses it', () => {
  it('matches RFC 5297 appendix A.1 (deterministic authenticated encryption)', async () => {
    const { aessiv } = await import('@noble/ciphers/aes.js');
    const key = Buffer.from('fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff', 'hex');
    const ad = Buffer.from('101112131415161718191a1b1c1d1e1f2021222324252627', 'hex');
    const sealed = aessiv(key, ad).encrypt(Buffer.from('112233445566778899aabbccddee', 'hex'));
    expect(Buffer.from(sealed).toString('hex')).toBe('85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c');
  });
});
