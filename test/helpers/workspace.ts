import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeDevSecret } from '../../cli/keygen';
import { route, testKeyPair } from './keys';

/** The repository root (tests run from it). */
export const ROOT = resolve('.');

/** A temporary folder with a config, its public key and the matching private key. */
export interface Workspace {
  readonly dir: string;
  readonly configFile: string;
  readonly privateKeyFile: string;
}

/** Makes a {@link Workspace} whose config is the test route, or `config` when given. */
export function makeWorkspace(config?: object): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'edge-fle-'));
  const pair = testKeyPair();
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'keys', '01.pem'), pair.publicKeyPem);
  writeFileSync(join(dir, 'keys', '01.key.pem'), pair.privateKeyPem, { mode: 0o600 });
  // A dev edge secret where the shipped config names one (configs without edgeSecret ignore it).
  writeDevSecret(join(dir, 'keys', 'edge-secret.1.json'), 1);
  const configFile = join(dir, 'fields.json');
  const { mode: _mode, ...people } = route();
  writeFileSync(
    configFile,
    JSON.stringify(config ?? { keys: [{ id: '01', publicKey: 'keys/01.pem' }], encryptWith: '01', routes: [people] }, null, 2),
  );
  return { dir, configFile, privateKeyFile: join(dir, 'keys', '01.key.pem') };
}

/** Runs `fle` as a user would, in a child process. */
export function fle(args: readonly string[], input?: string | Buffer, cwd = ROOT): SpawnSyncReturns<Buffer> {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'fle.mjs'), ...args], {
    cwd,
    input: input ?? '',
    timeout: 60_000,
  });
}

/** What a child process did. */
export interface ChildResult {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/**
 * Runs a command without blocking this process, so servers the test runs in-process (the loopback
 * KMS endpoint) keep answering the child.
 */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd ?? ROOT, env: options.env ?? process.env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `fle` without blocking: see {@link runAsync}. */
export function fleAsync(args: readonly string[], input?: string | Buffer, env?: NodeJS.ProcessEnv): Promise<ChildResult> {
  return runAsync(process.execPath, [join(ROOT, 'bin', 'fle.mjs'), ...args], { input: input ?? '', ...(env ? { env } : {}) });
}
