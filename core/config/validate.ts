import { createPublicKey, type KeyObject } from 'node:crypto';
import { normalize } from 'node:path';
import { isKeyId, markerClose } from '../format/marker';
import { maxOaepSha256Plaintext } from '../format/sealer';
import { checkJsonPathSyntax } from '../jsonpath-syntax';
import { foldName } from '../names';
import { checkIndexUse, validateEdgeSecret, validateIndexes } from './searchable';
import {
  type Audience,
  ConfigError,
  type ConfigProblem,
  DEFAULT_LIMITS,
  EC_KEY_SPEC,
  type FieldRule,
  type FleConfig,
  type FormField,
  HTTP_METHODS,
  type HttpMethod,
  type JsonField,
  KEY_SPECS,
  type KeySpec,
  type Limits,
  MIN_RSA_BITS,
  type NameField,
  type ReadKeyFile,
  type ResolvedKey,
  ROUTE_MODES,
  type Route,
  type RouteMode,
  UNMATCHED_POLICIES,
  type UnmatchedPolicy,
} from './types';

const KMS_KEY_ID =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_+=,.@:-]+|alias\/[A-Za-z0-9/_-]+|(mrk-)?[A-Za-z0-9-]{1,64})$/;
const TOP_LEVEL = new Set([
  '$schema',
  'keys',
  'encryptWith',
  'names',
  'unmatched',
  'routes',
  'limits',
  'audiences',
  'edgeSecret',
  'indexes',
]);
const NAME_FIELDS = new Set(['name', 'key', 'mode', 'index']);
const KEY_FIELDS = new Set(['id', 'publicKey', 'kmsKeyId', 'keySpec']);
const AUDIENCE_FIELDS = new Set(['name', 'keys', 'invokers']);
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;
const ROUTE_FIELDS = new Set(['name', 'methods', 'path', 'caseSensitive', 'json', 'form', 'mode']);
const JSON_FIELD_FIELDS = new Set(['path', 'key', 'mode', 'index']);
const FORM_FIELD_FIELDS = new Set(['name', 'key', 'mode', 'index']);
const LIMIT_FIELDS = new Set(['maxDepth', 'maxValues']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Validates a parsed config and resolves its key files. Returns the config, or throws
 * {@link ConfigError} listing every problem with where it is.
 *
 * @example
 * const config = validateConfig(JSON.parse(text), (p) => readFileSync(resolve(dir, p), 'utf8'));
 */
export function validateConfig(raw: unknown, readKeyFile: ReadKeyFile): FleConfig {
  const problems: ConfigProblem[] = [];
  const problem = (where: string, message: string): void => {
    problems.push({ where, message });
  };
  if (!isObject(raw)) throw new ConfigError([{ where: 'config', message: 'must be a JSON object' }]);
  for (const field of Object.keys(raw)) if (!TOP_LEVEL.has(field)) problem('config', `unknown property "${field}"`);

  // Ids count as configured even when their PEM has a problem, so one bad file is one problem.
  const keyIds = new Set<string>();
  const keys = validateKeys(raw.keys, readKeyFile, problem, keyIds);

  const encryptWith = raw.encryptWith;
  if (typeof encryptWith !== 'string') problem('encryptWith', 'must name a key id');
  else if (!keyIds.has(encryptWith)) problem('encryptWith', `"${encryptWith}" is not a configured key id`);

  const defaultKey = typeof encryptWith === 'string' ? encryptWith : '';
  const names = validateNames(raw.names, defaultKey, keyIds, problem);
  const unmatched = raw.unmatched ?? 'protect';
  if (typeof unmatched !== 'string' || !(UNMATCHED_POLICIES as readonly string[]).includes(unmatched)) {
    problem('unmatched', `must be one of ${UNMATCHED_POLICIES.join(', ')}`);
  }
  const routes = validateRoutes(raw.routes, defaultKey, keyIds, names.length > 0, problem);
  const limits = validateLimits(raw.limits, problem);
  const audiences = validateAudiences(raw.audiences, keyIds, problem);
  const edgeSecret = validateEdgeSecret(raw.edgeSecret, readKeyFile, problem);
  const indexes = validateIndexes(raw.indexes, defaultKey, keyIds, problem);
  checkIndexUse(names, routes, indexes, raw.edgeSecret !== undefined, problem);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    keys,
    encryptWith: encryptWith as string,
    names,
    unmatched: unmatched as UnmatchedPolicy,
    routes,
    limits,
    audiences,
    ...(edgeSecret ? { edgeSecret } : {}),
    indexes,
  };
}

type Report = (where: string, message: string) => void;

function validateKeys(raw: Json | undefined, readKeyFile: ReadKeyFile, problem: Report, seen: Set<string>): ResolvedKey[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problem('keys', 'must be a non-empty list');
    return [];
  }
  const keys: ResolvedKey[] = [];
  const files = new Map<string, string>();
  raw.forEach((entry, index) => {
    let where = `keys[${index}]`;
    if (!isObject(entry)) {
      problem(where, 'must be an object');
      return;
    }
    const { id, publicKey, kmsKeyId, keySpec } = entry;
    if (typeof id === 'string') where += ` (${id})`;
    for (const field of Object.keys(entry)) if (!KEY_FIELDS.has(field)) problem(where, `unknown property "${field}"`);
    let idOk = false;
    if (typeof id !== 'string') {
      problem(where, 'id must be a string');
    } else if (!isKeyId(id)) {
      problem(where, 'id must be 1 to 8 letters or digits ([A-Za-z0-9]{1,8}) so it cannot clash with the "#" marker delimiters');
    } else if (seen.has(id)) {
      problem(where, `duplicate key id "${id}"`);
    } else {
      idOk = true;
      seen.add(id);
    }
    if (kmsKeyId !== undefined && (typeof kmsKeyId !== 'string' || !KMS_KEY_ID.test(kmsKeyId))) {
      problem(where, 'kmsKeyId must be a KMS key ARN, key id, alias name or alias ARN');
    }
    if (keySpec !== undefined && !(KEY_SPECS as readonly Json[]).includes(keySpec)) {
      problem(where, `keySpec must be one of ${KEY_SPECS.join(', ')}`);
    }
    if (typeof publicKey !== 'string' || publicKey === '') {
      problem(where, 'publicKey must name a PEM file');
      return;
    }
    const fileKey = normalize(publicKey);
    const sameFile = files.get(fileKey);
    if (sameFile !== undefined) {
      problem(where, `publicKey "${publicKey}" is key ${sameFile}'s file too: each key id needs its own key (KMS makes one key per id)`);
      return;
    }
    if (typeof id === 'string') files.set(fileKey, id);
    const pem = readPublicKey(publicKey, readKeyFile, where, problem);
    if (pem === undefined || !idOk) return;
    const ec = pem.key.asymmetricKeyType === 'ec';
    const modulusBits = ec ? 0 : (pem.key.asymmetricKeyDetails?.modulusLength ?? 0);
    const actualSpec = (ec ? EC_KEY_SPEC : `RSA_${modulusBits}`) as KeySpec;
    if (typeof keySpec === 'string' && keySpec !== actualSpec) {
      const kind = ec ? 'a P-256 key' : `a ${modulusBits}-bit RSA key`;
      problem(where, `keySpec is ${keySpec} but "${publicKey}" is ${kind}: the PEM does not belong to this key`);
    }
    keys.push({
      id: id as string,
      publicKeyPem: pem.text,
      publicKeyFile: publicKey,
      ...(typeof kmsKeyId === 'string' ? { kmsKeyId } : {}),
      ...((KEY_SPECS as readonly string[]).includes(actualSpec) ? { keySpec: actualSpec } : {}),
      modulusBits,
      maxPlaintextBytes: ec ? 0 : maxOaepSha256Plaintext(modulusBits),
    });
  });
  // A key id that is another's reverse makes one key's opening delimiter the other's closing one.
  for (const key of keys) {
    const twin = keys.find((other) => other !== key && markerClose(other.id) === `#${key.id}#`);
    if (twin && key.id < twin.id) {
      problem(`keys (${key.id}, ${twin.id})`, 'a key id must not be the reverse of another: their markers would share delimiters');
    }
  }
  return keys;
}

function readPublicKey(
  file: string,
  readKeyFile: ReadKeyFile,
  where: string,
  problem: Report,
): { text: string; key: KeyObject } | undefined {
  let text: string;
  try {
    text = readKeyFile(file);
  } catch {
    problem(where, `cannot read public key file "${file}" (run: npx fle keygen --out <dir>)`);
    return undefined;
  }
  if (/PRIVATE KEY/.test(text)) {
    // createPublicKey would happily derive a public key from it, and the private key would then
    // be baked into the edge bundle. Refuse outright.
    problem(where, `"${file}" holds a private key; point publicKey at the public (SPKI) PEM`);
    return undefined;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    problem(where, `"${file}" is not a PEM public key`);
    return undefined;
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { text: key.export({ type: 'spki', format: 'pem' }).toString(), key };
  }
  if (key.asymmetricKeyType !== 'rsa') {
    problem(where, `"${file}" is a ${key.asymmetricKeyType ?? 'non-RSA'} key; an RSA or P-256 key is required`);
    return undefined;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    problem(where, `"${file}" is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
    return undefined;
  }
  return { text: key.export({ type: 'spki', format: 'pem' }).toString(), key };
}

/** Reads the rule (key and mode) a field entry gives, with the defaults filled in. */
function readRule(
  field: { [key: string]: Json },
  at: string,
  defaults: FieldRule,
  keyIds: ReadonlySet<string>,
  problem: Report,
): FieldRule {
  const { key = defaults.key, mode = defaults.mode, index } = field;
  if (typeof key !== 'string' || !keyIds.has(key)) problem(at, `key "${String(key)}" is not a configured key id`);
  if (!isMode(mode)) problem(at, `mode must be one of ${ROUTE_MODES.join(', ')}`);
  if (index !== undefined && typeof index !== 'string') problem(at, 'index must name one index (a field belongs to at most one)');
  if (typeof index === 'string' && (field.key !== undefined || field.mode !== undefined)) {
    problem(at, 'a searchable field takes its key from its index and has no mode: drop "key" and "mode"');
  }
  return { key: String(key), mode: isMode(mode) ? mode : defaults.mode, ...(typeof index === 'string' ? { index } : {}) };
}

function validateNames(raw: Json | undefined, encryptWith: string, keyIds: ReadonlySet<string>, problem: Report): NameField[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problem('names', 'must be a list of names or {name, key, mode} objects');
    return [];
  }
  const seen = new Map<string, string>();
  return raw.flatMap((item, index): NameField[] => {
    const field = typeof item === 'string' ? { name: item } : item;
    const name = isObject(field) ? field.name : undefined;
    const at = `names[${index}]${typeof name === 'string' ? ` "${name}"` : ''}`;
    if (!isObject(field) || typeof name !== 'string' || foldName(name) === '') {
      problem(at, 'must be a name (with at least one letter or digit) or an object with a "name"');
      return [];
    }
    for (const property of Object.keys(field)) if (!NAME_FIELDS.has(property)) problem(at, `unknown property "${property}"`);
    const folded = foldName(name);
    const twin = seen.get(folded);
    if (twin !== undefined) problem(at, `is read by origins as the same name as "${twin}" (names match case- and separator-insensitively)`);
    seen.set(folded, name);
    return [{ name, ...readRule(field, at, { key: encryptWith, mode: 'rsa' }, keyIds, problem) }];
  });
}

function validateRoutes(
  raw: Json | undefined,
  encryptWith: string,
  keyIds: ReadonlySet<string>,
  hasNames: boolean,
  problem: Report,
): Route[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problem('routes', 'must be a non-empty list');
    return [];
  }
  const routes: Route[] = [];
  const names = new Set<string>();
  raw.forEach((entry, index) => {
    let where = `routes[${index}]`;
    if (!isObject(entry)) {
      problem(where, 'must be an object');
      return;
    }
    const { name, methods, path, caseSensitive = false, json = [], form = [], mode = 'rsa' } = entry;
    if (typeof name === 'string') where += ` (${name})`;
    for (const field of Object.keys(entry)) if (!ROUTE_FIELDS.has(field)) problem(where, `unknown property "${field}"`);
    if (typeof name !== 'string' || name.trim() === '') problem(where, 'name must be a non-empty string');
    else if (names.has(name)) problem(where, `duplicate route name "${name}"`);
    else names.add(name);

    if (!isStringArray(methods) || methods.length === 0) {
      problem(where, `methods must be a non-empty list of ${HTTP_METHODS.join(', ')}`);
    } else {
      for (const method of methods) {
        if (!(HTTP_METHODS as readonly string[]).includes(method)) {
          problem(`${where}.methods`, `"${method}" is not an HTTP method CloudFront forwards (${HTTP_METHODS.join(', ')}; upper case)`);
        }
      }
    }
    if (typeof path !== 'string' || !path.startsWith('/')) problem(where, 'path must be a pattern starting with "/"');
    else if (/\/\/|\/\.\.?(\/|$)|%|;|\\/.test(path)) {
      problem(
        where,
        'path must be canonical: no "//", "." or ".." segments, percent-escapes, ";" or "\\" (requests are matched on their canonical path)',
      );
    }
    if (typeof caseSensitive !== 'boolean') problem(where, 'caseSensitive must be true or false');
    const routeMode: RouteMode = isMode(mode) ? mode : 'rsa';
    if (!isMode(mode)) problem(where, `mode must be one of ${ROUTE_MODES.join(', ')}`);

    const rule = (field: { [key: string]: Json }, at: string): FieldRule =>
      readRule(field, at, { key: encryptWith, mode: routeMode }, keyIds, problem);
    /** Reads a list of fields: bare strings, or objects with `property` and optionally key and mode. */
    const readFields = (
      list: Json,
      kind: 'json' | 'form',
      property: 'path' | 'name',
      allowed: ReadonlySet<string>,
      check: (value: string) => string | undefined,
    ) => {
      const fields: { value: string; rule: FieldRule }[] = [];
      if (!Array.isArray(list)) {
        problem(
          where,
          `${kind} must be a list of ${kind === 'json' ? 'JSONPath strings' : 'field names'} or {${property}, key, mode} objects`,
        );
        return fields;
      }
      list.forEach((item, i) => {
        const field = typeof item === 'string' ? { [property]: item } : item;
        const value = isObject(field) ? field[property] : undefined;
        const at = `${where}.${kind}[${i}]${typeof value === 'string' ? ` "${value}"` : ''}`;
        if (!isObject(field) || typeof value !== 'string' || value === '') {
          problem(at, `must be a non-empty ${kind === 'json' ? 'JSONPath' : 'field name'} or an object with a "${property}"`);
          return;
        }
        for (const name of Object.keys(field)) if (!allowed.has(name)) problem(at, `unknown property "${name}"`);
        const trouble = check(value);
        if (trouble) problem(at, trouble);
        fields.push({ value, rule: rule(field, at) });
      });
      return fields;
    };
    const jsonFields: JsonField[] = readFields(json, 'json', 'path', JSON_FIELD_FIELDS, (jsonPath) => {
      const syntax = checkJsonPathSyntax(jsonPath);
      return syntax ? `bad JSONPath: ${syntax}` : undefined;
    }).map(({ value, rule: r }) => ({ path: value, ...r }));
    const formFields: FormField[] = readFields(form, 'form', 'name', FORM_FIELD_FIELDS, () => undefined).map(({ value, rule: r }) => ({
      name: value,
      ...r,
    }));
    if (Array.isArray(json) && Array.isArray(form) && json.length + form.length === 0 && !hasNames) {
      problem(where, 'protects nothing: give it "json" paths or "form" fields, or give the config "names"');
    }

    routes.push({
      name: String(name),
      methods: (isStringArray(methods) ? methods : []) as HttpMethod[],
      path: String(path),
      caseSensitive: caseSensitive === true,
      json: jsonFields,
      form: formFields,
      mode: routeMode,
    });
  });
  return routes;
}

function isMode(value: Json | undefined): value is RouteMode {
  return typeof value === 'string' && (ROUTE_MODES as readonly string[]).includes(value);
}

/** An audience name as IAM role names and CloudFormation ids compare it. */
function audienceSlug(name: string): string {
  return name.toLowerCase().replace(/-/g, '');
}

function validateAudiences(raw: Json | undefined, keyIds: ReadonlySet<string>, problem: Report): Audience[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problem('audiences', 'must be a list of {name, keys, invokers}');
    return [];
  }
  const names = new Set<string>();
  return raw.flatMap((entry, index): Audience[] => {
    let where = `audiences[${index}]`;
    if (!isObject(entry)) {
      problem(where, 'must be an object');
      return [];
    }
    const { name, keys, invokers = [] } = entry;
    if (typeof name === 'string') where += ` (${name})`;
    for (const field of Object.keys(entry)) if (!AUDIENCE_FIELDS.has(field)) problem(where, `unknown property "${field}"`);
    if (typeof name !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(name)) problem(where, 'name must be 1 to 32 letters, digits or "-"');
    else if (names.has(audienceSlug(name))) {
      // IAM role names ignore case, and resource ids drop the "-": these would collide when deployed.
      problem(where, `audience name "${name}" collides with another once case and "-" are ignored (IAM role names and stack ids)`);
    } else names.add(audienceSlug(name));
    if (!isStringArray(keys) || keys.length === 0) problem(where, 'keys must be a non-empty list of key ids');
    else for (const key of keys) if (!keyIds.has(key)) problem(`${where}.keys`, `"${key}" is not a configured key id`);
    if (!isStringArray(invokers) || invokers.some((arn) => !PRINCIPAL_ARN.test(arn))) {
      problem(where, 'invokers must be a list of IAM principal ARNs (arn:aws:iam::<account>:role/…, user/… or root)');
    }
    return [{ name: String(name), keys: isStringArray(keys) ? keys : [], invokers: isStringArray(invokers) ? invokers : [] }];
  });
}

function validateLimits(raw: Json | undefined, problem: Report): Limits {
  if (raw === undefined) return DEFAULT_LIMITS;
  if (!isObject(raw)) {
    problem('limits', 'must be an object');
    return DEFAULT_LIMITS;
  }
  for (const field of Object.keys(raw)) if (!LIMIT_FIELDS.has(field)) problem('limits', `unknown property "${field}"`);
  const read = (field: keyof Limits, max: number): number => {
    const value = raw[field];
    if (value === undefined) return DEFAULT_LIMITS[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
      problem(`limits.${field}`, `must be a whole number from 1 to ${max}`);
      return DEFAULT_LIMITS[field];
    }
    return value;
  };
  // Depth is capped so the bundle's own recursion (jsonpath-plus) stays far from the stack limit.
  return { maxDepth: read('maxDepth', 512), maxValues: read('maxValues', 1_000_000) };
}
