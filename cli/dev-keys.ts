import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EC_KEY_SPEC, type FleConfig } from '../core/config';
import { type KeyFileReader, loadConfigFile } from '../core/config-file';
import { classifyKeyFile, fingerprintOf, type KeySource, keyFileShown } from './key-provenance';
import { devSecretFile, type KeyShape, writeDevSecret, writeKeyPair } from './keygen';

/** Where generated stand-in keys go for builds and synth: git-ignored, never beside the real ones. */
export const DEV_KEY_DIR = '.build/dev-keys';

/**
 * Where a missing public key file's key pair is made: `none` (a missing file stays the config's
 * usual clear error), `build` (a stand-in under {@link DEV_KEY_DIR}, for bundles and synth), or
 * `in-place` (at the path the config names, private key beside it: the local stack's first run,
 * whose decrypt endpoint then finds the private key).
 */
export type DevKeys = 'none' | 'build' | 'in-place';

/** A config loaded for a build, with where each of its public keys came from. */
export interface DeployConfig {
  readonly config: FleConfig;
  /** Key id → where its public key came from. */
  readonly sources: ReadonlyMap<string, KeySource>;
  /** The key ids whose public key KMS is not known to hold (stand-ins and local keys), and `edge-secret.<v>` for dev secrets. */
  readonly devKeyIds: readonly string[];
  /** Key files made by this call. */
  readonly made: readonly string[];
  /** The config file it was loaded from. */
  readonly configFile: string;
}

/** Loads a config, making development keys for missing public key files as `devKeys` says. */
export function loadDeployConfig(configFile: string, devKeys: DevKeys): DeployConfig {
  const made: string[] = [];
  const byFile = new Map<string, KeySource>();
  const shapeFor = configuredShapes(configFile);
  const secretVersions = configuredSecretVersions(configFile);
  const reader: KeyFileReader = (absolutePath, asWritten) => {
    const secretVersion = secretVersions.get(asWritten);
    if (secretVersion !== undefined && (devKeys === 'none' || existsSync(absolutePath))) return readFileSync(absolutePath, 'utf8');
    if (secretVersion !== undefined) {
      // A missing edge secret version becomes a dev secret, like a missing key.
      const file = devKeys === 'in-place' ? absolutePath : devSecretFile(resolve(DEV_KEY_DIR), secretVersion);
      if (!existsSync(file)) {
        writeDevSecret(file, secretVersion);
        made.push(file);
      }
      return readFileSync(file, 'utf8');
    }
    if (devKeys === 'none' || existsSync(absolutePath) || !absolutePath.endsWith('.pem')) {
      const pem = readFileSync(absolutePath, 'utf8');
      byFile.set(asWritten, classifyKeyFile(absolutePath, pem));
      return pem;
    }
    const id = basename(absolutePath, '.pem');
    const file = devKeys === 'in-place' ? absolutePath : join(resolve(DEV_KEY_DIR), `${id}.pem`);
    const shape = shapeFor.get(asWritten) ?? 2048;
    // A stand-in made earlier for another key shape is made again (build only: it holds no data).
    if (!existsSync(file) || (devKeys === 'build' && shapeOf(file) !== shape)) {
      writeKeyPair(dirname(file), id, shape);
      made.push(file);
    }
    const pem = readFileSync(file, 'utf8');
    byFile.set(
      asWritten,
      devKeys === 'in-place'
        ? { kind: 'local', fingerprint: fingerprintOf(pem), why: 'it is a dev key made by the local stack' }
        : { kind: 'stand-in', fingerprint: fingerprintOf(pem) },
    );
    return pem;
  };
  const config = loadConfigFile(configFile, reader);
  const sources = new Map<string, KeySource>();
  for (const key of config.keys) {
    const source = byFile.get(key.publicKeyFile);
    if (source) sources.set(key.id, source);
  }
  const devKeyIds = [
    ...config.keys.filter((k) => sources.get(k.id)?.kind !== 'kms').map((k) => k.id),
    ...(config.edgeSecret?.versions ?? []).filter((v) => v.source === 'local').map((v) => `edge-secret.${v.version}`),
  ];
  return { config, sources, devKeyIds, made, configFile };
}

/**
 * Why each key of a config may not reach AWS, one line per key naming its file and the fix; empty
 * when KMS is known to hold every key.
 */
export function undeployableKeyProblems(loaded: DeployConfig): string[] {
  const keyIds = loaded.config.keys.map((k) => k.id);
  const secrets = (loaded.config.edgeSecret?.versions ?? []).flatMap((version) =>
    version.source === 'kms'
      ? keyIds
          .filter((id) => version.ciphertextBlobs[id] === undefined)
          .map(
            (id) =>
              `edge secret version ${version.version} (${keyFileShown(loaded.configFile, version.file)}) holds no secret for key ${id}. Fix: run npm run deploy, which adds it with KMS`,
          )
      : [
          `edge secret version ${version.version} (${keyFileShown(loaded.configFile, version.file)}): a dev secret in clear. Fix: run npm run deploy, which makes it with KMS GenerateDataKeyWithoutPlaintext (move the dev file away first)`,
        ],
  );
  return [...secrets, ...keyProblems(loaded)];
}

function keyProblems(loaded: DeployConfig): string[] {
  return loaded.config.keys.flatMap((key) => {
    const source = loaded.sources.get(key.id);
    if (source?.kind === 'kms') return [];
    const why = source?.kind === 'local' ? source.why : 'the file is missing (a generated stand-in took its place)';
    const file = keyFileShown(loaded.configFile, key.publicKeyFile);
    return [
      `key ${key.id} (${file}): ${why}. Fix: run npm run deploy, which fetches it from KMS (move a local dev key and its .key.pem away first), or npx fle fetch-public-key --key-id <ARN> --out ${file}`,
    ];
  });
}

/**
 * The shape each key file should have, from the config's `keySpec` (RSA_3072 → 3072, ECC_NIST_P256
 * → ec-p256), so a stand-in key matches the key KMS will hold. A config that cannot be read yields
 * none: loading it reports why.
 */
function configuredShapes(configFile: string): Map<string, KeyShape> {
  const shapes = new Map<string, KeyShape>();
  try {
    const raw = JSON.parse(readFileSync(configFile, 'utf8')) as { keys?: { publicKey?: unknown; keySpec?: unknown }[] };
    for (const key of raw.keys ?? []) {
      const size = typeof key.keySpec === 'string' ? /^RSA_(\d+)$/.exec(key.keySpec)?.[1] : undefined;
      if (typeof key.publicKey === 'string' && size) shapes.set(key.publicKey, Number(size));
      if (typeof key.publicKey === 'string' && key.keySpec === EC_KEY_SPEC) shapes.set(key.publicKey, 'ec-p256');
    }
  } catch {
    // Reported by loadConfigFile.
  }
  return shapes;
}

/** Each edge secret version file the config names, with its version. */
function configuredSecretVersions(configFile: string): Map<string, number> {
  const versions = new Map<string, number>();
  try {
    const raw = JSON.parse(readFileSync(configFile, 'utf8')) as { edgeSecret?: { versions?: { version?: unknown; file?: unknown }[] } };
    for (const entry of raw.edgeSecret?.versions ?? []) {
      if (typeof entry.file === 'string' && typeof entry.version === 'number') versions.set(entry.file, entry.version);
    }
  } catch {
    // Reported by loadConfigFile.
  }
  return versions;
}

function shapeOf(file: string): KeyShape | undefined {
  try {
    const key = createPublicKey(readFileSync(file, 'utf8'));
    return key.asymmetricKeyType === 'ec' ? 'ec-p256' : key.asymmetricKeyDetails?.modulusLength;
  } catch {
    return undefined;
  }
}
