import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aessiv } from '@noble/ciphers/aes.js';
import { buildEdgeBundle } from '../cli/bundle';
import { type EdgeSecretVersion, validateConfig } from '../core/config';
import { sealD1 } from '../core/format/d1';
import { prove } from '../core/format/proof';
import { compileIndexes, importEdgeKey, RequestSealer } from '../core/format/sealer';
import { deriveSecretKeys } from '../core/format/secret';
import { startFakeKms } from '../test/helpers/kms-server';
import { kmsSecret } from '../test/helpers/secret';
import { perFieldInChild } from './process-bench';
import { postEvent } from './records';
import { type Figure, figure } from './stats';

const ROOT = process.env.FLE_ROOT ?? process.cwd();
const INDEX = { name: 'email', key: '01', version: 1, normalize: ['trim', 'lowercase'] as const };

/** Sealing one searchable value, its floor, and the proof every other marker pays. */
export interface SearchablePerField {
  /** µs per searchable value: normalise, AES-256-SIV, payload, marker (what the edge does). */
  readonly d1Us: Figure;
  /** µs per value for `@noble/ciphers` AES-256-SIV alone (a new cipher per value, as it requires). */
  readonly sivFloorUs: Figure;
  /** µs the P1 proof adds to one randomised marker (HMAC-SHA256 and base64url). */
  readonly proofUs: Figure;
}

/** Seals `fields` 20-byte emails per round, `runs` rounds after two warm-ups. */
export function benchSearchablePerField(rsaPublicKeyPem: string, fields: number, runs: number): SearchablePerField {
  const keys = deriveSecretKeys(randomBytes(32), 1);
  const sealer = new RequestSealer(new Map([['01', importEdgeKey('01', rsaPublicKeyPem)]]), {
    keys: new Map([['01', keys]]),
    indexes: compileIndexes([{ ...INDEX, normalize: [...INDEX.normalize] }], sealD1),
  });
  const rule = { key: '01', mode: 'rsa' as const, index: 'email' };
  const value = Buffer.from(' Alice.Rosalez@Example.com');
  const sivKey = keys.indexKey(INDEX);
  const ad = Buffer.from('edge-fle/D1\u000001\u0000email\u00001\u00001', 'utf8');
  const inner = 'E2.'.padEnd(137, 'A');
  const d1: number[] = [];
  const floor: number[] = [];
  const proof: number[] = [];
  for (let round = -2; round < runs; round += 1) {
    let start = performance.now();
    for (let f = 0; f < fields; f += 1) sealer.plan(rule, 's', value, 'json:/0/email').seal();
    const d1Time = performance.now() - start;
    start = performance.now();
    for (let f = 0; f < fields; f += 1) aessiv(sivKey, ad).encrypt(value);
    const floorTime = performance.now() - start;
    start = performance.now();
    for (let f = 0; f < fields; f += 1) prove(keys, '01', inner);
    const proofTime = performance.now() - start;
    if (round >= 0) {
      d1.push((d1Time * 1000) / fields);
      floor.push((floorTime * 1000) / fields);
      proof.push((proofTime * 1000) / fields);
    }
  }
  return { d1Us: figure(d1), sivFloorUs: figure(floor), proofUs: figure(proof) };
}

/** {@link benchSearchablePerField} in a fresh process (see `searchable-child.ts`). */
export function searchablePerFieldInChild(publicKeyFile: string, fields: number, runs: number): SearchablePerField {
  return perFieldInChild<SearchablePerField>('bench/searchable-child.ts', publicKeyFile, fields, runs);
}

/** The edge's first request with a KMS-wrapped secret, and the KMS calls a container makes. */
export interface SecretColdStart {
  /** ms from `require` of the bundle to the first protected answer, KMS at 20 ms per call. */
  readonly firstRequestMs: Figure;
  /** ms per later request in the same container (the secret kept). */
  readonly laterRequestMs: Figure;
  /** ms the same first request takes with a dev secret (no KMS, no SDK load): the difference is the unwrap. */
  readonly devFirstRequestMs: Figure;
  /** KMS calls per container over `requests` requests. */
  readonly kmsCallsPerContainer: number;
  readonly requests: number;
  readonly latencyMs: number;
}

/**
 * Builds the edge bundle with a KMS-wrapped secret (made by the loopback KMS) and with a dev one,
 * then runs each in fresh processes (`runs` containers of `requests` requests each), the KMS
 * endpoint reached through the SDK's own `AWS_ENDPOINT_URL_KMS`.
 */
export async function benchSecretColdStart(
  rsaPublicKeyPem: string,
  runs: number,
  requests: number,
  latencyMs: number,
): Promise<SecretColdStart> {
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/mrk-bench0000000000000000000000000000';
  const kms = await startFakeKms([{ arn, privateKeyPem: '', symmetricKey: randomBytes(32) }]);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'secret-cold-'));
    const wrapped = await kmsSecret(kms.url, arn, 1);
    const local: EdgeSecretVersion = { version: 1, file: 'x', source: 'local', secret: randomBytes(32).toString('base64') };
    const bundleFor = async (version: EdgeSecretVersion, name: string): Promise<string> => {
      const file = join(dir, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify(
          version.source === 'kms'
            ? { version: 1, kmsKeyId: version.kmsKeyId, ciphertextBlobs: version.ciphertextBlobs }
            : { version: 1, local: version.secret },
        ),
      );
      const config = validateConfig(
        {
          keys: [{ id: '01', publicKey: 'keys/01.pem' }],
          encryptWith: '01',
          names: [{ name: 'email', index: 'email' }],
          indexes: [{ name: 'email', normalize: ['trim', 'lowercase'] }],
          edgeSecret: { current: 1, versions: [{ version: 1, file: `${name}.json` }] },
          routes: [{ name: 'people', methods: ['POST'], path: '/api/people', json: ['$[*].ssn'] }],
        },
        (path) => (path.endsWith('.json') ? readFileSync(join(dir, path), 'utf8') : rsaPublicKeyPem),
      );
      // The bundle must find the runtime's SDK: build it inside the repository.
      return (await buildEdgeBundle(config, join(ROOT, '.build', 'bench-secret', name))).file;
    };
    const kmsBundle = await bundleFor(wrapped, 'kms');
    const devBundle = await bundleFor(local, 'dev');
    kms.latencyMs = latencyMs;
    const first: number[] = [];
    const later: number[] = [];
    const dev: number[] = [];
    let calls = 0;
    for (let run = -1; run < runs; run += 1) {
      kms.reset();
      kms.latencyMs = latencyMs;
      const measured = await container(kmsBundle, requests, kms.url);
      const local_ = await container(devBundle, 1, kms.url);
      if (run < 0) continue;
      first.push(measured.first);
      later.push(...measured.later);
      dev.push(local_.first);
      calls = Math.max(calls, kms.requests.filter((r) => r.target === 'TrentService.Decrypt').length);
    }
    return {
      firstRequestMs: figure(first),
      laterRequestMs: figure(later),
      devFirstRequestMs: figure(dev),
      kmsCallsPerContainer: calls,
      requests,
      latencyMs,
    };
  } finally {
    await kms.close();
  }
}

/** One container: a fresh process loads the bundle and serves `requests` requests one after another. */
async function container(bundleFile: string, requests: number, kmsUrl: string): Promise<{ first: number; later: number[] }> {
  const event = postEvent(Buffer.from(JSON.stringify([{ email: ' Alice@Example.com ', ssn: '123-45-6789' }])));
  const script = [
    'console.log = () => {};',
    'const times = [];',
    'let start = performance.now();',
    `const { handler } = require(${JSON.stringify(bundleFile)});`,
    `(async () => { for (let i = 0; i < ${requests}; i += 1) {`,
    `  const r = await handler(${JSON.stringify(event)});`,
    "  if (!r.body || r.body.action !== 'replace') { process.stderr.write(JSON.stringify(r)); process.exit(1); }",
    '  times.push(performance.now() - start); start = performance.now();',
    '} process.stdout.write(JSON.stringify(times)); })();',
  ].join('\n');
  const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_KMS: kmsUrl,
        AWS_ACCESS_KEY_ID: 'AKIDLOOPBACKBENCH',
        AWS_SECRET_ACCESS_KEY: 'loopback',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  if (result.status !== 0) throw new Error(`secret cold-start container failed: ${result.stderr}`);
  const [first = 0, ...later] = JSON.parse(result.stdout) as number[];
  return { first, later };
}
