#!/usr/bin/env node
// Runs one of the project's TypeScript entry points: esbuild (a dependency) compiles it in a few
// tens of milliseconds on each run, so a fresh clone needs no build step and never runs a stale
// build. Usage: node bin/ts-run.mjs <entry.ts> [args...] (as `fle` and the CDK app do).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Compiles `entry` (relative to the project root) and imports it. */
export async function runTs(entry) {
  // Inside node_modules so the compiled file resolves the project's dependencies as the sources do.
  const cacheDir = join(root, 'node_modules', '.cache', 'edge-fle');
  const target = join(cacheDir, `${basename(entry, '.ts')}.mjs`);
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    write: false,
    logLevel: 'error',
    sourcemap: 'inline',
  });
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename: concurrent runs never import a half-written file.
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, result.outputFiles[0].contents);
  renameSync(temporary, target);
  process.env.FLE_ROOT ??= root;
  await import(pathToFileURL(target).href);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = process.argv[2];
  if (!entry) {
    console.error('usage: node bin/ts-run.mjs <entry.ts> [args...]');
    process.exit(2);
  }
  // The entry sees its own arguments from argv[2], as if run directly.
  process.argv.splice(2, 1);
  await runTs(entry);
}
