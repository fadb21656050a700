import type { EdgeSecretVersion } from './config';
import { deriveSecretKeys, type SecretKeys } from './format/secret';

/** Opens one wrapped secret version: KMS `Decrypt` in the Lambda, a dev secret locally. Injected. */
export type UnwrapSecret = (version: EdgeSecretVersion) => Promise<Uint8Array>;

/** Options for {@link createSecretSource}. */
export interface SecretSourceOptions {
  /** After a failed unwrap, requests fail fast for this long before the next KMS attempt (default 1 s). */
  readonly retryAfterMs?: number;
  /** Milliseconds clock, injectable for tests. */
  readonly now?: () => number;
}

/**
 * The edge secret's keys, unwrapped once per container and then kept. While an unwrap is under
 * way, concurrent requests wait for the same one; after a failure the next attempt waits
 * `retryAfterMs`, so an unreachable KMS sees one call per second per container, not one per request.
 */
export function createSecretSource(
  version: EdgeSecretVersion,
  unwrap: UnwrapSecret,
  options: SecretSourceOptions = {},
): () => Promise<SecretKeys> {
  const retryAfterMs = options.retryAfterMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  let pending: Promise<SecretKeys> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  let failure: unknown;
  return () => {
    if (pending) return pending;
    if (now() - failedAt < retryAfterMs) return Promise.reject(failure);
    pending = unwrap(version)
      .then((secret) => {
        try {
          return deriveSecretKeys(secret, version.version);
        } finally {
          secret.fill(0);
        }
      })
      .catch((error: unknown) => {
        pending = undefined;
        failedAt = now();
        failure = error;
        throw error;
      });
    return pending;
  };
}

/** Unwraps a development secret (its file holds it in clear): the local stack and tests. */
export const unwrapLocalSecret: UnwrapSecret = async (version) => {
  if (version.source !== 'local') throw new Error('this secret version is wrapped by KMS; give the edge a KMS client');
  return Buffer.from(version.secret, 'base64');
};
