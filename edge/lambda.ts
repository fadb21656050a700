/**
 * The Lambda@Edge entry point. `fle:edge-config` is provided by the bundler (`fle build-edge`):
 * the validated config and public keys, baked in. Everything here runs once per container.
 */
import config from 'fle:edge-config';
import { createOriginRequestHandler } from './handler';
import { compileEdgeConfig } from './transform';

export const handler = createOriginRequestHandler(compileEdgeConfig(config));
