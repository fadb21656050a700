import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
