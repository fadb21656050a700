import type { EdgeSecretConfig, EdgeSecretVersion, SearchIndex } from '../core/config';
import { INDEX_NAME_PATTERN } from '../core/format/d1';
import { MAX_VERSION } from '../core/format/secret';
import { isNormalization } from '../core/normalize';
import { InvalidRequestError } from './errors';
import type { DecryptSecretOptions } from './provenance';

/**
 * `FLE_SECRET`, the decrypt Lambda's view of the edge secret: the KMS-wrapped versions (never a dev
 * secret: a plaintext secret never goes into a template), the current one, the indexes and the
 * legacy opt-in. The decrypt stack writes it with {@link secretVariable}; the Lambda reads it with
 * {@link parseSecretVariable}. One module owns the format.
 *
 *     {"current":1,"acceptUnproven":false,"indexes":[…],"versions":[{"version":1,"kmsKeyId":"arn…","ciphertextBlobs":{"01":"…"}}]}
 */

/**
 * The variable's value for a config's edge secret and indexes, for a function that may read the key
 * ids `keyIds` only: just their secrets' ciphertexts and their indexes (its role may unwrap no other).
 */
export function secretVariable(secret: EdgeSecretConfig, indexes: readonly SearchIndex[], keyIds: readonly string[]): string {
  const own = (id: string): boolean => keyIds.includes(id);
  return JSON.stringify({
    current: secret.current,
    acceptUnproven: secret.acceptUnprovenMarkers,
    indexes: indexes.filter((index) => own(index.key)),
    versions: secret.versions.flatMap((v) =>
      v.source === 'kms'
        ? [
            {
              version: v.version,
              kmsKeyId: v.kmsKeyId,
              ciphertextBlobs: Object.fromEntries(Object.entries(v.ciphertextBlobs).filter(([id]) => own(id))),
            },
          ]
        : [],
    ),
  });
}

/** Reads `FLE_SECRET` (undefined when unset). Throws InvalidRequest naming what is wrong, never echoing it. */
export function parseSecretVariable(value: string | undefined): DecryptSecretOptions | undefined {
  if (!value) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new InvalidRequestError('FLE_SECRET is not valid JSON');
  }
  const { current, acceptUnproven, indexes, versions } = (raw ?? {}) as Record<string, unknown>;
  const isVersion = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_VERSION;
  if (!isVersion(current) || typeof acceptUnproven !== 'boolean' || !Array.isArray(versions) || !Array.isArray(indexes)) {
    throw new InvalidRequestError('FLE_SECRET must be {"current", "acceptUnproven", "indexes", "versions"}');
  }
  const parsedVersions = versions.map((entry: unknown, i): EdgeSecretVersion => {
    const { version, kmsKeyId, ciphertextBlobs } = (entry ?? {}) as Record<string, unknown>;
    const blobs = ciphertextBlobs && typeof ciphertextBlobs === 'object' ? Object.entries(ciphertextBlobs) : [];
    if (!isVersion(version) || typeof kmsKeyId !== 'string' || blobs.some(([, blob]) => typeof blob !== 'string') || !ciphertextBlobs) {
      throw new InvalidRequestError(`FLE_SECRET.versions[${i}] must be {"version", "kmsKeyId", "ciphertextBlobs"}`);
    }
    return { version, file: 'FLE_SECRET', source: 'kms', kmsKeyId, ciphertextBlobs: Object.fromEntries(blobs) as Record<string, string> };
  });
  const parsedIndexes = indexes.map((entry: unknown, i): SearchIndex => {
    const { name, key, version, normalize } = (entry ?? {}) as Record<string, unknown>;
    if (
      typeof name !== 'string' ||
      !INDEX_NAME_PATTERN.test(name) ||
      typeof key !== 'string' ||
      !isVersion(version) ||
      !Array.isArray(normalize) ||
      !normalize.every(isNormalization)
    ) {
      throw new InvalidRequestError(`FLE_SECRET.indexes[${i}] must be {"name", "key", "version", "normalize"}`);
    }
    return { name, key, version, normalize };
  });
  return { versions: parsedVersions, current, indexes: parsedIndexes, acceptUnproven };
}
