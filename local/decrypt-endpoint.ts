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
 * content type decides how plaintext goes back in). The page, served from the edge port, calls it
 * cross-origin, so it answers CORS for that origin only.
 */
export async function handleDecrypt(req: IncomingMessage, res: ServerResponse, decryptor: Decryptor, pageOrigin: string): Promise<void> {
  const cors = { 'access-control-allow-origin': pageOrigin, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', vary: 'origin' };
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors);
    res.end();
    return;
  }
  if (req.method !== 'POST' || (req.url ?? '').split('?', 1)[0] !== '/decrypt') {
    res.writeHead(404, { ...cors, 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'NotFound', message: 'POST /decrypt' }));
    return;
  }
  const contentType = req.headers['content-type'];
  try {
    const { text } = await decryptor.decrypt(Buffer.concat(chunks).toString('utf8'), { contentType });
    res.writeHead(200, { ...cors, 'content-type': contentType ?? 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
  } catch (error) {
    const failure = error instanceof DecryptError ? error : undefined;
    res.writeHead(failure ? (STATUS[failure.code] ?? 500) : 500, { ...cors, 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: failure?.code ?? 'DecryptFailed', message: failure?.message ?? 'the body could not be decrypted' }));
  }
}
