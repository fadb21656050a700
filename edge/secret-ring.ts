import type { EdgeSecretVersion } from '../core/config';
import type { SecretRing } from '../core/format/secret';
import { createSecretSource, secretRing, type UnwrapSecret } from '../core/secret-source';

/**
 * What `fle:edge-secret` gives `lambda.ts`: the baked secret version's keys for the key ids the edge
 * writes with, each unwrapped once per container. The secret-source and key-derivation code live
 * behind it, so a bundle whose config declares no secret leaves them out (cold-start latency).
 */
export type EdgeSecretRing = (version: EdgeSecretVersion, keyIds: readonly string[]) => () => Promise<SecretRing>;

/** An {@link EdgeSecretRing} over one way of unwrapping (KMS in the Lambda, the dev secret locally). */
export function edgeSecretRing(unwrap: UnwrapSecret): EdgeSecretRing {
  return (version, keyIds) => secretRing(createSecretSource(version, unwrap), keyIds);
}
