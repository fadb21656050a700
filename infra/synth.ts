import type { App } from 'aws-cdk-lib';
import { buildDecryptBundle, buildEdgeBundle, buildPlaceholderEdgeBundle, buildRewrapBundle } from '../cli/bundle';
import { loadDeployConfig, undeployableKeyProblems } from '../cli/dev-keys';
import type { DeployParams } from './params';
import { addStacks, type EdgeFleStacks } from './stacks';

/** Synthesis refused: `edge-fle:requireKmsKeys` and a key KMS is not known to hold. */
export class KeysNotDeployableError extends Error {
  override readonly name = 'KeysNotDeployableError';
}

/**
 * Defines the app's stacks for `params`, building the bundles first (under `buildDir`).
 *
 * The edge bundle embeds the configured public keys only when KMS is known to hold each of them
 * (fetched by `fle fetch-public-key`, recorded beside the PEM). Otherwise (a fresh clone, or
 * `npm start`'s dev keys in place) the edge stack gets a keyless placeholder and a CloudFormation
 * rule that refuses deployment, unless `edge-fle:unsafeDevKeys` asks for those keys anyway;
 * `edge-fle:requireKmsKeys` (set by `npm run deploy`) makes any such key an error.
 */
export async function defineApp(
  app: App,
  params: DeployParams,
  buildDir = '.build',
  warn: (line: string) => void = console.warn,
): Promise<EdgeFleStacks> {
  const loaded = loadDeployConfig(params.configFile, params.requireKmsKeys ? 'none' : 'build');
  const problems = undeployableKeyProblems(loaded);
  const list = problems.map((p) => `- ${p}`).join('\n');
  if (problems.length > 0 && params.requireKmsKeys) {
    throw new KeysNotDeployableError(`refusing to synthesise a deployable edge with keys KMS does not hold:\n${list}`);
  }
  let edge: Awaited<ReturnType<typeof buildEdgeBundle>>;
  if (problems.length === 0 || params.unsafeDevKeys) {
    edge = await buildEdgeBundle(loaded.config, `${buildDir}/edge`, loaded.sources);
    if (problems.length > 0) {
      warn(
        `edge-fle: UNSAFE (edge-fle:unsafeDevKeys): the edge embeds key(s) ${loaded.devKeyIds.join(', ')} that KMS does not hold; data encrypted by it may be lost. Sandbox accounts only.`,
      );
    }
  } else {
    edge = buildPlaceholderEdgeBundle(`${buildDir}/edge-placeholder`);
    warn(
      `edge-fle: the edge stack is synthesised NOT DEPLOYABLE (keyless placeholder, CloudFormation rule): KMS is not known to hold\n${list}`,
    );
  }
  const decrypt = await buildDecryptBundle(`${buildDir}/decrypt`);
  const rewrap = params.rotation ? await buildRewrapBundle(`${buildDir}/rewrap`) : undefined;
  // Only the deploy's synthesis (verified against KMS next) and an explicit unsafe one may ship.
  const edgeGated = !(params.requireKmsKeys || params.unsafeDevKeys);
  return addStacks(app, params, loaded.config, {
    edgeAssetDir: edge.directory,
    edgeKeys: edge.manifest,
    edgeGated,
    decryptAssetDir: decrypt.directory,
    ...(rewrap ? { rewrapAssetDir: rewrap.directory } : {}),
  });
}
