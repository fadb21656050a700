import { defineConfig } from 'tsup';

/**
 * The decrypt library as a package: ESM JavaScript and bundled `.d.ts` for each public entry, in
 * `dist/lib/`. `@aws-sdk/client-kms` stays external (a dependency of the package, loaded by the
 * consumer's Node); nothing else of the repository ships.
 */
export default defineConfig({
  entry: { index: 'decrypt/index.ts', express: 'decrypt/express.ts', middy: 'decrypt/middy.ts' },
  outDir: 'dist/lib',
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  clean: true,
  sourcemap: false,
  splitting: true,
  treeshake: true,
});
