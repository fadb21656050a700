import type { EdgeSecretConfig, EdgeSecretVersion, SearchIndex } from '../core/config';
import { D1OpenError, isD1Payload, openD1, parseD1 } from '../core/format/d1';
import { isProvenPayload, parseProof, verifyProof } from '../core/format/proof';
import type { SecretKeys } from '../core/format/secret';
import { createSecretSource, type UnwrapSecret, unwrapLocalSecret } from '../core/secret-source';
import { InvalidCiphertextError, SecretUnavailableError, UnknownKeyError, UnprovenMarkerError } from './errors';
import type { PlacedMarker } from './substitute';

/**
 * The decrypt side of the edge secret: which markers the edge made, and the searchable values.
 * Everything here runs before any per-marker KMS call, so a marker minted with the public key alone
 * costs the caller nothing but its refusal.
 */

/** The edge secret as a decryptor uses it. */
export interface DecryptSecretOptions {
  /** Every version markers in storage may use (from the config's `edgeSecret.versions`). */
  readonly versions: readonly EdgeSecretVersion[];
  /** The version `rewrap` writes with (default: the highest listed). */
  readonly current?: number;
  /** Searchable indexes (for `rewrap`, which re-seals `D1` values under the current version). */
  readonly indexes?: readonly SearchIndex[];
  /** Open markers that carry no proof (written before the secret existed). Default false. */
  readonly acceptUnproven?: boolean;
  /** How a version is unwrapped. Default: KMS `Decrypt` (with the decryptor's client) or a dev secret. */
  readonly unwrap?: UnwrapSecret;
}

/** A decryptor's secret options from a config's `edgeSecret` and `indexes`. */
export function decryptSecretOptions(secret: EdgeSecretConfig, indexes: readonly SearchIndex[]): DecryptSecretOptions {
  return { versions: secret.versions, current: secret.current, indexes, acceptUnproven: secret.acceptUnprovenMarkers };
}

/** The keys of one secret version for one key id, unwrapped on first need; throws a DecryptError. */
export type SecretOf = (version: number, keyId: string) => Promise<SecretKeys>;

/** What the provenance check learned of one marker. */
export interface CheckedMarker {
  /** A proven marker's inner payload (to open as before). */
  readonly inner?: string;
  /** A searchable marker's value (already open: it needs no KMS call). */
  readonly searchable?: string;
  /** A searchable marker's index name. */
  readonly index?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * One source per listed secret version, each unwrapped once (KMS `Decrypt` through
 * `kmsUnwrapFor(kmsKeyId)`, or a dev secret), retried after a second when it failed.
 */
export function secretSources(
  options: DecryptSecretOptions | undefined,
  kmsUnwrapFor: (kmsKeyId: string) => UnwrapSecret,
): SecretOf | undefined {
  if (!options) return undefined;
  const sources = new Map(
    options.versions.map((version) => {
      const unwrap: UnwrapSecret = options.unwrap ?? (version.source === 'kms' ? kmsUnwrapFor(version.kmsKeyId) : unwrapLocalSecret);
      return [version.version, createSecretSource(version, unwrap)] as const;
    }),
  );
  return async (version, keyId) => {
    const source = sources.get(version);
    if (!source) throw new InvalidCiphertextError(`a marker names edge secret version ${version}, which this decryptor does not hold`);
    try {
      return await source(keyId);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      throw new SecretUnavailableError(`edge secret version ${version} could not be unwrapped (${name})`);
    }
  };
}

/**
 * Checks every marker the call will open: a proof must verify, a searchable payload must open under
 * the key id its index belongs to (`indexKeys`: index name → key id, for the indexes the caller
 * knows), and a bare marker passes only when `acceptUnproven` (no secret declared, or the legacy opt-in).
 */
export async function checkProvenance(
  markers: readonly PlacedMarker[],
  opens: (marker: PlacedMarker) => boolean,
  secretOf: SecretOf | undefined,
  acceptUnproven: boolean,
  indexKeys: ReadonlyMap<string, string> = new Map(),
): Promise<Map<PlacedMarker, CheckedMarker>> {
  const checked = new Map<PlacedMarker, CheckedMarker>();
  const pending: { marker: PlacedMarker; version: number; check: (keys: SecretKeys) => CheckedMarker }[] = [];
  for (const marker of markers) {
    if (!opens(marker)) continue;
    const { keyId, payload } = marker;
    if (isProvenPayload(payload) || isD1Payload(payload)) {
      if (!secretOf) throw new UnknownKeyError(`a marker of key "${keyId}" needs the edge secret, which this decryptor does not hold`);
    } else if (!acceptUnproven) {
      throw new UnprovenMarkerError(`a marker of key "${keyId}" carries no proof that the edge made it`);
    } else continue;
    const proof = parseProof(payload);
    if (proof) {
      pending.push({
        marker,
        version: proof.secretVersion,
        check: (keys) => {
          if (!verifyProof(keys, keyId, proof)) throw new InvalidCiphertextError(`a marker of key "${keyId}" has an invalid proof`);
          return { inner: proof.inner };
        },
      });
      continue;
    }
    const d1 = parseD1(payload);
    if (!d1) throw new InvalidCiphertextError(`a marker of key "${keyId}" holds a malformed ${isD1Payload(payload) ? 'D1' : 'P1'} payload`);
    // An index's markers carry its own key id: one made with another key id's secret (anyone who
    // holds that secret can make one) is not this index's, and must not pass for it (nor be
    // re-sealed under the index's key by a rewrap).
    const owner = indexKeys.get(d1.index.name);
    if (owner !== undefined && owner !== keyId) {
      throw new InvalidCiphertextError(
        `a searchable marker of key "${keyId}" names index "${d1.index.name}", which belongs to key "${owner}"`,
      );
    }
    pending.push({
      marker,
      version: d1.secretVersion,
      check: (keys) => {
        try {
          return { searchable: utf8.decode(openD1(keys, keyId, d1)), index: d1.index.name };
        } catch (error) {
          if (error instanceof D1OpenError || error instanceof TypeError) {
            throw new InvalidCiphertextError(`a searchable marker of key "${keyId}" does not open`);
          }
          throw error;
        }
      },
    });
  }
  if (pending.length === 0 || !secretOf) return checked;
  // Each key id has its own secret; its source unwraps each (version, key id) once, however many markers ask.
  const opened = await Promise.all(pending.map(async (p) => [p, await secretOf(p.version, p.marker.keyId)] as const));
  for (const [{ marker, check }, keys] of opened) checked.set(marker, check(keys));
  return checked;
}
