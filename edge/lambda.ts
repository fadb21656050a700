/**
 * The Lambda@Edge entry point. The bundler (`fle build-edge`) provides `fle:edge-config` (the
 * validated config and public keys, baked in) and `fle:expression-engine` (jsonpath-plus when the
 * config has filter or script expressions, nothing otherwise). Everything here runs once per
 * container.
 */
import config from 'fle:edge-config';
import expressions from 'fle:expression-engine';
import { createOriginRequestHandler } from './handler';
import { compileEdgeConfig } from './transform';

export const handler = createOriginRequestHandler(compileEdgeConfig(config, expressions));
