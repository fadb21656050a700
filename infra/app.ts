/**
 * The CDK app (`npx cdk synth`, `npm run deploy`): the stacks of `infra/synth.ts` for the context's
 * parameters. Never embeds a key KMS is not known to hold, unless `edge-fle:unsafeDevKeys` says so.
 */
import { App } from 'aws-cdk-lib';
import { readParams } from './params';
import { defineApp, KeysNotDeployableError } from './synth';

const app = new App();
try {
  await defineApp(
    app,
    readParams((key) => app.node.tryGetContext(key)),
  );
} catch (error) {
  if (!(error instanceof KeysNotDeployableError)) throw error;
  console.error(`edge-fle: ${error.message}`);
  process.exit(1);
}
app.synth();
