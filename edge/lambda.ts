/**
 * The Lambda@Edge entry point. The bundler (`fle build-edge`) provides `fle:edge-config` (the
 * validated config and public keys, baked in) and `fle:expression-engine` (jsonpath-plus when the
 * config has filter or script expressions, nothing otherwise). Everything here runs once per
 * container.
 *
 * When the config declares the edge secret, its KMS ciphertext is baked in too and unwrapped with
 * KMS `Decrypt` on the first request that needs it (the KMS client loads then, from the Lambda
 * runtime's AWS SDK, so routes without bodies pay nothing for it).
 */
import config from 'fle:edge-config';
import expressions from 'fle:expression-engine';
import { createSecretSource, type UnwrapSecret, unwrapLocalSecret } from '../core/secret-source';
import { createOriginRequestHandler } from './handler';
import { compileEdgeConfig } from './transform';

const secretVersion = config.secret;

let kmsUnwrap: UnwrapSecret | undefined;

/** KMS for a KMS-wrapped secret, its client made on first use and kept; a dev secret needs none. */
const unwrap: UnwrapSecret = async (version) => {
  if (version.source === 'local') return unwrapLocalSecret(version);
  if (!kmsUnwrap) {
    const { edgeKmsClient, kmsSecretUnwrapper } = await import('./kms-secret');
    kmsUnwrap = kmsSecretUnwrapper(edgeKmsClient(version));
  }
  return kmsUnwrap(version);
};

export const handler = createOriginRequestHandler(compileEdgeConfig(config, expressions), {
  ...(secretVersion ? { secret: createSecretSource(secretVersion, unwrap) } : {}),
});
