import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/**
 * Where a public key file came from. Only `kms` keys may reach AWS: KMS holds their private half.
 * A `local` key (made by `fle keygen`, by `npm start`, or copied in by hand) was never checked
 * against KMS, so data encrypted to it may be unrecoverable once deployed.
 */
export type KeySource =
  | { readonly kind: 'kms'; readonly keyArn: string; readonly fingerprint: string }
  | { readonly kind: 'local'; readonly fingerprint: string; readonly why: string }
  | { readonly kind: 'stand-in'; readonly fingerprint: string };

/** What `fle fetch-public-key` records beside the PEM it writes: `<name>.kms.json`. */
export interface KmsKeyRecord {
  readonly keyArn: string;
  readonly keySpec: string;
  readonly fingerprint: string;
}

/**
 * The fingerprint of a public key: `sha256:` and the hex SHA-256 of its SPKI DER encoding, the
 * same bytes KMS GetPublicKey returns, so a bundle's record can be compared with KMS directly.
 *
 * @example
 * fingerprintOf(readFileSync('config/keys/01.pem', 'utf8')) // 'sha256:3f0a…'
 */
export function fingerprintOf(publicKey: string | Uint8Array): string {
  const der =
    typeof publicKey === 'string'
      ? createPublicKey(publicKey).export({ type: 'spki', format: 'der' })
      : createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/** The record file beside a PEM: `keys/01.pem` → `keys/01.kms.json`. */
export function kmsRecordFile(pemFile: string): string {
  return `${pemFile.replace(/\.pem$/, '')}.kms.json`;
}

/** The private key file `fle keygen` and `npm start` write beside a public one. */
export function privateKeyFile(pemFile: string): string {
  return `${pemFile.replace(/\.pem$/, '')}.key.pem`;
}

/** Writes the record that `pemFile` holds the public key of a KMS key. */
export function writeKmsRecord(pemFile: string, record: KmsKeyRecord): void {
  writeFileSync(kmsRecordFile(pemFile), `${JSON.stringify(record, null, 2)}\n`);
}

/** Reads the KMS record beside a PEM, or undefined when there is none or it cannot be read. */
export function readKmsRecord(pemFile: string): KmsKeyRecord | undefined {
  const file = kmsRecordFile(pemFile);
  if (!existsSync(file)) return undefined;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<KmsKeyRecord>;
    if (typeof raw.keyArn === 'string' && typeof raw.fingerprint === 'string' && typeof raw.keySpec === 'string') {
      return { keyArn: raw.keyArn, keySpec: raw.keySpec, fingerprint: raw.fingerprint };
    }
  } catch {
    // An unreadable record proves nothing: the key counts as local.
  }
  return undefined;
}

/**
 * Classifies an existing public key file. It is `kms` only when `fle fetch-public-key` recorded it
 * and the file still holds that very key, with no private key beside it (KMS never hands one out).
 */
export function classifyKeyFile(pemFile: string, pem: string): KeySource {
  const fingerprint = fingerprintOf(pem);
  if (existsSync(privateKeyFile(pemFile))) {
    return { kind: 'local', fingerprint, why: `a private key (${privateKeyFile(pemFile)}) lies beside it: it was made locally` };
  }
  const record = readKmsRecord(pemFile);
  if (!record) return { kind: 'local', fingerprint, why: `it was not fetched from KMS (no ${kmsRecordFile(pemFile)})` };
  if (record.fingerprint !== fingerprint) {
    return { kind: 'local', fingerprint, why: `it changed since it was fetched from ${record.keyArn}` };
  }
  return { kind: 'kms', keyArn: record.keyArn, fingerprint };
}

/** A key file as the config names it, shown relative to the working folder (what a user types). */
export function keyFileShown(configFile: string, publicKeyFile: string): string {
  const absolute = resolve(dirname(resolve(configFile)), publicKeyFile);
  const shown = relative(process.cwd(), absolute);
  return shown.startsWith('..') ? absolute : shown;
}
