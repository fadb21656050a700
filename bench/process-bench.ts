import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RouteMode } from '../core/config';
import { createDecryptor } from '../decrypt/decryptor';
import { protectRequest } from '../edge/transform';
import { loopbackKmsClient } from '../test/helpers/decrypt';
import { edgeConfig } from './edge-bench';
import type { E2PerField } from './payload-bench';
import { peopleBody, postEvent } from './records';
import { type Figure, figure, timeAsync } from './stats';

const ROOT = process.env.FLE_ROOT ?? process.cwd();

/**
 * Cold start of a built bundle: a fresh process loads it and serves one request. `added` is
 * measured inside that process (from before `require` to the first answer), which is what the
 * process costs beyond bare `node -e 0` without the noise of process start-up; `withBundle` and
 * `bare` are whole-process wall times, for context.
 */
export function coldStart(bundleFile: string, runs: number): { added: Figure; bare: Figure; withBundle: Figure } {
  const dir = mkdtempSync(join(tmpdir(), 'cold-'));
  const event = postEvent(peopleBody(1), 'cold-start');
  const runner = join(dir, 'first-request.cjs');
  writeFileSync(
    runner,
    [
      'const start = performance.now();',
      'console.log = () => {};',
      `require(${JSON.stringify(bundleFile)}).handler(${JSON.stringify(event)}).then((r) => {`,
      "  if (!r.body || r.body.action !== 'replace') process.exit(1);",
      '  process.stdout.write(String(performance.now() - start));',
      '});',
      '',
    ].join('\n'),
  );
  const wall = (args: string[]): { ms: number; stdout: string } => {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`cold-start run failed: ${args.join(' ')}`);
    return { ms: performance.now() - started, stdout: result.stdout };
  };
  const bare: number[] = [];
  const withBundle: number[] = [];
  const added: number[] = [];
  wall(['-e', '0']);
  wall([runner]);
  for (let i = 0; i < runs; i += 1) {
    bare.push(wall(['-e', '0']).ms);
    const run = wall([runner]);
    withBundle.push(run.ms);
    added.push(Number(run.stdout));
  }
  return { added: figure(added), bare: figure(bare), withBundle: figure(withBundle) };
}

/** Peak RSS (MB) of the transform on one body, in a fresh process. */
export function peakMemory(mode: RouteMode, records: number, publicKeyFile: string): { peakMb: number; addedMb: number } {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'ts-run.mjs'), 'bench/memory-child.ts', mode, String(records), publicKeyFile],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`memory run failed: ${result.stderr}`);
  const { baselineKb, peakKb } = JSON.parse(result.stdout) as { baselineKb: number; peakKb: number };
  return { peakMb: peakKb / 1024, addedMb: (peakKb - baselineKb) / 1024 };
}

/** One decrypt measurement: a 100-record request, a mode and a concurrency. */
export interface DecryptResult {
  readonly mode: RouteMode;
  readonly concurrency: number;
  readonly markers: number;
  readonly kmsCalls: number;
  readonly wall: Figure;
}

/**
 * Decrypts a request's stored body against the loopback KMS endpoint (in its own process, with
 * injected latency per call), through the real SDK client.
 */
export async function benchDecrypt(
  keys: { publicKeyPem: string; privateKeyFile: string },
  cases: readonly { mode: RouteMode; concurrency: number; runs: number }[],
  records: number,
  latencyMs: number,
): Promise<DecryptResult[]> {
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/bench';
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ts-run.mjs'), 'bench/kms-child.ts'], {
    cwd: ROOT,
    env: { ...process.env, FLE_BENCH_KEY_FILE: keys.privateKeyFile, FLE_BENCH_KEY_ARN: arn, FLE_BENCH_LATENCY_MS: String(latencyMs) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', () => reject(new Error('the KMS endpoint process exited')));
    });
    const results: DecryptResult[] = [];
    for (const { mode, concurrency, runs } of cases) {
      const outcome = protectRequest(edgeConfig(keys.publicKeyPem, mode), {
        method: 'POST',
        uri: '/api/people',
        contentType: 'application/json',
        body: peopleBody(records),
      });
      if (outcome.action !== 'replace') throw new Error('expected a protected body');
      const client = loopbackKmsClient(url);
      const decryptor = createDecryptor({ keys: [{ id: '01', kmsKeyId: arn }], kmsClient: client, concurrency, kmsTimeoutMs: 120_000 });
      let stats = { markers: 0, kmsCalls: 0 };
      const wall = await timeAsync(
        async () => {
          stats = (await decryptor.decrypt(outcome.body, { contentType: 'application/json' })).stats;
        },
        runs,
        1,
      );
      client.destroy();
      results.push({ mode, concurrency, markers: stats.markers, kmsCalls: stats.kmsCalls, wall });
    }
    return results;
  } finally {
    child.stdin?.end();
    child.kill();
  }
}

/**
 * Runs a `bench/*-child.ts` script in a fresh process (the main bench process's heap slows small
 * allocations) with a key file, fields per round and rounds; returns the JSON it prints.
 */
export function perFieldInChild<T>(script: string, publicKeyFile: string, fields: number, runs: number): T {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'ts-run.mjs'), script, publicKeyFile, String(fields), String(runs)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** E2 sealing per value and its AES-GCM floor, measured in a fresh process (see `e2-child.ts`). */
export function e2PerFieldInChild(publicKeyFile: string, fields: number, runs: number): E2PerField {
  return perFieldInChild<E2PerField>('bench/e2-child.ts', publicKeyFile, fields, runs);
}
