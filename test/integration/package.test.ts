import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { edgeProtect } from '../helpers/decrypt';
import { testKeyPair } from '../helpers/keys';
import { ROOT } from '../helpers/workspace';

/**
 * The decrypt library as people install it: `npm pack` (which builds dist/lib), the tarball
 * unpacked as `node_modules/edge-fle` of a throwaway project whose other packages are links to this
 * repository's (no network: the registry is never asked), then plain Node with no TypeScript loader
 * imports it and decrypts, and tsc type-checks a consumer against its types.
 */

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

let consumer = '';

beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), 'pack-'));
  npm(['pack', '--pack-destination', out, '--silent'], ROOT);
  const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  consumer = mkdtempSync(join(tmpdir(), 'consumer-'));
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'edge-fle': '0.1.0' } }),
  );
  const modules = join(consumer, 'node_modules');
  mkdirSync(modules);
  // The package's dependencies (the AWS SDK) come from this repository's install, as links.
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry !== 'edge-fle' && !entry.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
  }
  execFileSync('tar', ['-xzf', join(out, tarball), '-C', out]);
  renameSync(join(out, 'package'), join(modules, 'edge-fle'));
}, 240_000);

describe('the packed decrypt library', () => {
  it('decrypts a marker from plain Node (no TypeScript loader) with a local private key', () => {
    const stored = edgeProtect(JSON.stringify([{ ssn: '123-45-6789' }]), 'application/json');
    writeFileSync(join(consumer, 'stored.json'), stored);
    writeFileSync(join(consumer, 'key.pem'), testKeyPair().privateKeyPem);
    writeFileSync(
      join(consumer, 'main.mjs'),
      `import { readFileSync } from 'node:fs';
import { createDecryptor, UnknownKeyError } from 'edge-fle/decrypt';
import { decryptRequestBody } from 'edge-fle/decrypt/express';
import { decryptMiddleware } from 'edge-fle/decrypt/middy';
if (typeof decryptRequestBody !== 'function' || typeof decryptMiddleware !== 'function' || typeof UnknownKeyError !== 'function') throw new Error('missing export');
const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: readFileSync('key.pem', 'utf8') }] });
const { text } = await decryptor.decrypt(readFileSync('stored.json', 'utf8'), { contentType: 'application/json' });
process.stdout.write(text);
`,
    );
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: consumer, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([{ ssn: '123-45-6789' }]);
  });

  it('type-checks a consumer against the installed types, and catches a wrong use', () => {
    mkdirSync(join(consumer, 'src'), { recursive: true });
    const tsconfig = {
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        noEmit: true,
        skipLibCheck: true,
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      include: ['src'],
    };
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig));
    writeFileSync(
      join(consumer, 'src', 'ok.ts'),
      `import { createDecryptor, type DecryptResult } from 'edge-fle/decrypt';
const decryptor = createDecryptor({ keys: [{ id: '01', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/x' }], concurrency: 4 });
export const result: Promise<DecryptResult> = decryptor.decrypt('{}', { contentType: 'application/json' });
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', consumer], { cwd: consumer, encoding: 'utf8' });
    writeFileSync(
      join(consumer, 'src', 'wrong.ts'),
      `import { createDecryptor } from 'edge-fle/decrypt';\ncreateDecryptor({ keys: 'not a list' });\n`,
    );
    let report = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', consumer], { cwd: consumer, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      report = String((error as { stdout?: string }).stdout ?? '');
    }
    expect(report).toMatch(/wrong\.ts.*error TS2322/);
  });

  it('passes publint and @arethetypeswrong/cli', () => {
    expect(execFileSync(join(ROOT, 'node_modules', '.bin', 'publint'), { cwd: ROOT, encoding: 'utf8' })).toContain('All good');
    const attw = execFileSync(
      join(ROOT, 'node_modules', '.bin', 'attw'),
      ['--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(attw).not.toMatch(/❌|💀 Resolution failed.*node16/);
  });
});
