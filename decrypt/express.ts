import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decryptor } from './decryptor';
import { DecryptError } from './errors';

/**
 * Connect-style middlewares (Express and anything compatible) over {@link Decryptor}: thin, all or
 * nothing, and never a partial body. A failure answers `{code, message}` with no plaintext.
 *
 * @example
 * import express from 'express';
 * import { createDecryptor } from 'edge-fle/decrypt';
 * import { decryptRequestBody, decryptResponseBody } from 'edge-fle/decrypt/express';
 * const decryptor = createDecryptor({ keys: [{ id: '01', kmsKeyId: 'arn:aws:kms:…' }] });
 * app.post('/internal/people', decryptRequestBody({ decryptor }), (req, res) => res.json(JSON.parse(req.body)));
 * app.get('/support/people/:id', decryptResponseBody({ decryptor }), handler);
 */

/** Options for the middlewares. */
export interface ConnectDecryptOptions {
  /** Made once per process with `createDecryptor`. */
  readonly decryptor: Decryptor;
  /** Leave markers of the deployment's other keys as they are instead of failing (default false). */
  readonly leaveOtherKeys?: boolean;
}

/** The `next` of a connect-style middleware. */
export type Next = (error?: unknown) => void;

/** HTTP status for a decrypt failure: the caller's data or keys (422), or KMS being unavailable (503). */
function statusOf(error: unknown): number {
  if (!(error instanceof DecryptError)) return 500;
  if (['Throttled', 'KmsUnavailable', 'KmsTimeout'].includes(error.code)) return 503;
  if (error.code === 'AccessDenied') return 403;
  return 422;
}

function fail(res: ServerResponse, error: unknown): void {
  const code = error instanceof DecryptError ? error.code : 'DecryptFailed';
  const message = error instanceof DecryptError ? error.message : 'the body could not be decrypted';
  const body = JSON.stringify({ code, message });
  res.statusCode = statusOf(error);
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

async function readBody(req: IncomingMessage & { body?: unknown }): Promise<string> {
  // A body parser that ran before (express.text(), express.raw()) leaves a string or a Buffer.
  if (typeof req.body === 'string') return req.body;
  if (Buffer.isBuffer(req.body)) return req.body.toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Decrypts the request body (read raw, or the string a text/raw body parser left) and sets
 * `req.body` to the decrypted text; the request's content type decides how plaintext goes back in.
 */
export function decryptRequestBody(options: ConnectDecryptOptions) {
  return (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: Next): void => {
    readBody(req)
      .then((text) =>
        options.decryptor.decrypt(text, {
          contentType: req.headers['content-type'],
          ...(options.leaveOtherKeys !== undefined ? { leaveUnknown: options.leaveOtherKeys } : {}),
        }),
      )
      .then(({ text }) => {
        req.body = text;
        next();
      })
      .catch((error: unknown) => fail(res, error));
  };
}

/**
 * Decrypts what the route sends: the response is held until it ends, decrypted as its content type
 * says, and sent whole, or replaced by an error with no plaintext in it.
 */
export function decryptResponseBody(options: ConnectDecryptOptions) {
  return (_req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const chunks: Buffer[] = [];
    const original = { write: res.write.bind(res), end: res.end.bind(res) };
    const collect = (chunk: unknown, encoding?: unknown): void => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
      );
    };
    res.write = ((chunk: unknown, encoding?: unknown) => {
      collect(chunk, encoding);
      return true;
    }) as ServerResponse['write'];
    res.end = ((chunk?: unknown, encoding?: unknown) => {
      collect(chunk, encoding);
      res.write = original.write;
      res.end = original.end;
      const contentType = res.getHeader('content-type');
      options.decryptor
        .decrypt(Buffer.concat(chunks).toString('utf8'), {
          contentType: typeof contentType === 'string' ? contentType : undefined,
          ...(options.leaveOtherKeys !== undefined ? { leaveUnknown: options.leaveOtherKeys } : {}),
        })
        .then(({ text }) => {
          res.setHeader('content-length', Buffer.byteLength(text));
          res.end(text);
        })
        .catch((error: unknown) => fail(res, error));
      return res;
    }) as ServerResponse['end'];
    next();
  };
}
