import { describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { edgeProtect } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';

/**
 * Found by an attacker pass (decrypt): text mode (any content type but JSON/form, when the text is not one
 * JSON value) fills a marker as a JSON string only when it is a *whole quoted span*. A marker the
 * origin wrote inside a longer JSON string (a message template: "Your note: <value>", or a value it
 * quoted itself: "You wrote \"<value>\"") in JSON Lines, a JSON text sequence or XSSI-prefixed JSON
 * is pasted raw, so a plaintext sent through the edge closes the string and adds members. The same
 * record read as JSON (one value) would have stayed a string.
 */

const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }] });
/** What an attacker types into the protected `notes` field: the edge seals it honestly. */
const EVIL = '","role":"admin","x":"';
const marker = (): string => JSON.parse(edgeProtect(JSON.stringify([{ notes: EVIL }]), 'application/json'))[0].notes as string;

/** Decrypts, then parses each record; a refused call (no output) is fine. */
async function records(text: string, contentType: string | undefined, parse: (out: string) => unknown[]): Promise<unknown[]> {
  let out: string;
  try {
    out = (await decryptor.decrypt(text, contentType ? { contentType } : {})).text;
  } catch {
    return [];
  }
  return parse(out);
}
const lines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('{"partial"'))
    .map((l) => JSON.parse(l));

describe('F6 (High): a marker inside a longer JSON string in text mode adds members', () => {
  it('JSON Lines (application/x-ndjson): {"message":"Your note: <marker>"}', async () => {
    const text = `{"message":"Your note: ${marker()}"}\n{"id":2}\n`;
    for (const record of await records(text, 'application/x-ndjson', lines)) expect(record).not.toHaveProperty('role');
  });

  it('JSON Lines with the value quoted by the origin: "You wrote \\"<marker>\\" today"', async () => {
    const text = `{"message":"You wrote \\"${marker()}\\" today"}\n{"id":2}\n`;
    for (const record of await records(text, 'application/x-ndjson', lines)) expect(record).not.toHaveProperty('role');
  });

  it("XSSI-prefixed JSON (Angular's )]}'), which the README says keeps its members", async () => {
    const text = `)]}'\n{"message":"Your note: ${marker()}"}`;
    const parsed = await records(text, 'application/json-with-prefix', (out) => [JSON.parse(out.slice(out.indexOf('\n') + 1))]);
    for (const record of parsed) expect(record).not.toHaveProperty('role');
  });
});

describe('F7 (Medium): a whole quoted span outside JSON gets a JSON escape, which HTML and CSV do not read as one', () => {
  const xss = 'x" autofocus onfocus=alert(1) y="';
  const sealed = (value = xss): string =>
    JSON.parse(edgeProtect(JSON.stringify([{ notes: value }]), 'application/json'))[0].notes as string;

  it('an HTML attribute value="<marker>": the plaintext closes the attribute and adds an event handler', async () => {
    const text = `<!doctype html><input name="notes" value="${sealed()}">`;
    let out = '';
    try {
      out = (await decryptor.decrypt(text, { contentType: 'text/html' })).text;
    } catch {
      return;
    }
    // \" is not an escape in HTML: the attribute ends at the quote after the backslash.
    expect(out).not.toMatch(/value="[^"]*"\s+autofocus\s+onfocus=alert\(1\)/);
  });

  it('a quoted CSV field "<marker>": the plaintext ends the field (CSV escapes a quote as "")', async () => {
    const text = `id,notes,role\n1,"${sealed('x",admin,"')}",user\n`;
    let out = '';
    try {
      out = (await decryptor.decrypt(text, { contentType: 'text/csv' })).text;
    } catch {
      return;
    }
    // The row must still have exactly three fields under RFC 4180 (a lone " ends a quoted field).
    const row = out.split('\n')[1] ?? '';
    const fields = row.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.filter((f) => f !== '') ?? [];
    expect(fields.length).toBe(3);
  });
});
