/**
 * The Lambda@Edge entry point. The bundler (`fle build-edge`) provides `fle:edge-config` (the
 * validated config and public keys, baked in), `fle:expression-engine` (jsonpath-plus when the
 * config has filter or script expressions), `fle:searchable` (AES-SIV sealing when it has searchable
 * indexes) and `fle:edge-secret` (its edge secret's keys: opened by KMS `Decrypt` for a KMS-wrapped
 * version, loading the runtime's KMS client on the first request that needs it; from the dev secret
 * as it is), each nothing otherwise: bundle size is cold-start latency. Everything here runs once per
 * container.
 */
import config from 'fle:edge-config';
import secretRing from 'fle:edge-secret';
import expressions from 'fle:expression-engine';
import searchable from 'fle:searchable';
import { createOriginRequestHandler } from './handler';
import { compileEdgeConfig } from './transform';

const compiled = compileEdgeConfig(config, expressions, searchable);

export const handler = createOriginRequestHandler(compiled, {
  // One KMS call per key id the edge writes with (usually one), on the first request with a body.
  ...(config.secret && secretRing ? { secret: secretRing(config.secret, compiled.secretKeyIds) } : {}),
});
