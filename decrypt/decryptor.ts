import { KMSClient } from '@aws-sdk/client-kms';
import { decodeRsaPayload, isKeyId, type FoundMarker } from '../core/marker';
import type { KeyBackend } from './backend';
import { InvalidCiphertextError, InvalidRequestError, UnknownKeyError } from './errors';
import { DEFAULT_KMS_TIMEOUT_MS, kmsKeyBackend } from './kms-backend';
import { localKeyBackend } from './local-backend';
import { mapBounded } from './pool';
import { containerFormatOf, planSubstitution } from './substitute';

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
  /** Leave markers of key ids outside the keyring as they are instead of failing. Default false. */
  readonly leaveUnknown?: boolean;
}

/** Per-call options. */
export interface DecryptCallOptions {
  /** Decides how plaintext is put back: JSON (escaped), form (URL-encoded), anything else raw. */
  readonly contentType?: string;
  /** Overrides {@link DecryptorOptions.leaveUnknown} for this call. */
  readonly leaveUnknown?: boolean;
}

/** What one call did, for logs and metrics: counts and key ids only. */
export interface DecryptStats {
  readonly markers: number;
  /** Distinct ciphertexts decrypted (identical ones are decrypted once). */
  readonly decrypted: number;
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
}

export const DEFAULT_CONCURRENCY = 16;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function regionOf(kmsKeyId: string): string | undefined {
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
    const region = regionOf(kmsKeyId) ?? process.env.AWS_REGION ?? 'us-east-1';
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
    else if (key.kmsKeyId) backends.set(key.id, kmsKeyBackend(clientFor(key.kmsKeyId), key.id, key.kmsKeyId, options.kmsTimeoutMs ?? DEFAULT_KMS_TIMEOUT_MS));
    else throw new InvalidRequestError(`key "${key.id}" has neither a kmsKeyId nor a private key`);
  }

  return {
    async decrypt(text, call = {}) {
      const leaveUnknown = call.leaveUnknown ?? options.leaveUnknown ?? false;
      const plan = planSubstitution(text, containerFormatOf(call.contentType));
      // Check every marker before the first decryption: an unknown key or a damaged payload fails
      // the call without spending a single KMS request.
      const jobs = new Map<string, { backend: KeyBackend; keyId: string; ciphertext: Buffer }>();
      let left = 0;
      for (const marker of plan.markers) {
        const backend = backends.get(marker.keyId);
        if (!backend) {
          if (leaveUnknown) {
            left += 1;
            continue;
          }
          throw new UnknownKeyError(`a marker names key "${marker.keyId}", which this decryptor does not hold`);
        }
        const ciphertext = decodeRsaPayload(marker.payload);
        if (!ciphertext) throw new InvalidCiphertextError(`a marker of key "${marker.keyId}" holds a payload kind this version cannot read`);
        jobs.set(jobKey(marker), { backend, keyId: marker.keyId, ciphertext });
      }
      const entries = [...jobs.entries()];
      const plaintexts = await mapBounded(entries, concurrency, async ([, job], signal) => {
        const bytes = await job.backend.decryptBlock(job.ciphertext, signal);
        try {
          return utf8.decode(bytes);
        } catch {
          throw new InvalidCiphertextError(`a ciphertext of key "${job.keyId}" does not hold UTF-8 text`);
        }
      });
      const byJob = new Map(entries.map(([key], i) => [key, plaintexts[i] as string]));
      const out = plan.render((marker) => byJob.get(jobKey(marker)));
      return {
        text: out,
        stats: {
          markers: plan.markers.length,
          decrypted: entries.length,
          kmsCalls: entries.filter(([, job]) => job.backend.kind === 'kms').length,
          left,
          keysUsed: [...new Set(entries.map(([, job]) => job.keyId))],
        },
      };
    },
  };
}

function jobKey(marker: FoundMarker): string {
  return `${marker.keyId}#${marker.payload}`;
}
