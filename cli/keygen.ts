import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** RSA sizes KMS offers (RSA_2048, RSA_3072, RSA_4096). */
export const KEY_BITS: readonly number[] = [2048, 3072, 4096];

/** Where a key pair for `id` lives in `dir`: `<id>.pem` (public) and `<id>.key.pem` (private). */
export function keyPairFiles(dir: string, id: string): { publicFile: string; privateFile: string } {
  return { publicFile: join(dir, `${id}.pem`), privateFile: join(dir, `${id}.key.pem`) };
}

/** What a key pair is: an RSA modulus size, or `ec-p256` (a P-256 key agreement key, for E2). */
export type KeyShape = number | 'ec-p256';

/** Makes a key pair and writes it: public SPKI PEM, private PKCS#8 PEM with mode 0600. */
export function writeKeyPair(dir: string, id: string, shape: KeyShape): { publicFile: string; privateFile: string } {
  const files = keyPairFiles(dir, id);
  const pair =
    shape === 'ec-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: shape, publicExponent: 0x10001 });
  const publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' });
  const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
  mkdirSync(dir, { recursive: true });
  writeFileSync(files.publicFile, publicKey, { mode: 0o644 });
  writeFileSync(files.privateFile, privateKey, { mode: 0o600 });
  return files;
}

/** Where a development edge secret of `version` lives in `dir`. */
export function devSecretFile(dir: string, version: number): string {
  return join(dir, `edge-secret.${version}.json`);
}

/**
 * Writes a development edge secret: 32 random bytes in clear (mode 0600), `{"version", "local"}`.
 * The local stand-in for the KMS-wrapped secret: `fle build-edge` refuses it without
 * `--unsafe-dev-keys`, as it refuses dev keys.
 */
export function writeDevSecret(file: string, version: number): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ version, local: randomBytes(32).toString('base64') })}\n`, { mode: 0o600 });
}
