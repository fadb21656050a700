import type { AddressInfo } from 'node:net';
import middy from '@middy/core';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { decryptRequestBody, decryptResponseBody } from '../../../decrypt/express';
import { decryptMiddleware } from '../../../decrypt/middy';
import { edgeProtect } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';

const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }], knownKeyIds: ['01', '02'] });
const doc = [{ ssn: '123-45-6789', email: 'a@example.com' }];
const stored = edgeProtect(JSON.stringify(doc), 'application/json');
const foreign = stored.replace(/#01#/g, '#02#').replace(/#10#/g, '#20#');

describe('the Express middlewares', () => {
  let base = '';
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  beforeAll(async () => {
    const app = express();
    app.post('/in', decryptRequestBody({ decryptor }), (req, res) => {
      res.json({ got: JSON.parse(req.body as string) });
    });
    app.get('/out', decryptResponseBody({ decryptor }), (_req, res) => {
      res.type('application/json').send(stored);
    });
    app.get('/out-foreign', decryptResponseBody({ decryptor }), (_req, res) => {
      res.type('application/json').send(foreign);
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((done) => server.once('listening', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  it('decrypts a request body before the route', async () => {
    const answer = await fetch(`${base}/in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stored });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ got: doc });
  });

  it('decrypts what the route sends', async () => {
    const answer = await fetch(`${base}/out`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(await answer.text())).toEqual(doc);
  });

  it('answers a clean error, never a partial body, when decrypting fails', async () => {
    for (const answer of [
      await fetch(`${base}/out-foreign`),
      await fetch(`${base}/in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: foreign }),
    ]) {
      expect(answer.status).toBe(422);
      const text = await answer.text();
      expect(JSON.parse(text)).toMatchObject({ code: 'UnknownKey' });
      expect(text).not.toContain('#02#');
    }
  });
});

describe('the middy middleware', () => {
  it('decrypts the event body before the handler and the response body after it', async () => {
    const seen: string[] = [];
    const handler = middy(async (event: { body: string }) => {
      seen.push(event.body);
      return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: stored };
    }).use(decryptMiddleware({ decryptor, response: true }));
    const event = { body: Buffer.from(stored).toString('base64'), isBase64Encoded: true, headers: { 'content-type': 'application/json' } };
    const result = (await handler(event, {} as never)) as { body: string };
    expect(JSON.parse(seen[0]!)).toEqual(doc);
    expect(JSON.parse(result.body)).toEqual(doc);
  });

  it('fails the invocation with the code, and the handler never sees the body', async () => {
    let called = false;
    const handler = middy(async () => {
      called = true;
      return { statusCode: 200 };
    }).use(decryptMiddleware({ decryptor }));
    await expect(handler({ body: foreign, headers: { 'content-type': 'application/json' } }, {} as never)).rejects.toMatchObject({
      name: 'UnknownKey',
    });
    expect(called).toBe(false);
  });
});
