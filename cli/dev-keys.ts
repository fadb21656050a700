import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { writeKeyPair } from './keygen';
import type { FleConfig } from '../core/config';
import { loadConfigFile, type KeyFileReader } from '../core/config-file';

/** Where generated development keys go: git-ignored, never beside the real ones. */
export const DEV_KEY_DIR = '.build/dev-keys';

/**
 * Loads the config for synthesis. With `allowDevKeys`, a public key file that does not exist is
 * replaced by a development key generated under {@link DEV_KEY_DIR} (and reported), so a fresh
 * clone synthesises offline; without it, a missing file is the config's usual clear error.
 */
export function loadDeployConfig(configFile: string, allowDevKeys: boolean): { config: FleConfig; devKeyIds: string[] } {
  const devFiles = new Set<string>();
  const reader: KeyFileReader = (absolutePath, asWritten) => {
    if (!allowDevKeys || existsSync(absolutePath)) return readFileSync(absolutePath, 'utf8');
    const dir = resolve(DEV_KEY_DIR);
    const id = basename(asWritten).replace(/\.pem$/, '');
    const file = join(dir, `${id}.pem`);
    if (!existsSync(file)) writeKeyPair(dir, id, 2048);
    devFiles.add(asWritten);
    return readFileSync(file, 'utf8');
  };
  const config = loadConfigFile(configFile, reader);
  return { config, devKeyIds: config.keys.filter((k) => devFiles.has(k.publicKeyFile)).map((k) => k.id) };
}
