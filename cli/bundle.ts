import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { type FleConfig, toEdgeConfig } from '../core/config';
import { parseJsonPath } from '../core/jsonpath';
import { fingerprintOf, type KeySource } from './key-provenance';

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

/** The file beside an edge bundle's `index.js` recording the public keys it embeds. */
export const EDGE_KEYS_MANIFEST = 'edge-fle-keys.json';

/**
 * What an edge bundle embeds: each public key's fingerprint and where it came from. `kms` when KMS
 * is known to hold every key (the only state `npm run deploy` ships, after comparing each
 * fingerprint with KMS GetPublicKey); `dev` when some key is local or a stand-in; `placeholder` for
 * the keyless bundle that answers 503 to everything.
 */
export interface EdgeKeyManifest {
  readonly status: 'kms' | 'dev' | 'placeholder';
  readonly keys: readonly { readonly id: string; readonly fingerprint: string; readonly source: KeySource['kind'] }[];
  /** The edge secret version baked in, and whether KMS wrapped it (`local`: a dev secret in clear). */
  readonly secret?: { readonly version: number; readonly source: 'kms' | 'local'; readonly kmsKeyId?: string };
}

/** The manifest for a config's keys and their sources (keys without a source count as local). */
export function edgeKeyManifest(config: FleConfig, sources: ReadonlyMap<string, KeySource> = new Map()): EdgeKeyManifest {
  const keys = config.keys.map((key) => ({
    id: key.id,
    fingerprint: sources.get(key.id)?.fingerprint ?? fingerprintOf(key.publicKeyPem),
    source: sources.get(key.id)?.kind ?? ('local' as const),
  }));
  const current = config.edgeSecret?.versions.find((v) => v.version === config.edgeSecret?.current);
  const secret = current
    ? { version: current.version, source: current.source, ...(current.source === 'kms' ? { kmsKeyId: current.kmsKeyId } : {}) }
    : undefined;
  const fromKms = keys.every((k) => k.source === 'kms') && (secret === undefined || secret.source === 'kms');
  return { status: fromKms ? 'kms' : 'dev', keys, ...(secret ? { secret } : {}) };
}

/**
 * Bundles the Lambda@Edge function for a config into `outDir/index.js` (CommonJS, minified,
 * self-contained, exporting `handler`), with the config and public keys baked in, and writes
 * {@link EDGE_KEYS_MANIFEST} beside it.
 */
export async function buildEdgeBundle(
  config: FleConfig,
  outDir: string,
  sources: ReadonlyMap<string, KeySource> = new Map(),
): Promise<BundleReport & { readonly manifest: EdgeKeyManifest }> {
  const manifest = edgeKeyManifest(config, sources);
  // The AWS SDK stays out: the edge loads the Lambda runtime's own KMS client, and only when it
  // unwraps a KMS-wrapped edge secret (bundle size is cold-start latency).
  const report = await bundle(join(projectRoot(), 'edge', 'lambda.ts'), outDir, [bakedConfigPlugin(config)], ['@aws-sdk/*']);
  writeFileSync(join(report.directory, EDGE_KEYS_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...report, manifest };
}

/**
 * A keyless edge bundle that answers every request 503 `NotDeployable` and forwards nothing: what
 * `cdk synth` puts in the edge stack when KMS is not known to hold the configured keys, so no
 * template ever embeds a key KMS does not hold.
 */
export function buildPlaceholderEdgeBundle(outDir: string): BundleReport & { readonly manifest: EdgeKeyManifest } {
  const body = JSON.stringify({
    code: 'NotDeployable',
    message: 'edge-fle: this edge function was synthesised without public keys fetched from KMS; deploy with npm run deploy',
  });
  const source = `'use strict';exports.handler=async(e)=>({status:'503',statusDescription:'Service Unavailable',headers:{'content-type':[{key:'Content-Type',value:'application/json'}],'cache-control':[{key:'Cache-Control',value:'no-store'}]},body:JSON.stringify({...${body},requestId:e?.Records?.[0]?.cf?.config?.requestId??''})});\n`;
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.js');
  writeFileSync(file, source);
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n');
  const manifest: EdgeKeyManifest = { status: 'placeholder', keys: [] };
  writeFileSync(join(dir, EDGE_KEYS_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  const bytes = Buffer.byteLength(source);
  return { directory: dir, file, bytes, gzipBytes: gzipSync(source).byteLength, manifest };
}

/**
 * Bundles the decrypt Lambda into `outDir/index.js` (CommonJS, minified, exporting `handler`).
 * The AWS SDK is bundled in, so the function runs the version it was tested with.
 */
export async function buildDecryptBundle(outDir: string): Promise<BundleReport> {
  return bundle(join(projectRoot(), 'decrypt', 'lambda.ts'), outDir, []);
}

/** Bundles the rotation worker Lambda (`rewrap/lambda.ts`) into `outDir/index.js`, the AWS SDK included. */
export async function buildRewrapBundle(outDir: string): Promise<BundleReport> {
  return bundle(join(projectRoot(), 'rewrap', 'lambda.ts'), outDir, []);
}

/**
 * Provides `fle:edge-config` (the validated config, public keys and the edge secret's ciphertext,
 * as a JSON module) and, each only where the config needs it so other bundles leave it out
 * (cold-start latency): `fle:expression-engine` (jsonpath-plus, 25 KB, for filter or script
 * expressions), `fle:searchable` (AES-SIV, for searchable indexes) and `fle:edge-secret` (the
 * edge secret's keys, through KMS Decrypt or from the dev secret).
 */
function bakedConfigPlugin(config: FleConfig): Plugin {
  const needsEngine = config.routes.some((route) =>
    route.json.some((field) => {
      const parsed = parseJsonPath(field.path);
      return typeof parsed !== 'string' && parsed.hasExpressions;
    }),
  );
  const edgeConfig = toEdgeConfig(config);
  const needsSearchable = config.indexes.length > 0;
  const secretSource = edgeConfig.secret?.source;
  return {
    name: 'fle-edge-config',
    setup(b) {
      b.onResolve({ filter: /^fle:edge-config$/ }, () => ({ path: 'edge-config', namespace: 'fle' }));
      b.onResolve({ filter: /^fle:edge-secret$/ }, () =>
        secretSource ? { path: join(projectRoot(), 'edge', `secret-ring-${secretSource}.ts`) } : { path: 'no-engine', namespace: 'fle' },
      );
      // AES-SIV (@noble/ciphers) only for a config with searchable indexes: bundle size is cold start.
      b.onResolve({ filter: /^fle:searchable$/ }, () =>
        needsSearchable ? { path: 'searchable', namespace: 'fle' } : { path: 'no-engine', namespace: 'fle' },
      );
      b.onResolve({ filter: /^fle:expression-engine$/ }, () =>
        needsEngine ? { path: join(projectRoot(), 'edge', 'expression-engine-default.ts') } : { path: 'no-engine', namespace: 'fle' },
      );
      b.onLoad({ filter: /^edge-config$/, namespace: 'fle' }, () => ({ contents: JSON.stringify(edgeConfig), loader: 'json' }));
      b.onLoad({ filter: /^no-engine$/, namespace: 'fle' }, () => ({ contents: 'export default undefined;', loader: 'js' }));
      b.onLoad({ filter: /^searchable$/, namespace: 'fle' }, () => ({
        contents: `export { sealD1 as default } from ${JSON.stringify(join(projectRoot(), 'core', 'format', 'd1.ts'))};`,
        loader: 'js',
        resolveDir: projectRoot(),
      }));
    },
  };
}

async function bundle(entry: string, outDir: string, plugins: Plugin[], external: string[] = []): Promise<BundleReport> {
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
    external,
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
