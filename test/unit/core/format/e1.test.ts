import { constants, privateDecrypt, publicEncrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type DataKey,
  EnvelopeOpenError,
  envelopePayloadLength,
  isEnvelopePayload,
  newDataKey,
  openValue,
  parseEnvelope,
  prepareDataKey,
  sealValue,
} from '../../../../core/format/e1';
import { isRsaPayload } from '../../../../core/format/marker';
import { testKeyPair } from '../../../helpers/keys';

const pair = testKeyPair();
const wrap = (key: Buffer): Buffer =>
  publicEncrypt({ key: pair.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key);
const unwrap = (wrapped: Buffer): Buffer =>
  privateDecrypt({ key: pair.privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);

/** What a reader does: unwrap the data key from the payload itself, then open. */
function open(payload: string, keyId = '01') {
  const parts = parseEnvelope(payload);
  if (!parts) throw new Error('not an envelope');
  return openValue(prepareDataKey(unwrap(parts.wrappedKey), parts.wrappedKey), keyId, parts);
}

describe('envelope payload', () => {
  const dataKey: DataKey = newDataKey(wrap);

  it('round-trips strings and JSON values of every size, and its length is known in advance', () => {
    for (const size of [0, 1, 190, 191, 4096, 100_000, 900_000]) {
      const value = Buffer.alloc(size, 'é'.charCodeAt(0) % 256);
      const payload = sealValue(dataKey, '01', 'json:/0/notes', 's', value);
      expect(payload.length).toBe(envelopePayloadLength(dataKey.wrappedKey.length, 'json:/0/notes'.length, size));
      const opened = open(payload);
      expect(opened.kind).toBe('s');
      expect(opened.value.equals(value)).toBe(true);
    }
    expect(open(sealValue(dataKey, '01', 'json:/a', 'j', Buffer.from('{"n":9007199254740993}'))).value.toString()).toBe(
      '{"n":9007199254740993}',
    );
  });

  it('is versioned, free of #, and never mistaken for the post-compatible kind', () => {
    const payload = sealValue(dataKey, '01', 'form:card number/#', 's', Buffer.from('x'));
    expect(payload.startsWith('E1.')).toBe(true);
    expect(payload).not.toContain('#');
    expect(isEnvelopePayload(payload)).toBe(true);
    expect(isRsaPayload(payload)).toBe(false);
    expect(parseEnvelope(payload)?.location).toBe('form:card number/#');
  });

  it('uses a fresh IV per value', () => {
    const a = parseEnvelope(sealValue(dataKey, '01', 'json:/a', 's', Buffer.from('same')))!;
    const b = parseEnvelope(sealValue(dataKey, '01', 'json:/a', 's', Buffer.from('same')))!;
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.sealed.equals(b.sealed)).toBe(false);
  });

  it('fails when any part is tampered with', () => {
    const payload = sealValue(dataKey, '01', 'json:/0/ssn', 's', Buffer.from('123-45-6789'));
    const parts = payload.split('.');
    for (let index = 1; index < parts.length; index += 1) {
      const tampered = [...parts];
      const bytes = Buffer.from(tampered[index]!, 'base64url');
      if (bytes.length === 0) continue;
      bytes[bytes.length - 1]! ^= 0x01;
      tampered[index] = bytes.toString('base64url');
      expect(() => open(tampered.join('.')), `part ${index}`).toThrow();
    }
  });

  it('fails authentication for another key id, and the commitment check for another data key', () => {
    const payload = sealValue(dataKey, '01', 'json:/0/ssn', 's', Buffer.from('x'));
    expect(() => open(payload, '02')).toThrow(EnvelopeOpenError);
    const other = newDataKey(wrap);
    const parts = parseEnvelope(payload)!;
    expect(() => openValue(other, '01', parts)).toThrow('does not commit');
  });

  it('refuses malformed payloads', () => {
    for (const bad of ['E1.', 'E1.a.b.c.d.e', 'E2.AAAA.AAAA.AAAA.AAAA.AAAA', 'E1.AA+A.A.A.A.A']) expect(parseEnvelope(bad)).toBeUndefined();
    expect(() => prepareDataKey(Buffer.alloc(16), Buffer.alloc(1))).toThrow(EnvelopeOpenError);
  });
});
