import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEdgeBundle } from '../../cli/bundle';
import { loadConfigFile } from '../../core/config-file';
import { createMarkerMatcher } from '../../core/format/marker';
import { originRequestEvent } from '../helpers/cloudfront';
import { rsaDecrypt } from '../helpers/keys';
import { makeWorkspace } from '../helpers/workspace';

/** Loads index.js alone in an empty folder, in a fresh Node process, and runs it on each event. */
function runBundle(dir: string, events: CloudFrontRequestEvent[]): { results: unknown[]; logs: string[] } {
  const runner = `
    const { handler } = require('./index.js');
    const events = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const logs = [];
    console.log = (line) => logs.push(String(line));
    (async () => {
      const results = [];
      for (const event of events) results.push(await handler(event));
      process.stdout.write(JSON.stringify({ results, logs }));
    })();`;
  const child = spawnSync(process.execPath, ['-e', runner], { cwd: dir, input: JSON.stringify(events), timeout: 30_000 });
  if (child.status !== 0) throw new Error(`bundle process failed: ${child.stderr.toString()}`);
  return JSON.parse(child.stdout.toString());
}

describe('the built edge bundle, alone in an empty folder', () => {
  let dir = '';
  let bytes = 0;

  beforeAll(async () => {
    const ws = makeWorkspace();
    const report = await buildEdgeBundle(loadConfigFile(ws.configFile), join(ws.dir, 'dist'));
    bytes = report.bytes;
    dir = mkdtempSync(join(tmpdir(), 'edge-bundle-'));
    copyFileSync(report.file, join(dir, 'index.js'));
  });

  it('is one self-contained file', () => {
    expect(readdirSync(dir)).toEqual(['index.js']);
    expect(bytes).toBeGreaterThan(0);
  });

  it('handles documentation-shaped origin-request events end to end', () => {
    const events = [
      originRequestEvent({ body: '[{"ssn":"123-45-6789","fname":"Ana"}]', contentType: 'application/json' }),
      originRequestEvent({ body: '[{"ssn":"12', contentType: 'application/json', truncated: true }),
      originRequestEvent({ method: 'GET', uri: '/api/people/1' }),
      originRequestEvent({ uri: '/elsewhere', body: 'anything at all', contentType: 'text/plain' }),
      originRequestEvent({ body: '[{"ssn": "x",]', contentType: 'application/json' }),
    ];
    const { results, logs } = runBundle(dir, events);
    const [post, truncated, get, unmatched, malformed] = results as [
      CloudFrontRequest,
      CloudFrontResultResponse,
      CloudFrontRequest,
      CloudFrontResultResponse,
      CloudFrontResultResponse,
    ];

    expect(post.body).toMatchObject({ action: 'replace', encoding: 'text' });
    const person = JSON.parse(post.body!.data)[0];
    expect(person.fname).toBe('Ana');
    expect(rsaDecrypt(createMarkerMatcher(['01']).find(person.ssn)[0]!.payload)).toBe('123-45-6789');

    expect(truncated.status).toBe('413');
    expect(JSON.parse(truncated.body!)).toEqual({
      code: 'BodyTruncated',
      message: expect.any(String),
      requestId: events[1]!.Records[0]!.cf.config.requestId,
    });

    expect(get).toEqual(events[2]!.Records[0]!.cf.request);
    // A body the edge cannot read, on a path no route names, is refused under the default policy.
    expect(unmatched.status).toBe('415');

    expect(malformed.status).toBe('400');
    expect(JSON.parse(malformed.body!).code).toBe('MalformedJson');

    expect(logs).toHaveLength(events.length);
    expect(logs.map((line) => JSON.parse(line).outcome)).toEqual(['protected', 'rejected', 'forwarded', 'rejected', 'rejected']);
    expect(logs.join('\n')).not.toContain('123-45-6789');
  });
});

describe('what the bundle carries', () => {
  it('leaves jsonpath-plus out unless a path has a filter expression, and then evaluates it', async () => {
    const plain = makeWorkspace();
    const small = await buildEdgeBundle(loadConfigFile(plain.configFile), join(plain.dir, 'plain'));
    const filtered = makeWorkspace({
      keys: [{ id: '01', publicKey: 'keys/01.pem' }],
      encryptWith: '01',
      routes: [{ name: 'people', methods: ['POST'], path: '/api/people*', json: ['$[?(@.kind === "card")].number'] }],
    });
    const large = await buildEdgeBundle(loadConfigFile(filtered.configFile), join(filtered.dir, 'filtered'));
    expect(readFileSync(small.file, 'utf8')).not.toContain('jsep');
    expect(readFileSync(large.file, 'utf8')).toContain('jsep');
    expect(large.bytes - small.bytes).toBeGreaterThan(10_000);

    const dir = mkdtempSync(join(tmpdir(), 'edge-bundle-'));
    copyFileSync(large.file, join(dir, 'index.js'));
    const body = '[{"kind": "card", "number": "4111"}, {"kind": "note", "number": "42"}]';
    const { results } = runBundle(dir, [originRequestEvent({ body, contentType: 'application/json' })]);
    const out = JSON.parse((results[0] as CloudFrontRequest).body!.data);
    expect(rsaDecrypt(createMarkerMatcher(['01']).find(out[0].number)[0]!.payload)).toBe('4111');
    expect(out[1].number).toBe('42');
  });
});

describe('the built edge bundle with searchable fields and a KMS-wrapped edge secret', () => {
  it('unwraps the secret with one KMS call per container, seals searchable values, and carries AES-SIV only when needed', async () => {
    // Prepare: a loopback KMS holding the secret's key, a version made with it, the bundle built for it.
    const { randomBytes } = await import('node:crypto');
    const { writeFileSync } = await import('node:fs');
    const { startFakeKms } = await import('../helpers/kms-server');
    const { kmsSecret } = await import('../helpers/secret');
    const arn = 'arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef';
    const kms = await startFakeKms([{ arn, privateKeyPem: '', symmetricKey: randomBytes(32) }]);
    try {
      const version = await kmsSecret(kms.url, arn, 1);
      const ws = makeWorkspace();
      const raw = JSON.parse(readFileSync(ws.configFile, 'utf8'));
      const plain = await buildEdgeBundle(loadConfigFile(ws.configFile), join(ws.dir, 'plain'));
      writeFileSync(
        join(ws.dir, 'keys', 'secret.kms.json'),
        JSON.stringify({ version: 1, kmsKeyId: arn, ciphertextBlobs: version.ciphertextBlobs }),
      );
      raw.names = [{ name: 'login', index: 'email' }];
      raw.indexes = [{ name: 'email', normalize: ['trim', 'lowercase'] }];
      raw.edgeSecret = { current: 1, versions: [{ version: 1, file: 'keys/secret.kms.json' }] };
      writeFileSync(ws.configFile, JSON.stringify(raw));
      // Inside the repository, where the Lambda runtime's SDK stands in for @aws-sdk/client-kms.
      const report = await buildEdgeBundle(loadConfigFile(ws.configFile), join('.build', 'test-edge-secret'));
      kms.reset();
      kms.latencyMs = 20;
      // Act: one container, three requests.
      const runner = `
        const { handler } = require(${JSON.stringify(report.file)});
        console.log = () => {};
        const events = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        (async () => { const out = []; for (const e of events) out.push(await handler(e)); process.stdout.write(JSON.stringify(out)); })();`;
      const events = ['Alice@Example.com', ' alice@example.com', 'bob@example.com'].map((login) =>
        originRequestEvent({ body: JSON.stringify({ login }), contentType: 'application/json' }),
      );
      const { spawn } = await import('node:child_process');
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', runner], {
          env: { ...process.env, AWS_ENDPOINT_URL_KMS: kms.url, AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK', AWS_SECRET_ACCESS_KEY: 'loopback' },
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.on('error', reject);
        child.on('close', () => resolve(out));
        child.stdin.end(JSON.stringify(events));
      });
      // Assert
      const logins = (JSON.parse(stdout) as CloudFrontRequest[]).map((r) => JSON.parse(r.body?.data ?? '{}').login as string);
      expect(logins[0]).toMatch(/^#01#D1\.email\.1\.1\./);
      expect(logins[1]).toBe(logins[0]);
      expect(logins[2]).not.toBe(logins[0]);
      expect(kms.requests.map((r) => r.target)).toEqual(['TrentService.Decrypt']);
      expect(kms.requests[0]?.body.EncryptionContext).toEqual({
        'edge-fle:purpose': 'edge-secret',
        'edge-fle:secret-version': '1',
        'edge-fle:key-id': '01',
      });
      expect(readFileSync(report.file, 'utf8')).toContain('siv tag');
      expect(readFileSync(plain.file, 'utf8')).not.toContain('siv tag');
      expect(readFileSync(plain.file, 'utf8')).not.toContain('client-kms');
      // The secret's derivation rides only in bundles with a secret; the dev unwrap only in dev ones.
      expect(readFileSync(report.file, 'utf8')).toContain('edge-fle/P1/proof');
      expect(readFileSync(report.file, 'utf8')).not.toContain('edge-fle/dev-secret');
      expect(readFileSync(plain.file, 'utf8')).not.toContain('edge-fle/P1/proof');
    } finally {
      await kms.close();
    }
  });
});
