import { hkdfSync } from 'node:crypto';
import type { EdgeSecretVersion } from './config';
import { deriveSecretKeys, type SecretKeys, type SecretRing } from './format/secret';

/** Opens one key id's secret of a wrapped version: KMS `Decrypt` in the Lambda, a dev secret locally. Injected. */
export type UnwrapSecret = (version: EdgeSecretVersion, keyId: string) => Promise<Uint8Array>;

/** Options for {@link createSecretSource}. */
export interface SecretSourceOptions {
  /** After a failed unwrap, requests fail fast for this long before the next KMS attempt (default 1 s). */
  readonly retryAfterMs?: number;
  /** Milliseconds clock, injectable for tests. */
  readonly now?: () => number;
}

/**
 * One secret version's keys, per key id, each unwrapped once per container and then kept. While an
 * unwrap is under way, concurrent requests wait for the same one; after a failure the next attempt
 * waits `retryAfterMs`, so an unreachable KMS sees one call per second per container and key id,
 * not one per request.
 */
export function createSecretSource(
  version: EdgeSecretVersion,
  unwrap: UnwrapSecret,
  options: SecretSourceOptions = {},
): (keyId: string) => Promise<SecretKeys> {
  const retryAfterMs = options.retryAfterMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const states = new Map<string, { pending?: Promise<SecretKeys> | undefined; failedAt: number; failure?: unknown }>();
  return (keyId) => {
    let state = states.get(keyId);
    if (!state) {
      state = { failedAt: Number.NEGATIVE_INFINITY };
      states.set(keyId, state);
    }
    const current = state;
    if (current.pending) return current.pending;
    if (now() - current.failedAt < retryAfterMs) return Promise.reject(current.failure);
    current.pending = unwrap(version, keyId)
      .then((secret) => {
        try {
          return deriveSecretKeys(secret, version.version);
        } finally {
          secret.fill(0);
        }
      })
      .catch((error: unknown) => {
        current.pending = undefined;
        current.failedAt = now();
        current.failure = error;
        throw error;
      });
    return current.pending;
  };
}

/** The keys of every key id in `keyIds`, from a {@link createSecretSource} source, unwrapped in parallel. */
export function secretRing(source: (keyId: string) => Promise<SecretKeys>, keyIds: readonly string[]): () => Promise<SecretRing> {
  return async () => new Map(await Promise.all(keyIds.map(async (id) => [id, await source(id)] as const)));
}

/**
 * Opens a development secret (its file holds it in clear): the local stack and tests. Each key id's
 * secret is derived from it (HKDF), as KMS would hold one per key id.
 */
export const unwrapLocalSecret: UnwrapSecret = async (version, keyId) => {
  if (version.source !== 'local') throw new Error('this secret version is wrapped by KMS; give the edge a KMS client');
  const info = Buffer.from(`edge-fle/dev-secret\u0000${keyId}`, 'utf8');
  return Buffer.from(hkdfSync('sha256', Buffer.from(version.secret, 'base64'), Buffer.alloc(0), info, 32));
};
