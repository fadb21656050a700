import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { FleConfig } from '../core/config';
import { type KeyFileReader, loadConfigFile } from '../core/config-file';
import { writeKeyPair } from './keygen';

/** Where generated development keys go for builds and synth: git-ignored, never beside the real ones. */
export const DEV_KEY_DIR = '.build/dev-keys';

/**
 * Where a missing public key file's development key pair is made: `none` (a missing file stays
 * the config's usual clear error), `build` (under {@link DEV_KEY_DIR}, for bundles and synth:
 * labelled, never deployed), or `in-place` (at the path the config names, private key beside it:
 * the local stack's first run, whose decrypt endpoint then finds the private key).
 */
export type DevKeys = 'none' | 'build' | 'in-place';

/** Loads a config, making development keys for missing public key files as `devKeys` says. */
export function loadDeployConfig(configFile: string, devKeys: DevKeys): { config: FleConfig; devKeyIds: string[]; made: string[] } {
  const devFiles = new Set<string>();
  const made: string[] = [];
  const bitsFor = configuredBits(configFile);
  const reader: KeyFileReader = (absolutePath, asWritten) => {
    if (devKeys === 'none' || existsSync(absolutePath) || !absolutePath.endsWith('.pem')) return readFileSync(absolutePath, 'utf8');
    const id = basename(absolutePath, '.pem');
    const file = devKeys === 'in-place' ? absolutePath : join(resolve(DEV_KEY_DIR), `${id}.pem`);
    const bits = bitsFor.get(asWritten) ?? 2048;
    // A stand-in made earlier for another key size is made again (build only: it holds no data).
    if (!existsSync(file) || (devKeys === 'build' && modulusBits(file) !== bits)) {
      writeKeyPair(dirname(file), id, bits);
      made.push(file);
    }
    devFiles.add(asWritten);
    return readFileSync(file, 'utf8');
  };
  const config = loadConfigFile(configFile, reader);
  return { config, devKeyIds: config.keys.filter((k) => devFiles.has(k.publicKeyFile)).map((k) => k.id), made };
}

/**
 * The RSA size each key file should have, from the config's `keySpec` (RSA_3072 → 3072), so a
 * stand-in key matches the key KMS will hold. A config that cannot be read yields none: loading it
 * reports why.
 */
function configuredBits(configFile: string): Map<string, number> {
  const bits = new Map<string, number>();
  try {
    const raw = JSON.parse(readFileSync(configFile, 'utf8')) as { keys?: { publicKey?: unknown; keySpec?: unknown }[] };
    for (const key of raw.keys ?? []) {
      const size = typeof key.keySpec === 'string' ? /^RSA_(\d+)$/.exec(key.keySpec)?.[1] : undefined;
      if (typeof key.publicKey === 'string' && size) bits.set(key.publicKey, Number(size));
    }
  } catch {
    // Reported by loadConfigFile.
  }
  return bits;
}

function modulusBits(file: string): number | undefined {
  try {
    return createPublicKey(readFileSync(file, 'utf8')).asymmetricKeyDetails?.modulusLength;
  } catch {
    return undefined;
  }
}
