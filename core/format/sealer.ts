import { constants, createPublicKey, type KeyObject, publicEncrypt } from 'node:crypto';
import type { FieldRule, SearchIndex } from '../config';
import { normalizer } from '../normalize';
import { d1PayloadLength, type SealD1 } from './d1';
import { type DataKey, envelopePayloadLength, newDataKey, sealValue } from './e1';
import { E2Sealer, e2PayloadLength, newE2Key, p256Point } from './e2';
import { encodeRsaPayload, markerWriter } from './marker';
import { PROOF_OVERHEAD, prove } from './proof';
import type { SecretKeys, SecretRing } from './secret';
import type { ValueKind } from './typed-gcm';

/** Largest plaintext one RSA-OAEP block with SHA-256 holds for a modulus of `bits`: k - 2·32 - 2. */
export function maxOaepSha256Plaintext(bits: number): number {
  return Math.ceil(bits / 8) - 2 * 32 - 2;
}

/** A public key made ready once per container: imported, sized. */
export interface EdgeKey {
  readonly id: string;
  readonly key: KeyObject;
  readonly modulusBytes: number;
  /** Largest string (UTF-8 bytes) one RSA block holds. */
  readonly maxPlaintextBytes: number;
  readonly marker: ReturnType<typeof markerWriter>;
  /** Length of every post-style marker of this key. */
  readonly rsaMarkerLength: number;
  /** For a P-256 key agreement key: its uncompressed point (every value gets E2). */
  readonly point: Buffer | undefined;
}

/** Imports a public key for the edge (once, at module load): RSA, or P-256 for key agreement. */
export function importEdgeKey(id: string, publicKeyPem: string): EdgeKey {
  const key = createPublicKey(publicKeyPem);
  const marker = markerWriter(id);
  const point = p256Point(key);
  if (point) return { id, key, modulusBytes: 0, maxPlaintextBytes: 0, marker, rsaMarkerLength: 0, point };
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const modulusBytes = Math.ceil(bits / 8);
  return {
    id,
    key,
    modulusBytes,
    maxPlaintextBytes: maxOaepSha256Plaintext(bits),
    marker,
    rsaMarkerLength: marker.overhead + 4 * Math.ceil(modulusBytes / 3),
    point: undefined,
  };
}

function rsaEncrypt(key: EdgeKey, plaintext: Uint8Array): Buffer {
  // oaepHash sets the hash for both OAEP and MGF1, which is what KMS RSAES_OAEP_SHA_256 expects.
  return publicEncrypt({ key: key.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext);
}

/** How one value will be sealed: its marker's exact length (for sizing) and the sealing itself. */
export interface SealPlan {
  /** Which payload kind the value gets. */
  readonly payload: 'rsa' | 'envelope' | 'e2' | 'd1';
  readonly markerLength: number;
  seal(): string;
}

/** A searchable index made ready: its normaliser built once. */
export interface CompiledIndex extends SearchIndex {
  readonly normalizeValue: (value: string) => string;
  /** Its markers' writer: a searchable marker needs the key id only, never the public key. */
  readonly marker: ReturnType<typeof markerWriter>;
  /** The deterministic sealing (`sealD1`). */
  readonly seal: SealD1;
}

/**
 * Compiles the config's indexes for {@link RequestSealer}, with `seal` (`sealD1` from `d1.ts`): passed
 * in, so code for a config without indexes never loads AES-SIV.
 */
export function compileIndexes(indexes: readonly SearchIndex[], seal: SealD1 | undefined): ReadonlyMap<string, CompiledIndex> {
  if (!seal) {
    if (indexes.length > 0) throw new RangeError('searchable indexes need the D1 sealing (sealD1)');
    return new Map();
  }
  return new Map(
    indexes.map(
      (index) => [index.name, { ...index, normalizeValue: normalizer(index.normalize), marker: markerWriter(index.key), seal }] as const,
    ),
  );
}

/** The edge secret's keys and the indexes they serve: with it, markers carry proofs and indexes work. */
export interface SealingSecret {
  /** Key id → that key id's secret keys: proofs and searchable markers of a key id use its own. */
  readonly keys: SecretRing;
  readonly indexes: ReadonlyMap<string, CompiledIndex>;
}

/** A key id's secret keys, or a RangeError (the caller unwrapped the ring for other key ids). */
function keysOf(secret: SealingSecret, keyId: string): SecretKeys {
  const keys = secret.keys.get(keyId);
  if (!keys) throw new RangeError(`no edge secret for key id "${keyId}"`);
  return keys;
}

// ignoreBOM keeps a leading U+FEFF: it is part of the value, not a byte-order mark.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Seals the values of one request. Under a P-256 key every value gets E2, under the request's one
 * ephemeral key for that key id. Under an RSA key, a value that its rule allows in `rsa` mode and
 * that fits one block gets the reference post's payload; anything else gets an E1 envelope under
 * the request's data key for that key id, made (and RSA-wrapped) once, on first use. Either way:
 * one KMS call per request and key on the decrypt side, however many fields.
 */
export class RequestSealer {
  private readonly dataKeys = new Map<string, DataKey>();
  private readonly e2Sealers = new Map<string, E2Sealer>();

  /**
   * @param secret - the edge secret's keys, when the config declares one: then every randomised
   *   marker carries a proof (`proof.ts`) and fields with an index get `D1` markers.
   */
  constructor(
    private readonly keys: ReadonlyMap<string, EdgeKey>,
    private readonly secret?: SealingSecret,
  ) {}

  /** Plans sealing `value` (a string's UTF-8 bytes, or another value's JSON text) made at `location`. */
  plan(rule: FieldRule, kind: ValueKind, value: Uint8Array, location: string): SealPlan {
    if (rule.index !== undefined) return this.searchable(rule.index, kind, value);
    const key = this.keys.get(rule.key);
    if (!key) throw new RangeError(`no public key for key id "${rule.key}"`);
    const inner = this.randomised(key, rule, kind, value, location);
    const secret = this.secret;
    if (!secret)
      return { payload: inner.payload, markerLength: key.marker.overhead + inner.length, seal: () => key.marker.wrap(inner.seal()) };
    const proofKeys = keysOf(secret, key.id);
    return {
      payload: inner.payload,
      markerLength: key.marker.overhead + PROOF_OVERHEAD + inner.length,
      seal: () => key.marker.wrap(prove(proofKeys, key.id, inner.seal())),
    };
  }

  /** A searchable value: normalised, then sealed deterministically under its index's key. */
  private searchable(name: string, kind: ValueKind, value: Uint8Array): SealPlan {
    const index = this.secret?.indexes.get(name);
    if (!this.secret || !index) throw new RangeError(`index "${name}" needs the edge secret and a declared index`);
    if (kind !== 's') throw new RangeError('a searchable value is a string');
    const normalized = Buffer.from(index.normalizeValue(utf8.decode(value)), 'utf8');
    const keys = keysOf(this.secret, index.key);
    return {
      payload: 'd1',
      markerLength: index.marker.overhead + d1PayloadLength(index, keys.version, normalized.byteLength),
      seal: () => index.marker.wrap(index.seal(keys, index.key, index, normalized)),
    };
  }

  /** The inner payload of a randomised value: its kind, exact length and sealing. */
  private randomised(
    key: EdgeKey,
    rule: FieldRule,
    kind: ValueKind,
    value: Uint8Array,
    location: string,
  ): { payload: SealPlan['payload']; length: number; seal(): string } {
    if (key.point) {
      const point = key.point;
      return {
        payload: 'e2',
        length: e2PayloadLength(Buffer.byteLength(location, 'utf8'), value.byteLength),
        seal: () => this.e2Sealer(key.id, point).seal(location, kind, value),
      };
    }
    if (rule.mode === 'rsa' && kind === 's' && value.byteLength <= key.maxPlaintextBytes) {
      return { payload: 'rsa', length: key.rsaMarkerLength - key.marker.overhead, seal: () => encodeRsaPayload(rsaEncrypt(key, value)) };
    }
    return {
      payload: 'envelope',
      length: envelopePayloadLength(key.modulusBytes, Buffer.byteLength(location, 'utf8'), value.byteLength),
      seal: () => sealValue(this.dataKey(key), key.id, location, kind, value),
    };
  }

  private e2Sealer(keyId: string, point: Buffer): E2Sealer {
    let sealer = this.e2Sealers.get(keyId);
    if (!sealer) {
      sealer = new E2Sealer(newE2Key(keyId, point), keyId);
      this.e2Sealers.set(keyId, sealer);
    }
    return sealer;
  }

  private dataKey(key: EdgeKey): DataKey {
    let dataKey = this.dataKeys.get(key.id);
    if (!dataKey) {
      dataKey = newDataKey((plaintextKey) => rsaEncrypt(key, plaintextKey));
      this.dataKeys.set(key.id, dataKey);
    }
    return dataKey;
  }
}
