/**
 * The CDK app (`npx cdk synth`, `npm run deploy`). Builds both bundles first, because the edge
 * function's code is the esbuild bundle for this config, then defines the stacks.
 */
import { App } from 'aws-cdk-lib';
import { buildDecryptBundle, buildEdgeBundle } from '../cli/bundle';
import { loadDeployConfig } from '../cli/dev-keys';
import { readParams } from './params';
import { addStacks } from './stacks';

const app = new App();
const params = readParams((key) => app.node.tryGetContext(key));
const { config, devKeyIds } = loadDeployConfig(params.configFile, params.allowDevKeys ? 'build' : 'none');
if (devKeyIds.length > 0) {
  console.warn(
    `edge-fle: no public key file for key(s) ${devKeyIds.join(', ')}: synthesising with generated DEV keys (never deploy these)`,
  );
}
const edge = await buildEdgeBundle(config, '.build/edge');
const decrypt = await buildDecryptBundle('.build/decrypt');
addStacks(app, params, config, { edgeAssetDir: edge.directory, decryptAssetDir: decrypt.directory }, devKeyIds);
app.synth();
