import { describe, expect, it } from 'vitest';
import { importEdgeKey, RequestSealer } from '../../../core/format/sealer';
import { createDecryptor } from '../../../decrypt/decryptor';
import { testKeyPair } from '../../helpers/keys';

/**
 * Attacker pass 3c, decrypt, public key only (no edge secret declared): a forged *typed* envelope in
 * text mode. JSON mode refuses a typed value that is not a whole string value (InvalidContainer);
 * text mode's "whole quoted span" test is a look at the two neighbouring characters, so it also
 * fires on a member name and on an escaped quote, and a typed value in a longer span is pasted raw.
 * Every input line below is valid JSON; every output line must be, or the call must fail.
 */

const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }] });
const forgeTyped = (text: string): string =>
  new RequestSealer(new Map([['01', importEdgeKey('01', testKeyPair().publicKeyPem)]]))
    .plan({ key: '01', mode: 'envelope' }, 'j', Buffer.from(text, 'utf8'), 'json:/0/x')
    .seal();

async function outputLines(text: string): Promise<string[]> {
  try {
    return (await decryptor.decrypt(text, { contentType: 'application/x-ndjson' })).text.split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

describe('F8 (Medium): forged typed envelopes in JSON Lines produce invalid JSON or retype a string', () => {
  it.each([
    ['a member name "<marker>"', () => `{"${forgeTyped('{"admin":true}')}":1}\n{"id":2}\n`],
    ['after an escaped quote "\\"<marker>"', () => `{"a":"\\"${forgeTyped('1')}"}\n{"id":2}\n`],
  ])('%s: every line stays JSON', async (_name, make) => {
    for (const line of await outputLines(make())) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('a typed value inside a longer string is refused (as JSON mode refuses it), not pasted raw', async () => {
    const text = `{"a":"x ${forgeTyped('1')}"}\n{"id":2}\n`;
    await expect(decryptor.decrypt(text, { contentType: 'application/x-ndjson' })).rejects.toThrow();
  });
});
