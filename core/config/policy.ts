import type { EdgeConfig, FleConfig } from './types';

/** The subset of a config the edge bundle needs: no RSA key ARNs; the current edge secret version, wrapped by KMS. */
export function toEdgeConfig(config: FleConfig): EdgeConfig {
  const current = config.edgeSecret?.versions.find((v) => v.version === config.edgeSecret?.current);
  return {
    keys: config.keys.map(({ id, publicKeyPem }) => ({ id, publicKeyPem })),
    encryptWith: config.encryptWith,
    names: config.names,
    unmatched: config.unmatched,
    routes: config.routes,
    limits: config.limits,
    ...(current ? { secret: current } : {}),
    indexes: config.indexes,
  };
}

/**
 * What a valid config leaves open, for `fle check-config` and the edge's start-up log: nothing
 * here is an error, each is a choice an operator should see every time.
 */
export function configWarnings(config: Pick<FleConfig, 'names' | 'unmatched' | 'routes'>): string[] {
  const warnings: string[] = [];
  if (config.unmatched === 'forward') {
    warnings.push('unmatched is "forward": bodies on paths no route names reach the origin unprotected, sensitive names included');
  }
  if (config.names.length === 0) {
    warnings.push(
      'no "names": only the routes\' JSONPaths and form fields are protected, and only on their paths; a sensitive field sent any other way (another shape, another path, the query string) is not',
    );
  }
  return warnings;
}
