import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decryptor } from '../decrypt/decryptor';
import { DecryptError } from '../decrypt/errors';

const STATUS: Readonly<Record<string, number>> = {
  UnknownKey: 422,
  InvalidCiphertext: 422,
  InvalidContainer: 400,
  LocationMismatch: 422,
  InvalidRequest: 400,
  AccessDenied: 403,
  Throttled: 503,
  KmsUnavailable: 503,
  KmsTimeout: 504,
};

/**
 * The local decrypt endpoint: `POST /decrypt` with any body returns it decrypted (the request's
 * content type decides how plaintext goes back in), and `GET /` is the try-it page, so the page
 * calls decrypt from its own origin. It answers no CORS and refuses any request a browser marks as
 * coming from another origin: a page served through the edge (whatever the origin serves) cannot
 * drive it to read stored records in clear.
 */
export async function handleDecrypt(
  req: IncomingMessage,
  res: ServerResponse,
  decryptor: Decryptor,
  ownOrigin: string,
  page: () => string,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if ((origin !== undefined && origin !== ownOrigin) || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ code: 'CrossOriginRefused', message: 'the decrypt endpoint answers its own page and non-browser clients only' }),
    );
    return;
  }
  const path = (req.url ?? '').split('?', 1)[0];
  if (req.method === 'GET' && path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
    res.end(page());
    return;
  }
  if (req.method !== 'POST' || path !== '/decrypt') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'NotFound', message: 'POST /decrypt, or GET / for the try-it page' }));
    return;
  }
  const contentType = req.headers['content-type'];
  try {
    const { text } = await decryptor.decrypt(Buffer.concat(chunks).toString('utf8'), { contentType });
    res.writeHead(200, { 'content-type': contentType ?? 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
  } catch (error) {
    const failure = error instanceof DecryptError ? error : undefined;
    res.writeHead(failure ? (STATUS[failure.code] ?? 500) : 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: failure?.code ?? 'DecryptFailed', message: failure?.message ?? 'the body could not be decrypted' }));
  }
}
