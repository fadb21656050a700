import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** RSA sizes KMS offers (RSA_2048, RSA_3072, RSA_4096). */
export const KEY_BITS: readonly number[] = [2048, 3072, 4096];

/** Where a key pair for `id` lives in `dir`: `<id>.pem` (public) and `<id>.key.pem` (private). */
export function keyPairFiles(dir: string, id: string): { publicFile: string; privateFile: string } {
  return { publicFile: join(dir, `${id}.pem`), privateFile: join(dir, `${id}.key.pem`) };
}

/** Makes an RSA key pair and writes it: public SPKI PEM, private PKCS#8 PEM with mode 0600. */
export function writeKeyPair(dir: string, id: string, bits: number): { publicFile: string; privateFile: string } {
  const files = keyPairFiles(dir, id);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(files.publicFile, publicKey, { mode: 0o644 });
  writeFileSync(files.privateFile, privateKey, { mode: 0o600 });
  return files;
}
