import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scanMarkers } from '../../../core/format/marker';
import { readRecordsFile } from '../../../local/sample-origin';
import type { LocalStack } from '../../../local/stack';
import { startTestStack } from '../../helpers/local-stack';
import { makeWorkspace, ROOT } from '../../helpers/workspace';

const sample = readFileSync(join(ROOT, 'examples', 'people.json'), 'utf8');
const SECRETS = ['123-45-6789', '987-65-4321', 'alejandro.rosalez@example.com', 'nikki_wolf@example.com', '4111 1111 1111 1111'];

const workspaceStack = (extra: Parameters<typeof startTestStack>[0] = {}) => startTestStack(extra);

/** A bundle that does what a test needs instead of the edge transform. */
function bundle(source: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'index.js');
  writeFileSync(file, source);
  writeFileSync(join(dirname(file), 'package.json'), '{"type":"commonjs"}');
  return file;
}

async function records(stack: LocalStack): Promise<{ body: string; headers: Record<string, string> }[]> {
  return (await fetch(`${stack.originUrl}/records`)).json() as Promise<{ body: string; headers: Record<string, string> }[]>;
}

describe('the local stack with the real edge bundle', () => {
  let stack: LocalStack;
  const dataDir = join(mkdtempSync(join(tmpdir(), 'stack-')), '.local');
  beforeAll(async () => {
    stack = await workspaceStack({ dataDir });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('JSON: the edge protects, the origin stores ciphertext, the decrypt endpoint gives the document back', async () => {
    const sent = await fetch(`${stack.edgeUrl}/api/people`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sample,
    });
    expect(sent.status).toBe(201);
    const stored = (await records(stack)).at(-1)!;
    expect(scanMarkers(stored.body).length).toBe(5);
    for (const secret of SECRETS) expect(stored.body).not.toContain(secret);
    const decrypted = await fetch(stack.decryptUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stored.body });
    expect(decrypted.status).toBe(200);
    expect(JSON.parse(await decrypted.text())).toEqual(JSON.parse(sample));
  });

  it('form: the same through all three parts', async () => {
    const form = 'name=Mar%C3%ADa&card_number=4111+1111+1111+1111&plan=gold';
    const sent = await fetch(`${stack.edgeUrl}/api/people`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(sent.status).toBe(201);
    const stored = (await records(stack)).at(-1)!;
    expect(stored.body).not.toContain('4111');
    expect(stored.body).toMatch(/^name=Mar%C3%ADa&card_number=%2301%23.+%2310%23&plan=gold$/);
    const decrypted = await (
      await fetch(stack.decryptUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stored.body })
    ).text();
    expect(new URLSearchParams(decrypted).get('card_number')).toBe('4111 1111 1111 1111');
    expect(new URLSearchParams(decrypted).get('name')).toBe('María');
  });

  it('answers a 1.5 MB body with 413 from the edge, and the origin never sees it', async () => {
    const before = (await records(stack)).length;
    const big = JSON.stringify([{ ssn: '123-45-6789', notes: 'x'.repeat(1_500_000) }]);
    const answer = await fetch(`${stack.edgeUrl}/api/people`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({ code: 'BodyTruncated', requestId: expect.any(String) });
    expect((await records(stack)).length).toBe(before);
  });

  it('refuses a body it cannot inspect on a path no route names, and stores nothing', async () => {
    const before = (await records(stack)).length;
    const big = 'y'.repeat(1_200_000);
    const answer = await fetch(`${stack.edgeUrl}/uploads`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: big });
    expect(answer.status).toBe(415);
    expect(((await answer.json()) as { code: string }).code).toBe('UnsupportedMediaType');
    expect((await records(stack)).length).toBe(before);
  });

  it('serves the page beside the decrypt endpoint, and passes GETs through the edge untouched', async () => {
    const page = await fetch(stack.pageUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('What the origin stored');
    const stored = await fetch(`${stack.edgeUrl}/records`);
    expect(Array.isArray(await stored.json())).toBe(true);
  });

  it('refuses a GET or HEAD with a body, as CloudFront does, before the function or the origin', async () => {
    const before = (await records(stack)).length;
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${stack.edgeUrl}/api/people`);
      const body = '[{"ssn":"123-45-6789"}]';
      const req = request(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'GET',
          headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(403);
    expect((await records(stack)).length).toBe(before);
  });

  it('sends the path to the configured origin exactly as the function left it: no //host, no normalising', async () => {
    const seen: string[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end('elsewhere');
    });
    await new Promise<void>((done) => elsewhere.listen(0, '127.0.0.1', done));
    const port = (elsewhere.address() as AddressInfo).port;
    const { request } = await import('node:http');
    const send = (path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const url = new URL(stack.edgeUrl);
        const req = request({ hostname: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      await send(`//127.0.0.1:${port}/records`);
      await send('/x/../records');
      expect(seen).toEqual([]);
      // The sample origin saw the raw paths (it has no such routes, so it answers 404).
      expect(await send('/x/../records')).toBe(404);
    } finally {
      await new Promise<void>((done) => elsewhere.close(() => done()));
    }
  });

  it('refuses to decrypt for a page of another origin (the edge, say), answering no CORS', async () => {
    const stored = (await records(stack)).at(-1)!;
    const cross = await fetch(stack.decryptUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.edgeUrl },
      body: stored.body,
    });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('access-control-allow-origin')).toBeNull();
    expect(await cross.text()).not.toContain('123-45-6789');
    const preflight = await fetch(stack.decryptUrl, {
      method: 'OPTIONS',
      headers: { origin: stack.edgeUrl, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('keeps no plaintext of configured fields in the record file', async () => {
    const file = await storedRecords(join(dataDir, 'origin.sqlite'));
    expect(file.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    for (const secret of SECRETS) expect(file).not.toContain(secret);
    expect(file).toContain('#01#');
  });
});

describe('the CloudFront stand-in judges the function as CloudFront does', () => {
  it.each<[string, string, number, number | undefined]>([
    ['a thrown error', 'exports.handler = async () => { throw new Error("boom"); };', 503, undefined],
    ['a run past the timeout', 'exports.handler = async () => { for (;;) {} };', 503, 300],
    [
      'a replaced body over 1 MB',
      'exports.handler = async (e) => { const r = e.Records[0].cf.request; r.body.action = "replace"; r.body.encoding = "text"; r.body.data = "z".repeat(1048577); return r; };',
      502,
      undefined,
    ],
    ['a generated response over 1 MB', 'exports.handler = async () => ({ status: "200", body: "z".repeat(1048577) });', 502, undefined],
    ['a bad status', 'exports.handler = async () => ({ status: "99", body: "" });', 502, undefined],
    [
      'a changed read-only header',
      'exports.handler = async (e) => { const r = e.Records[0].cf.request; r.headers["content-length"] = [{ key: "Content-Length", value: "1" }]; return r; };',
      502,
      undefined,
    ],
    [
      'an added disallowed header',
      'exports.handler = async (e) => { const r = e.Records[0].cf.request; r.headers["x-amz-cf-id"] = [{ key: "X-Amz-Cf-Id", value: "x" }]; return r; };',
      502,
      undefined,
    ],
  ])('answers %s with %i', async (_name, source, status, timeoutMs) => {
    const stack = await workspaceStack({ bundleFile: bundle(source), ...(timeoutMs ? { functionTimeoutMs: timeoutMs } : {}) });
    try {
      const answer = await fetch(`${stack.edgeUrl}/api/people`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '[{"ssn":"1"}]',
      });
      expect(answer.status).toBe(status);
      expect(await records(stack)).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it('recovers after a timeout: the next invocation runs in a new container', async () => {
    const source =
      'let calls = 0; exports.handler = async (e) => { calls += 1; if (calls === 1 && e.Records[0].cf.request.uri === "/slow") { for (;;) {} } return e.Records[0].cf.request; };';
    const stack = await workspaceStack({ bundleFile: bundle(source), functionTimeoutMs: 300 });
    try {
      expect((await fetch(`${stack.edgeUrl}/slow`, { method: 'POST', body: 'a' })).status).toBe(503);
      expect((await fetch(`${stack.edgeUrl}/fast`, { method: 'POST', body: 'b' })).status).toBe(201);
    } finally {
      await stack.close();
    }
  });
});

describe('starting and stopping', () => {
  it('says which port is taken and how to choose another', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      await expect(workspaceStack({ edgePort: taken })).rejects.toThrow(`port ${taken} is already in use: pass --edge-port`);
    } finally {
      blocker.close();
    }
  });

  it('fle serve prints its URLs, serves, and stops cleanly on Ctrl-C with the records on disk', async () => {
    const ws = makeWorkspace();
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'fle.mjs'), 'serve', '--config', ws.configFile, '--edge-port', '0', '--origin-port', '0', '--decrypt-port', '0'],
      {
        cwd: ws.dir,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('close', done));
    try {
      await vi.waitFor(() => expect(out).toContain('Ctrl-C stops all three'), { timeout: 30_000, interval: 100 });
      const edge = /edge \(CloudFront stand-in\)\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      expect(out).toMatch(/curl -sS http:\/\/127\.0\.0\.1:\d+\/api\/people -H 'content-type: application\/json' --data-binary @/);
      const sent = await fetch(`${edge}/api/people`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '[{"ssn":"123-45-6789"}]',
      });
      expect(sent.status).toBe(201);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('local stack stopped');
    const stored = await storedRecords(join(ws.dir, '.local', 'origin.sqlite'));
    expect(stored).toContain('#01#');
    expect(stored).not.toContain('123-45-6789');
  });

  it('prints a ready-to-paste curl line', async () => {
    const stack = await workspaceStack();
    try {
      expect(stack.curl).toMatch(new RegExp(`^curl -sS ${stack.edgeUrl}/api/people -H 'content-type: application/json' --data-binary @`));
    } finally {
      await stack.close();
    }
  });
});

describe('the bypass corpus through the local stack, with the shipped config', () => {
  const SECRET = '123-45-6789';
  let stack: LocalStack;
  const dataDir = join(mkdtempSync(join(tmpdir(), 'stack-corpus-')), '.local');
  beforeAll(async () => {
    const shipped = JSON.parse(readFileSync(join(ROOT, 'config', 'fields.json'), 'utf8')) as { keys: { publicKey: string }[] };
    // The repository's config as it ships, with the test key in place of the dev key file.
    shipped.keys[0]!.publicKey = 'keys/01.pem';
    stack = await startTestStack({ dataDir }, shipped);
  });
  afterAll(async () => {
    await stack.close();
  });

  /** Sends a raw request line (no client-side normalising of the path) and the body. */
  async function send(method: string, path: string, contentType: string, body: string): Promise<number> {
    const { request } = await import('node:http');
    const url = new URL(stack.edgeUrl);
    return new Promise((resolve, reject) => {
      const headers = { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) };
      const req = request({ hostname: url.hostname, port: url.port, path, method, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('signs up by JSON, refuses the same email in other case by form (the UNIQUE index), and logs in by it', async () => {
    const post = (path: string, type: string, body: string) =>
      fetch(`${stack.edgeUrl}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const form = 'application/x-www-form-urlencoded';
    expect((await post('/api/signup', 'application/json', JSON.stringify({ email: 'Alice@Example.com', name: 'Alice' }))).status).toBe(201);
    const again = await post('/api/signup', form, 'email=+alice%40EXAMPLE.com+&name=Other');
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'EmailTaken' });
    const login = await post('/api/login', form, 'email=ALICE%40example.com');
    expect(login.status).toBe(200);
    const { user } = (await login.json()) as { user: { email: string; name: string } };
    expect(user.email).toMatch(/^#01#D1\.email\.1\.1\.[A-Za-z0-9_-]+#10#$/);
    // The name is a route field of the signup route: stored as a proven randomised marker.
    expect(user.name).toMatch(/^#01#P1\./);
    expect((await post('/api/login', form, 'email=bob%40example.com')).status).toBe(404);
    expect((await storedRecords(join(dataDir, 'origin.sqlite'))).toLowerCase()).not.toContain('alice@example.com');
  });

  it('never lets the secret reach the origin, whatever the path, method, shape, name or media type', async () => {
    const named = JSON.stringify({ ssn: SECRET });
    const routeOnly = JSON.stringify([{ notes: SECRET }]);
    const attempts: [string, string, string, string][] = [
      ['POST', '/API/People', 'application/json', routeOnly],
      ['POST', '//api/people', 'application/json', routeOnly],
      ['POST', '/x/../api/people', 'application/json', routeOnly],
      ['POST', '/api/%70eople', 'application/json', routeOnly],
      ['POST', '/api/people;x=1', 'application/json', routeOnly],
      ['DELETE', '/api/people', 'application/json', routeOnly],
      ['POST', '/elsewhere', 'application/json', named],
      ['PUT', '/', 'application/json', JSON.stringify({ data: [{ SSN: SECRET }] })],
      ['POST', '/api/people', 'application/x-www-form-urlencoded', `person[ssn]=${SECRET}`],
      ['POST', '/api/people', 'application/x-www-form-urlencoded', `x=1;ssn=${SECRET}`],
      ['POST', '/api/people', 'application/x-www-form-urlencoded', named],
      ['POST', '/elsewhere', 'text/plain', named],
      ['POST', `/search?ssn=${SECRET}`, 'application/json', '{}'],
    ];
    for (const [method, path, type, body] of attempts) {
      const status = await send(method, path, type, body);
      expect(status === 201 || (status >= 400 && status < 500), `${method} ${path}: ${status}`).toBe(true);
    }
    const file = await storedRecords(join(dataDir, 'origin.sqlite'));
    expect(file.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    expect(file).not.toContain(SECRET);
    expect(file).not.toContain('123456789');
  });
});

/** The sample origin's stored records, one JSON line each, read from its SQLite database. */
async function storedRecords(file: string): Promise<string> {
  return (await readRecordsFile(file)).map((record) => JSON.stringify(record)).join('\n');
}
