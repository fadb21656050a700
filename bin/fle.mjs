#!/usr/bin/env node
// The `fle` command. The CLI is TypeScript; esbuild (a dependency) compiles it in a few tens of
// milliseconds on each run, so a fresh clone needs no build step and never runs a stale build.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Inside node_modules so the compiled file resolves the project's dependencies as the sources do.
const cacheDir = join(root, 'node_modules', '.cache', 'edge-fle');
const target = join(cacheDir, 'fle.mjs');

const result = await build({
  entryPoints: [join(root, 'cli', 'entry.ts')],
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
