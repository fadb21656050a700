import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { type FleConfig, toEdgeConfig } from '../core/config';
import { parseJsonPath } from '../core/jsonpath';

/** Folder holding the project's sources (this file sits in `<root>/cli/`, or in a bundle beside it). */
function projectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return process.env.FLE_ROOT ?? resolve(here, '..');
}

/** What a bundle build produced. */
export interface BundleReport {
  /** The folder holding `index.js`: what a Lambda asset points at. */
  readonly directory: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/**
 * Bundles the Lambda@Edge function for a config into `outDir/index.js` (CommonJS, minified,
 * self-contained, exporting `handler`), with the config and public keys baked in.
 */
export async function buildEdgeBundle(config: FleConfig, outDir: string): Promise<BundleReport> {
  return bundle(join(projectRoot(), 'edge', 'lambda.ts'), outDir, [bakedConfigPlugin(config)]);
}

/**
 * Bundles the decrypt Lambda into `outDir/index.js` (CommonJS, minified, exporting `handler`).
 * The AWS SDK is bundled in, so the function runs the version it was tested with.
 */
export async function buildDecryptBundle(outDir: string): Promise<BundleReport> {
  return bundle(join(projectRoot(), 'decrypt', 'lambda.ts'), outDir, []);
}

/**
 * Provides `fle:edge-config` (the validated config and public keys, as a JSON module) and
 * `fle:expression-engine`: jsonpath-plus only when a path has a filter or script expression, so
 * other configs leave its 25 KB out of the bundle (cold-start latency).
 */
function bakedConfigPlugin(config: FleConfig): Plugin {
  const needsEngine = config.routes.some((route) =>
    route.json.some((field) => {
      const parsed = parseJsonPath(field.path);
      return typeof parsed !== 'string' && parsed.hasExpressions;
    }),
  );
  return {
    name: 'fle-edge-config',
    setup(b) {
      b.onResolve({ filter: /^fle:edge-config$/ }, () => ({ path: 'edge-config', namespace: 'fle' }));
      b.onResolve({ filter: /^fle:expression-engine$/ }, () =>
        needsEngine ? { path: join(projectRoot(), 'edge', 'expression-engine-default.ts') } : { path: 'no-engine', namespace: 'fle' },
      );
      b.onLoad({ filter: /^edge-config$/, namespace: 'fle' }, () => ({ contents: JSON.stringify(toEdgeConfig(config)), loader: 'json' }));
      b.onLoad({ filter: /^no-engine$/, namespace: 'fle' }, () => ({ contents: 'export default undefined;', loader: 'js' }));
    },
  };
}

async function bundle(entry: string, outDir: string, plugins: Plugin[]): Promise<BundleReport> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    write: false,
    plugins,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output');
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.js');
  writeFileSync(file, output.contents);
  // The repository is an ES module package; mark the bundle's folder as CommonJS so Node (and
  // Lambda, which loads index.js by the nearest package.json) reads it as such.
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n');
  return { directory: dir, file, bytes: output.contents.byteLength, gzipBytes: gzipSync(output.contents).byteLength };
}
