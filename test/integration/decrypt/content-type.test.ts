import type { AddressInfo } from 'node:net';
import type { CloudFrontRequest } from 'aws-lambda';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { decryptResponseBody } from '../../../decrypt/express';
import { createDecryptHandler } from '../../../decrypt/handler';
import { createOriginRequestHandler } from '../../../edge/handler';
import { originRequestEvent } from '../../helpers/cloudfront';
import { decryptFailure } from '../../helpers/decrypt';
import { compiled, route, testKeyPair } from '../../helpers/keys';
import { devSecret } from '../../helpers/secret';

/**
 * Decrypt never pastes plaintext raw into JSON, whatever the content type says (found by the third
 * attacker pass). The plaintext is anyone's: `{"ssn": "1\",\"role\":\"admin\",\"x\":\""}` sent through
 * the edge is stored under a marker with a valid proof. Raw into the stored JSON it would add a
 * member; a JSON text is therefore read as JSON when the type is absent, another one, or `text/json`,
 * and a malformed type is refused.
 */

const { version, ring } = await devSecret();
const INJECT = '1","role":"admin","x":"';
const edge = createOriginRequestHandler(compiled({ names: ['ssn'], routes: [route({ json: ['$[*].notes'] })], secret: version }), {
  log: () => undefined,
  secret: async () => ring,
});

/** What the origin stores for `{"id":7,"ssn":INJECT}` sent through the edge: a proven marker. */
async function stored(): Promise<string> {
  const result = (await edge(
    originRequestEvent({ uri: '/api/people', contentType: 'application/json', body: JSON.stringify({ id: 7, ssn: INJECT }) }),
  )) as CloudFrontRequest;
  const text = result.body?.data ?? '';
  expect(text).toContain('#01#P1.');
  return text;
}

const decryptor = createDecryptor({
  keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }],
  secret: { versions: [version], current: 1, indexes: [], acceptUnproven: false },
});

/** The decrypted text must still be the same document: one object, `ssn` a string, no `role`. */
function expectSameShape(text: string): void {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(parsed)).toEqual(['id', 'ssn']);
  expect(parsed.ssn).toBe(INJECT);
}

describe('decrypt of JSON whatever its label', () => {
  it('control: application/json keeps the document shape', async () => {
    const { text } = await decryptor.decrypt(await stored(), { contentType: 'application/json' });
    expectSameShape(text);
  });

  it.each([
    ['absent (the Lambda event makes contentType optional)', undefined],
    ['text/json (ASP.NET, Rails read it as JSON)', 'text/json'],
    ['text/plain', 'text/plain'],
    ['text/html', 'text/html; charset=utf-8'],
  ])('keeps the document shape with the content type %s', async (_label, contentType) => {
    const { text } = await decryptor.decrypt(await stored(), contentType === undefined ? {} : { contentType });
    expectSameShape(text);
  });

  it.each([
    ['a parameter without "="', 'application/json; charset'],
    ['a list', 'application/json, text/plain'],
    ['two charsets', 'application/x-www-form-urlencoded; charset=utf-8; charset=latin1'],
  ])('refuses a malformed content type (%s) with InvalidRequest', async (_label, contentType) => {
    const error = await decryptFailure(decryptor.decrypt(await stored(), { contentType }));
    expect(error.code).toBe('InvalidRequest');
    expect(error.message).not.toContain('admin');
  });

  it('still reads text that is not one JSON value as raw text', async () => {
    const marker = JSON.parse(await stored()).ssn as string;
    const { text } = await decryptor.decrypt(`note: ${marker} [end`, { contentType: 'text/plain' });
    expect(text).toBe(`note: ${INJECT} [end`);
  });

  it('the decrypt Lambda with an event that omits contentType', async () => {
    const handler = createDecryptHandler(decryptor, () => undefined);
    const { body } = await handler({ body: await stored() });
    expectSameShape(body);
  });

  it('decryptResponseBody over a route that sends its JSON with res.send(string) (Express: text/html)', async () => {
    const app = express();
    const row = await stored();
    app.get('/support/people/7', decryptResponseBody({ decryptor }), (_req, res) => {
      res.send(row);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/support/people/7`);
      const text = await response.text();
      expectSameShape(text);
    } finally {
      server.close();
    }
  });
});
