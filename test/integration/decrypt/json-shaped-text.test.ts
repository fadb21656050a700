import { describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { protectRequest } from '../../../edge/transform';
import { compiled, route, testKeyPair } from '../../helpers/keys';

/**
 * Found by an attacker pass (decrypt, High): a text the decrypt service does not recognise as ONE JSON object or array
 * is substituted raw, yet it is JSON to its consumer: NDJSON / JSON Lines (one record per line, the
 * usual export and log format, `application/x-ndjson`, `application/jsonl`, or text/plain), an RFC
 * 7464 JSON text sequence (`application/json-seq`), a JSON document with a leading BOM (fetch's
 * `response.json()`, .NET, Python's utf-8-sig strip it), or an Angular anti-XSSI prefix `)]}',`.
 * The plaintext is anyone's: the edge seals whatever string a client sends, so a client sending
 * `{"ssn": "x\",\"role\":\"admin"}` gets `"role":"admin"` added to its stored record the day the
 * store is exported through decrypt. Each case must either fail the call or keep every record's
 * members as they were.
 */

const config = compiled({ names: ['ssn'], routes: [route({ json: [], form: [] })] });
const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }] });

/** What the origin stores for a JSON body sent through the edge. */
function throughEdge(doc: unknown): string {
  const outcome = protectRequest(config, {
    method: 'POST',
    uri: '/api/people',
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify(doc)),
  });
  if (outcome.action !== 'replace') throw new Error('expected a protected body');
  return outcome.body;
}

const attacker = throughEdge({ ssn: 'x","role":"admin' });
const victim = throughEdge({ ssn: '123-45-6789' });

/** Every JSON value in the output (one per line, prefixes and separators dropped) must have only `ssn`. */
function expectNoInjectedMembers(output: string): void {
  const records = output
    .replace(/^\ufeff/, '')
    .replace(/^\)\]\}',?\n/, '')
    .split(/[\n\u001e]/)
    .filter((line) => line.trim() !== '');
  for (const line of records) {
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(['ssn']);
  }
}

async function decryptOrRefuse(text: string, contentType: string | undefined): Promise<string | undefined> {
  try {
    return (await decryptor.decrypt(text, contentType ? { contentType } : {})).text;
  } catch {
    return undefined; // a refusal is a correct answer
  }
}

describe('decrypt of JSON-shaped text that is not one JSON object or array', () => {
  it.each([
    ['NDJSON, no content type', `${attacker}\n${victim}\n`, undefined],
    ['NDJSON, text/plain', `${attacker}\n${victim}\n`, 'text/plain'],
    ['NDJSON, application/x-ndjson', `${attacker}\n${victim}\n`, 'application/x-ndjson'],
    ['JSON Lines, application/jsonl', `${attacker}\n${victim}\n`, 'application/jsonl'],
    ['JSON text sequence, application/json-seq', `\u001e${attacker}\n\u001e${victim}\n`, 'application/json-seq'],
    ['one document with a leading BOM, no content type', `\ufeff${attacker}`, undefined],
    ['one document with a leading BOM, text/plain', `\ufeff${attacker}`, 'text/plain'],
    ['an anti-XSSI prefixed document, no content type', `)]}',\n${attacker}`, undefined],
  ])('%s: never lets a plaintext add a member', async (_name, text, contentType) => {
    const output = await decryptOrRefuse(text, contentType);
    // Decrypted, not refused: every marker opened, and no record gained a member.
    expect(output).toBeDefined();
    expect(output).not.toContain('#01#');
    expectNoInjectedMembers(output ?? '');
  });

  it('a top-level JSON string (text/plain) holding a marker: the plaintext cannot end the string', async () => {
    const marker = (JSON.parse(attacker) as { ssn: string }).ssn;
    const output = await decryptOrRefuse(JSON.stringify(marker), 'text/plain');
    expect(JSON.parse(output ?? 'null')).toBe('x","role":"admin');
  });
});

describe('text that is not JSON', () => {
  it('still gets plaintext raw where a marker is not a whole quoted span', async () => {
    const marker = (JSON.parse(victim) as { ssn: string }).ssn;
    const { text } = await decryptor.decrypt(`SSN: ${marker}; quoted: "${marker}".`, { contentType: 'text/plain' });
    expect(text).toBe('SSN: 123-45-6789; quoted: "123-45-6789".');
  });
});
