import { INDEX_NAME_PATTERN } from '../format/d1';
import { isKeyId } from '../format/marker';
import { MAX_VERSION, SECRET_BYTES } from '../format/secret';
import { foldName } from '../names';
import { isNormalization, NORMALIZATIONS, type Normalization } from '../normalize';
import type { EdgeSecretConfig, EdgeSecretVersion, NameField, ReadKeyFile, Route, SearchIndex } from './types';

/**
 * Validation of the searchable side of a config: the edge secret, the indexes, and which fields
 * name which index. Kept apart from `validate.ts` (keys, routes, audiences): one idea per module.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Report = (where: string, message: string) => void;

const SECRET_FIELDS = new Set(['kmsKeyId', 'current', 'versions', 'acceptUnprovenMarkers']);
const VERSION_FIELDS = new Set(['version', 'file']);
const INDEX_FIELDS = new Set(['name', 'key', 'version', 'normalize']);
const SYMMETRIC_KMS_KEY = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_+=,.@:-]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_VERSION;
}

/**
 * Validates `edgeSecret` and reads each version's file: `{"version", "kmsKeyId", "ciphertextBlob"}`
 * as `npm run deploy` writes it, or `{"version", "local"}` as `fle keygen --type edge-secret` writes
 * a development secret.
 */
export function validateEdgeSecret(raw: Json | undefined, readFile: ReadKeyFile, problem: Report): EdgeSecretConfig | undefined {
  if (raw === undefined) return undefined;
  const where = 'edgeSecret';
  if (!isObject(raw)) {
    problem(where, 'must be an object {kmsKeyId, current, versions}');
    return undefined;
  }
  for (const field of Object.keys(raw)) if (!SECRET_FIELDS.has(field)) problem(where, `unknown property "${field}"`);
  const { kmsKeyId, current, versions, acceptUnprovenMarkers = false } = raw;
  if (kmsKeyId !== undefined && (typeof kmsKeyId !== 'string' || !SYMMETRIC_KMS_KEY.test(kmsKeyId))) {
    problem(`${where}.kmsKeyId`, 'must be the ARN of a symmetric KMS key (or its alias ARN) in the data region');
  }
  if (typeof acceptUnprovenMarkers !== 'boolean') problem(`${where}.acceptUnprovenMarkers`, 'must be true or false');
  if (!Array.isArray(versions) || versions.length === 0) {
    problem(`${where}.versions`, 'must list at least one {version, file}');
    return undefined;
  }
  const read: EdgeSecretVersion[] = [];
  const seen = new Set<number>();
  for (const [i, entry] of versions.entries()) {
    const at = `${where}.versions[${i}]`;
    const problemHere = versionProblem(entry, seen);
    if (problemHere) {
      problem(at, problemHere);
      continue;
    }
    const { version, file } = entry as { version: number; file: string };
    for (const field of Object.keys(entry as object)) if (!VERSION_FIELDS.has(field)) problem(at, `unknown property "${field}"`);
    seen.add(version);
    const secret = readSecretFile(file, version, readFile, `${at} (${file})`, problem);
    if (secret) read.push(secret);
  }
  if (!isVersion(current) || !seen.has(current)) problem(`${where}.current`, 'must be one of the listed versions');
  for (const version of read) {
    if (version.source === 'kms' && typeof kmsKeyId === 'string' && !sameKey(version.kmsKeyId, kmsKeyId)) {
      problem(`${where}.versions (${version.file})`, `was wrapped by ${version.kmsKeyId}, not by edgeSecret.kmsKeyId`);
    }
  }
  return {
    ...(typeof kmsKeyId === 'string' ? { kmsKeyId } : {}),
    current: isVersion(current) ? current : 1,
    versions: read,
    acceptUnprovenMarkers: acceptUnprovenMarkers === true,
  };
}

/** What is wrong with a `versions` entry's shape, if anything. */
function versionProblem(entry: Json, seen: ReadonlySet<number>): string | undefined {
  if (!isObject(entry)) return 'must be an object {version, file}';
  if (!isVersion(entry.version)) return `version must be a whole number from 1 to ${MAX_VERSION}`;
  if (seen.has(entry.version)) return `version ${entry.version} is listed twice`;
  if (typeof entry.file !== 'string' || entry.file === '') return 'file must name the secret version file';
  return undefined;
}

/** Whether two key ARNs name the same key (an alias ARN is taken on trust: KMS resolves it). */
function sameKey(wrappedBy: string, configured: string): boolean {
  return configured.includes(':alias/') || wrappedBy === configured;
}

function readSecretFile(file: string, version: number, readFile: ReadKeyFile, at: string, problem: Report): EdgeSecretVersion | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFile(file));
  } catch {
    problem(at, 'cannot read the secret file (npm run deploy makes it with KMS; npx fle keygen --type edge-secret makes a dev one)');
    return undefined;
  }
  if (!isObject(parsed) || parsed.version !== version) {
    problem(at, `is not the file of secret version ${version}`);
    return undefined;
  }
  const { kmsKeyId, ciphertextBlobs, local } = parsed;
  if (isObject(ciphertextBlobs) && typeof kmsKeyId === 'string') {
    const blobs = Object.entries(ciphertextBlobs);
    const bad = blobs.find(([id, blob]) => !isKeyId(id) || typeof blob !== 'string' || !BASE64.test(blob) || blob.length < 100);
    if (bad) {
      problem(at, `ciphertextBlobs["${bad[0]}"] is not KMS ciphertext (base64) of a key id`);
      return undefined;
    }
    return { version, file, source: 'kms', kmsKeyId, ciphertextBlobs: Object.fromEntries(blobs) as Record<string, string> };
  }
  if (typeof local === 'string' && BASE64.test(local) && Buffer.from(local, 'base64').length === SECRET_BYTES) {
    return { version, file, source: 'local', secret: local };
  }
  problem(at, 'must hold {kmsKeyId, ciphertextBlobs: {<key id>: …}} (from KMS) or {local} (a dev secret of 32 bytes, base64)');
  return undefined;
}

/** Validates `indexes`; an index's key must be a configured key id. */
export function validateIndexes(raw: Json | undefined, encryptWith: string, keyIds: ReadonlySet<string>, problem: Report): SearchIndex[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problem('indexes', 'must be a list of {name, normalize, key?, version?}');
    return [];
  }
  const names = new Set<string>();
  return raw.flatMap((entry, i): SearchIndex[] => {
    let at = `indexes[${i}]`;
    if (!isObject(entry)) {
      problem(at, 'must be an object {name, normalize}');
      return [];
    }
    const { name, key = encryptWith, version = 1, normalize = [] } = entry;
    if (typeof name === 'string') at += ` (${name})`;
    for (const field of Object.keys(entry)) if (!INDEX_FIELDS.has(field)) problem(at, `unknown property "${field}"`);
    if (typeof name !== 'string' || !INDEX_NAME_PATTERN.test(name)) {
      problem(at, 'name must be 1 to 32 lower-case letters, digits, "_" or "-", starting with a letter');
      return [];
    }
    if (names.has(name)) problem(at, `duplicate index name "${name}"`);
    names.add(name);
    if (typeof key !== 'string' || !keyIds.has(key)) problem(at, `key "${String(key)}" is not a configured key id`);
    if (!isVersion(version)) problem(at, `version must be a whole number from 1 to ${MAX_VERSION}`);
    if (!Array.isArray(normalize) || !normalize.every(isNormalization)) {
      problem(at, `normalize must be a list of ${NORMALIZATIONS.join(', ')}`);
    }
    return [
      {
        name,
        key: String(key),
        version: isVersion(version) ? version : 1,
        normalize: Array.isArray(normalize) ? (normalize.filter(isNormalization) as Normalization[]) : [],
      },
    ];
  });
}

/**
 * Checks which fields name which index: every named index exists, every index is used, a field
 * (by name, or by path) belongs to at most one index, and indexes need the edge secret.
 */
export function checkIndexUse(
  names: readonly NameField[],
  routes: readonly Route[],
  indexes: readonly SearchIndex[],
  hasSecret: boolean,
  problem: Report,
): void {
  const declared = new Set(indexes.map((index) => index.name));
  const used = new Set<string>();
  /** A field's identity: its folded name (names and form fields) or its path, with the index it was given. */
  const owners = new Map<string, { index: string | undefined; where: string }>();
  const visit = (id: string, index: string | undefined, where: string): void => {
    if (index !== undefined) {
      used.add(index);
      if (!declared.has(index)) problem(where, `index "${index}" is not declared under "indexes"`);
    }
    const owner = owners.get(id);
    if (owner && owner.index !== index) {
      problem(where, `is also ${owner.where}, with ${owner.index ? `index "${owner.index}"` : 'no index'}: a field belongs to one index`);
    } else if (!owner) owners.set(id, { index, where });
  };
  names.forEach((field, i) => {
    visit(`name:${foldName(field.name)}`, field.index, `names[${i}] "${field.name}"`);
  });
  routes.forEach((route, r) => {
    route.form.forEach((field, i) => {
      visit(`name:${foldName(field.name)}`, field.index, `routes[${r}] (${route.name}).form[${i}] "${field.name}"`);
    });
    route.json.forEach((field, i) => {
      visit(`path:${field.path}`, field.index, `routes[${r}] (${route.name}).json[${i}] "${field.path}"`);
    });
  });
  // A route's JSON path wins over a name for the value it selects: a path ending in a searchable
  // name, without that index, would silently make that value randomised on that route.
  const searchableNames = new Map(names.filter((n) => n.index !== undefined).map((n) => [foldName(n.name), n] as const));
  routes.forEach((route, r) => {
    route.json.forEach((field, i) => {
      const member = lastMember(field.path);
      const named = member === undefined ? undefined : searchableNames.get(foldName(member));
      if (named && named.index !== field.index) {
        problem(
          `routes[${r}] (${route.name}).json[${i}] "${field.path}"`,
          `selects "${member}", which names make searchable (index "${named.index}"), but ${field.index ? `with index "${field.index}"` : 'without it'}: this route's rule would win. Give it "index": "${named.index}" or drop it (the name covers it)`,
        );
      }
    });
  });
  for (const index of indexes) {
    if (!used.has(index.name)) problem(`indexes (${index.name})`, 'no field names this index: remove it or give a field "index"');
  }
  if (indexes.length > 0 && !hasSecret) {
    problem('indexes', 'searchable fields need "edgeSecret": their keys derive from it (see README, Searchable fields)');
  }
}

/** The member name a JSONPath ends in (`$..email`, `$[*]['email']`), if it ends in one. */
function lastMember(path: string): string | undefined {
  const match = /(?:\.|\[['"])([^.[\]'"*]+)['"]?\]?$/.exec(path);
  return match?.[1];
}
