import { KMSClient } from '@aws-sdk/client-kms';
import { isD1Payload, sealD1 } from '../core/format/d1';
import {
  type DataKey,
  EnvelopeOpenError,
  type EnvelopeParts,
  isEnvelopePayload,
  openValue,
  parseEnvelope,
  prepareDataKey,
} from '../core/format/e1';
import { type E2Key, E2OpenError, type E2Parts, isE2Payload, openE2, parseE2, pointSpki, prepareE2Key } from '../core/format/e2';
import { decodeRsaPayload, isKeyId } from '../core/format/marker';
import { isProvenPayload, parseProof } from '../core/format/proof';
import { compileIndexes, importEdgeKey, RequestSealer } from '../core/format/sealer';
import type { SecretKeys } from '../core/format/secret';
import { kmsSecretUnwrapper } from '../edge/kms-secret';
import type { KeyBackend } from './backend';
import { DataKeyCache, type DataKeyCacheOptions, type RequestKey } from './data-key-cache';
import { InputTooLargeError, InvalidCiphertextError, InvalidRequestError, LocationMismatchError, UnknownKeyError } from './errors';
import { DEFAULT_KMS_TIMEOUT_MS, kmsKeyBackend } from './kms-backend';
import { localKeyBackend } from './local-backend';
import { mapBounded } from './pool';
import { checkProvenance, type DecryptSecretOptions, type SecretOf, secretSources } from './provenance';
import { reproveAll, upToDate } from './rewrap-policy';

export type { DecryptSecretOptions } from './provenance';

import { containerFormatOf, type PlacedMarker, type Plain, planSubstitution } from './substitute';

/** A key this decryptor may use: through KMS (`kmsKeyId`) or a local private key (`privateKeyPem`). */
export interface DecryptKey {
  readonly id: string;
  readonly kmsKeyId?: string;
  /** PKCS#8 PEM; when given, KMS is not used for this key. */
  readonly privateKeyPem?: string;
}

/** Options for {@link createDecryptor}. */
export interface DecryptorOptions {
  /** The keyring: only these key ids are decrypted. */
  readonly keys: readonly DecryptKey[];
  /** The KMS client to use (make it once per container). Default: one per key region, made here. */
  readonly kmsClient?: KMSClient;
  /** Most KMS (or local) decryptions in flight at once for one call. Default 16. */
  readonly concurrency?: number;
  /** Bound on one KMS Decrypt, retries included, in ms. Default 5000. */
  readonly kmsTimeoutMs?: number;
  /**
   * Every key id the deployment configures (default: the keyring's). Text shaped like a marker of
   * any other id is plain text, never an error: a user can type `Room #1#2#1#` in any field.
   */
  readonly knownKeyIds?: readonly string[];
  /**
   * Leave markers of known key ids outside the keyring as they are instead of failing (an audience's
   * decrypt function holding key 01 returns 02's markers untouched). Default false.
   */
  readonly leaveUnknown?: boolean;
  /** Largest input accepted, in UTF-8 bytes. Default 6 MB (Lambda's synchronous payload limit). */
  readonly maxInputBytes?: number;
  /** Most markers accepted in one input. Default 50,000. */
  readonly maxMarkers?: number;
  /**
   * Keep unwrapped envelope data keys across calls (off by default). Saves KMS calls when the same
   * request's fields are read repeatedly, at the price of plaintext data keys in memory and uses
   * KMS never sees (nor audits, nor could deny) until `maxAgeMs` or `maxUses` runs out.
   */
  readonly dataKeyCache?: DataKeyCacheOptions;
  /**
   * The edge secret, when the config declares one. Then every marker must carry the edge's proof
   * (a marker minted with the public key alone fails with `UnprovenMarker`) and searchable `D1`
   * markers open. Each version is unwrapped once per decryptor, on first need.
   */
  readonly secret?: DecryptSecretOptions;
}

/** Per-call options. */
export interface DecryptCallOptions {
  /**
   * Decides how plaintext is put back: JSON (escaped) or form (URL-encoded) where it names them; a
   * malformed one fails with `InvalidRequest`; anything else, or none, reads a text that is one JSON
   * object or array as JSON and any other text raw.
   */
  readonly contentType?: string;
  /** Overrides {@link DecryptorOptions.leaveUnknown} for this call. */
  readonly leaveUnknown?: boolean;
  /**
   * `rewrap` only, with the edge secret declared: re-encrypt markers that carry no proof, which gives
   * them one. Off by default, since a proof would then vouch for whatever the store held, a marker
   * minted with the public key alone included: such markers are left as they are (readable only with
   * `acceptUnproven`). Turn it on once, for a store you trust, to migrate data written before the secret.
   */
  readonly proveUnproven?: boolean;
}

/** What one call did, for logs and metrics: counts and key ids only. */
export interface DecryptStats {
  readonly markers: number;
  /** Distinct blocks opened: post-style ciphertexts, E1 data keys and E2 ephemeral points (each once per call). */
  readonly decrypted: number;
  /** KMS Decrypt and DeriveSharedSecret operations (SDK retries not counted): one per distinct block held by KMS. */
  readonly kmsCalls: number;
  /** Markers of unknown keys left as they were. */
  readonly left: number;
  readonly keysUsed: readonly string[];
}

export interface DecryptResult {
  readonly text: string;
  readonly stats: DecryptStats;
}

/** Decrypts every marker of its keyring in a text, all or nothing. */
export interface Decryptor {
  decrypt(text: string, options?: DecryptCallOptions): Promise<DecryptResult>;
  /**
   * Re-encrypts every marker of another key to the key `to` (its public key), keeping each value's
   * payload kind where the new key allows, its location and its type. Plaintext exists only in
   * memory, between opening and sealing. Markers already under `to` are left as they are.
   */
  rewrap(text: string, to: { readonly id: string; readonly publicKeyPem: string }, options?: DecryptCallOptions): Promise<DecryptResult>;
}

export const DEFAULT_CONCURRENCY = 16;
/** Lambda's synchronous invocation payload limit: a larger input could not arrive anyway. */
export const DEFAULT_MAX_INPUT_BYTES = 6 * 1024 * 1024;
/** Far above any real record set that fits {@link DEFAULT_MAX_INPUT_BYTES}, far below what exhausts memory. */
export const DEFAULT_MAX_MARKERS = 50_000;

/**
 * A keyring from configured keys: a local private key where `privateKeys` holds one for the id
 * (ids the config does not list included), KMS (`kmsKeyId`) otherwise; a key with neither is left
 * out, so its markers are unknown.
 */
export function keyringFor(
  keys: readonly { readonly id: string; readonly kmsKeyId?: string }[],
  privateKeys: ReadonlyMap<string, string>,
): DecryptKey[] {
  const keyring = keys.flatMap((key): DecryptKey[] => {
    const privateKeyPem = privateKeys.get(key.id);
    if (privateKeyPem !== undefined) return [{ id: key.id, privateKeyPem }];
    return key.kmsKeyId ? [{ id: key.id, kmsKeyId: key.kmsKeyId }] : [];
  });
  for (const [id, privateKeyPem] of privateKeys) if (!keys.some((k) => k.id === id)) keyring.push({ id, privateKeyPem });
  return keyring;
}

// ignoreBOM keeps a leading U+FEFF: it is part of the value, not a byte-order mark.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The Region named by a KMS key or alias ARN, or undefined for a bare key id or alias. */
export function kmsRegionOf(kmsKeyId: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(kmsKeyId)?.[1];
}

/**
 * Makes a decryptor for a keyring. Make it once per container and reuse it.
 *
 * @example
 * import { createDecryptor } from 'edge-fle/decrypt';
 * const decryptor = createDecryptor({
 *   keys: [{ id: '01', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/…' }],
 * });
 * const { text } = await decryptor.decrypt(storedJson, { contentType: 'application/json' });
 */
export function createDecryptor(options: DecryptorOptions): Decryptor {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidRequestError('concurrency must be a whole number of at least 1');
  const clients = new Map<string, KMSClient>();
  const clientFor = (kmsKeyId: string): KMSClient => {
    if (options.kmsClient) return options.kmsClient;
    const region = kmsRegionOf(kmsKeyId) ?? process.env.AWS_REGION ?? 'us-east-1';
    let client = clients.get(region);
    if (!client) {
      client = new KMSClient({ region });
      clients.set(region, client);
    }
    return client;
  };
  const backends = new Map<string, KeyBackend>();
  for (const key of options.keys) {
    if (!isKeyId(key.id)) throw new InvalidRequestError('a key id must be 1 to 8 letters or digits');
    if (backends.has(key.id)) throw new InvalidRequestError(`key "${key.id}" is listed twice`);
    if (key.privateKeyPem !== undefined) backends.set(key.id, localKeyBackend(key.id, key.privateKeyPem));
    else if (key.kmsKeyId)
      backends.set(key.id, kmsKeyBackend(clientFor(key.kmsKeyId), key.id, key.kmsKeyId, options.kmsTimeoutMs ?? DEFAULT_KMS_TIMEOUT_MS));
    else throw new InvalidRequestError(`key "${key.id}" has neither a kmsKeyId nor a private key`);
  }

  const secretOf = secretSources(options.secret, (arn) => kmsSecretUnwrapper(clientFor(arn)));
  const acceptUnproven = options.secret === undefined || options.secret.acceptUnproven === true;
  const indexKeys = new Map((options.secret?.indexes ?? []).map((index) => [index.name, index.key] as const));
  const cache = options.dataKeyCache ? new DataKeyCache(options.dataKeyCache) : undefined;
  const known = new Set([...backends.keys(), ...(options.knownKeyIds ?? [])]);
  for (const id of known) if (!isKeyId(id)) throw new InvalidRequestError('a known key id must be 1 to 8 letters or digits');
  const maxInputBytes = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const maxMarkers = options.maxMarkers ?? DEFAULT_MAX_MARKERS;

  /** Opens every marker of the plan (but those `skip` names) and says how to read each one. */
  /**
   * Opens every marker of the plan (but those `skip` names) and says how to read each one. For a
   * rewrap, `anyKeySearchable` opens searchable markers of any known key id: they need the edge
   * secret only (an audience's decrypt keeps to its keyring).
   */
  const open = async (text: string, call: DecryptCallOptions, skip: (marker: PlacedMarker) => boolean, anyKeySearchable = false) => {
    const leaveUnknown = call.leaveUnknown ?? options.leaveUnknown ?? false;
    // Length first (cheap, and UTF-8 is at most 3 bytes per UTF-16 unit), exact bytes only near the cap.
    if (text.length > maxInputBytes || (text.length * 3 > maxInputBytes && Buffer.byteLength(text, 'utf8') > maxInputBytes)) {
      throw new InputTooLargeError(`the input is larger than ${maxInputBytes} bytes`);
    }
    const plan = planSubstitution(text, containerFormatOf(call.contentType, text), { known, maxMarkers });
    // Check every marker before the first decryption: an unknown key, a damaged payload or a
    // moved envelope fails the call without spending a single KMS request.
    const blocks = new Map<string, Block>();
    const envelopes = new Map<PlacedMarker, { parts: EnvelopeParts; block: string }>();
    const e2s = new Map<PlacedMarker, { parts: E2Parts; block: string }>();
    const rsaBlocks = new Map<PlacedMarker, string>();
    const dataKeys = new Map<string, RequestKey>();
    const searchable = new Map<PlacedMarker, string>();
    // Proofs and searchable payloads are checked first, with the edge secret alone: a forged
    // marker costs no KMS call per marker.
    const searchableHere = (marker: PlacedMarker): boolean => anyKeySearchable && isD1Payload(marker.payload);
    const proven = await checkProvenance(
      plan.markers,
      (marker) => (backends.has(marker.keyId) || searchableHere(marker)) && !skip(marker),
      secretOf,
      acceptUnproven,
      indexKeys,
    );
    let left = 0;
    for (const marker of plan.markers) {
      if (skip(marker)) continue;
      const opened = proven.get(marker)?.searchable;
      if (opened !== undefined && searchableHere(marker)) {
        searchable.set(marker, opened);
        continue;
      }
      const backend = backends.get(marker.keyId);
      if (!backend) {
        if (leaveUnknown) {
          left += 1;
          continue;
        }
        throw new UnknownKeyError(`a marker names key "${marker.keyId}", which this decryptor does not hold`);
      }
      const checked = proven.get(marker);
      if (checked?.searchable !== undefined) {
        searchable.set(marker, checked.searchable);
        continue;
      }
      const payload = checked?.inner ?? marker.payload;
      if (isE2Payload(payload)) {
        // parseE2 refuses an invalid point: nothing malformed reaches KMS.
        const parts = parseE2(payload);
        if (!parts) throw new InvalidCiphertextError(`a marker of key "${marker.keyId}" holds a malformed E2 payload`);
        if (marker.location !== undefined && parts.location !== marker.location) {
          throw new LocationMismatchError(`an envelope of key "${marker.keyId}" sits somewhere other than where it was made`);
        }
        const id = `${marker.keyId}#E2#${parts.point.toString('base64')}`;
        const cached = dataKeys.has(id) ? undefined : cache?.take(id);
        if (cached) dataKeys.set(id, cached);
        else if (!dataKeys.has(id)) blocks.set(id, { backend, keyId: marker.keyId, ciphertext: parts.point, kind: 'e2' });
        e2s.set(marker, { parts, block: id });
      } else if (isEnvelopePayload(payload)) {
        const parts = parseEnvelope(payload);
        if (!parts) throw new InvalidCiphertextError(`a marker of key "${marker.keyId}" holds a malformed envelope`);
        if (marker.location !== undefined && parts.location !== marker.location) {
          throw new LocationMismatchError(`an envelope of key "${marker.keyId}" sits somewhere other than where it was made`);
        }
        const id = `${marker.keyId}#${parts.wrappedKey.toString('base64')}`;
        const cached = dataKeys.has(id) ? undefined : cache?.take(id);
        if (cached) dataKeys.set(id, cached);
        else if (!dataKeys.has(id)) blocks.set(id, { backend, keyId: marker.keyId, ciphertext: parts.wrappedKey, kind: 'e1' });
        envelopes.set(marker, { parts, block: id });
      } else {
        const ciphertext = decodeRsaPayload(payload);
        if (!ciphertext)
          throw new InvalidCiphertextError(`a marker of key "${marker.keyId}" holds a payload kind this version cannot read`);
        const id = `${marker.keyId}#${payload}`;
        blocks.set(id, { backend, keyId: marker.keyId, ciphertext, kind: 'rsa' });
        rsaBlocks.set(marker, id);
      }
    }
    const entries = [...blocks.entries()];
    const opened = await mapBounded(entries, concurrency, async ([, block], signal) =>
      block.kind === 'e2'
        ? block.backend.deriveSharedSecret(pointSpki(block.ciphertext), signal)
        : block.backend.decryptBlock(block.ciphertext, signal),
    );
    const rsaPlaintexts = new Map<string, string>();
    entries.forEach(([id, block], i) => {
      const bytes = opened[i] as Uint8Array;
      if (block.kind === 'e2') {
        try {
          const key = prepareE2Key(bytes, block.keyId, block.ciphertext);
          dataKeys.set(id, key);
          cache?.put(id, key);
        } catch {
          throw new InvalidCiphertextError(`a shared secret of key "${block.keyId}" is not 32 bytes`);
        } finally {
          bytes.fill(0);
        }
      } else if (block.kind === 'e1') {
        let dataKey: DataKey;
        try {
          dataKey = prepareDataKey(bytes, block.ciphertext);
        } catch {
          throw new InvalidCiphertextError(`an envelope data key of key "${block.keyId}" is not 32 bytes`);
        } finally {
          bytes.fill(0);
        }
        dataKeys.set(id, dataKey);
        cache?.put(id, dataKey);
      } else {
        rsaPlaintexts.set(id, utf8Text(bytes, block.keyId));
      }
    });
    const plainOf = (marker: PlacedMarker): Plain | undefined => {
      const found = searchable.get(marker);
      if (found !== undefined) return { kind: 's', text: found };
      const rsa = rsaBlocks.get(marker);
      if (rsa !== undefined) return { kind: 's', text: rsaPlaintexts.get(rsa) as string };
      const e2 = e2s.get(marker);
      if (e2) {
        try {
          const { kind, value } = openE2(dataKeys.get(e2.block) as E2Key, marker.keyId, e2.parts);
          return { kind, text: utf8Text(value, marker.keyId) };
        } catch (error) {
          if (error instanceof E2OpenError)
            throw new InvalidCiphertextError(`an E2 payload of key "${marker.keyId}" does not open: ${error.message}`);
          throw error;
        }
      }
      const envelope = envelopes.get(marker);
      if (!envelope) return undefined;
      try {
        const { kind, value } = openValue(dataKeys.get(envelope.block) as DataKey, marker.keyId, envelope.parts);
        return { kind, text: utf8Text(value, marker.keyId) };
      } catch (error) {
        if (error instanceof EnvelopeOpenError)
          throw new InvalidCiphertextError(`an envelope of key "${marker.keyId}" does not open: ${error.message}`);
        throw error;
      }
    };
    const stats: DecryptStats = {
      markers: plan.markers.length,
      decrypted: entries.length,
      kmsCalls: entries.filter(([, block]) => block.backend.kind === 'kms').length,
      left,
      keysUsed: [...new Set(plan.markers.filter((m) => backends.has(m.keyId) && !skip(m)).map((m) => m.keyId))],
    };
    // Where each envelope (E1 or E2) says it was made: a rewrap keeps it.
    const madeAt = (marker: PlacedMarker): string | undefined => envelopes.get(marker)?.parts.location ?? e2s.get(marker)?.parts.location;
    /** The index a searchable marker belongs to (rewrap re-seals it under the current secret). */
    const indexOf = (marker: PlacedMarker): string | undefined => proven.get(marker)?.index;
    return { plan, plainOf, madeAt, indexOf, stats };
  };

  return {
    async decrypt(text, call = {}) {
      const { plan, plainOf, stats } = await open(text, call, () => false);
      return { text: plan.render(plainOf), stats };
    },

    async rewrap(text, to, call = {}) {
      if (!isKeyId(to.id)) throw new InvalidRequestError('the target key id must be 1 to 8 letters or digits');
      const secret = options.secret;
      const current = secret ? (secret.current ?? Math.max(...secret.versions.map((v) => v.version))) : undefined;
      const indexes = compileIndexes(secret?.indexes ?? [], sealD1);
      const sealer = new RequestSealer(
        new Map([[to.id, importEdgeKey(to.id, to.publicKeyPem)]]),
        secretOf && current !== undefined
          ? { keys: await ringOf(secretOf, current, [to.id, ...[...indexes.values()].map((i) => i.key)]), indexes }
          : undefined,
      );
      // Without proveUnproven, a marker without proof stays as it is: rewrap never vouches for it.
      const keepUnproven = (marker: PlacedMarker): boolean =>
        current !== undefined && call.proveUnproven !== true && !isProvenPayload(marker.payload) && !isD1Payload(marker.payload);
      // A marker already under `to` whose proof is of an older secret version keeps its payload:
      // its proof is checked, then made anew (no KMS call, the value is never opened).
      const reprove = (marker: PlacedMarker): boolean => {
        const proof = marker.keyId === to.id && current !== undefined ? parseProof(marker.payload) : undefined;
        return proof !== undefined && proof.secretVersion !== current;
      };
      const { plan, plainOf, madeAt, indexOf, stats } = await open(
        text,
        call,
        (marker) => upToDate(marker, to.id, current, indexes) || reprove(marker) || keepUnproven(marker),
        true,
      );
      const reproved = await reproveAll(plan.markers.filter(reprove), secretOf, current);
      const resealed = plan.render((marker) => {
        const proof = reproved.get(marker);
        if (proof !== undefined) return { kind: 's', text: proof };
        const plain = plainOf(marker);
        if (plain === undefined) return undefined;
        const index = indexOf(marker);
        if (index !== undefined) {
          // A searchable value moves to the current secret and index versions, under its index's key.
          const compiled = indexes.get(index);
          if (!compiled) throw new InvalidRequestError(`a searchable marker is of index "${index}", which the config no longer declares`);
          const seal = sealer.plan({ key: compiled.key, mode: 'rsa', index }, 's', Buffer.from(plain.text, 'utf8'), '');
          return { kind: 's', text: seal.seal() };
        }
        const madeIn = madeAt(marker);
        // A value keeps its payload kind where the new key allows it (an E1 under a P-256 key
        // becomes E2), its location and its type.
        const location = madeIn ?? marker.location ?? undefined;
        const value = Buffer.from(plain.text, 'utf8');
        const seal = sealer.plan({ key: to.id, mode: madeIn !== undefined ? 'envelope' : 'rsa' }, plain.kind, value, location ?? '');
        if (seal.payload !== 'rsa' && location === undefined) {
          throw new InvalidRequestError(
            `a value too large for key "${to.id}"'s RSA block needs its location: rewrap it as JSON or form, not text`,
          );
        }
        const sealed = seal.seal();
        value.fill(0);
        return { kind: 's', text: sealed };
      });
      return { text: resealed, stats };
    },
  };
}

/** The keys of `version` for each of `keyIds` (each key id has its own secret). */
async function ringOf(secretOf: SecretOf, version: number, keyIds: readonly string[]): Promise<Map<string, SecretKeys>> {
  return new Map(await Promise.all([...new Set(keyIds)].map(async (id) => [id, await secretOf(version, id)] as const)));
}

/** One block to open: a post-style ciphertext, an E1 wrapped data key, or an E2 ephemeral point. */
interface Block {
  readonly backend: KeyBackend;
  readonly keyId: string;
  readonly ciphertext: Buffer;
  readonly kind: 'rsa' | 'e1' | 'e2';
}

function utf8Text(bytes: Uint8Array, keyId: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidCiphertextError(`a ciphertext of key "${keyId}" does not hold UTF-8 text`);
  }
}
