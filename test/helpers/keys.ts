import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import {
  DEFAULT_LIMITS,
  type EdgeConfig,
  type EdgeSecretVersion,
  type FormField,
  type JsonField,
  type Limits,
  type NameField,
  type Route,
  type SearchIndex,
  type UnmatchedPolicy,
} from '../../core/config';
import { sealD1 } from '../../core/format/d1';
import { createMarkerMatcher, decodeRsaPayload } from '../../core/format/marker';
import { edgeExpressionEngine } from '../../edge/expression-engine';
import { type CompiledEdgeConfig, compileEdgeConfig, protectRequest } from '../../edge/transform';

/** A PEM key pair made for tests. */
export interface TestKeyPair {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

const pairs = new Map<number, TestKeyPair>();

/** An RSA key pair, made once per test file and size (key generation is slow on 2 cores). */
export function testKeyPair(bits = 2048, slot = 0): TestKeyPair {
  const cacheKey = bits * 10 + slot;
  let pair = pairs.get(cacheKey);
  if (!pair) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: bits,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    pair = { publicKeyPem: publicKey, privateKeyPem: privateKey };
    pairs.set(cacheKey, pair);
  }
  return pair;
}

/** Route overrides as a config writes them: fields may be bare paths and names. */
export type RouteOverrides = Partial<Omit<Route, 'json' | 'form'>> & {
  json?: (string | JsonField)[];
  form?: (string | FormField)[];
};

/** The repository's sample route, with overrides; bare fields use key 01 and the route's mode. */
export function route(overrides: RouteOverrides = {}): Route {
  const mode = overrides.mode ?? 'rsa';
  const { json = ['$[*].ssn', '$[*].email', '$..card.number'], form = ['card_number'], ...rest } = overrides;
  return {
    name: 'people',
    methods: ['POST', 'PUT', 'PATCH'],
    path: '/api/people*',
    caseSensitive: false,
    mode,
    ...rest,
    json: json.map((f) => (typeof f === 'string' ? { path: f, key: '01', mode } : f)),
    form: form.map((f) => (typeof f === 'string' ? { name: f, key: '01', mode } : f)),
  };
}

/** An edge config with key 01 from {@link testKeyPair}. */
export function edgeConfig(
  options: {
    routes?: Route[];
    limits?: Partial<Limits>;
    names?: (string | NameField)[];
    unmatched?: UnmatchedPolicy;
    secret?: EdgeSecretVersion;
    indexes?: SearchIndex[];
  } = {},
): EdgeConfig {
  const pem = testKeyPair().publicKeyPem;
  return {
    keys: [{ id: '01', publicKeyPem: pem }],
    encryptWith: '01',
    names: (options.names ?? []).map((n) => (typeof n === 'string' ? { name: n, key: '01', mode: 'rsa' } : n)),
    unmatched: options.unmatched ?? 'protect',
    routes: options.routes ?? [route()],
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ...(options.secret ? { secret: options.secret } : {}),
    indexes: options.indexes ?? [],
  };
}

/** {@link edgeConfig}, compiled. */
export function compiled(options: Parameters<typeof edgeConfig>[0] = {}): CompiledEdgeConfig {
  return compileEdgeConfig(edgeConfig(options), edgeExpressionEngine, sealD1);
}

/** Decrypts one post-compatible payload with a private key (independent of the edge code). */
export function rsaDecrypt(payload: string, privateKeyPem = testKeyPair().privateKeyPem): string {
  const ciphertext = decodeRsaPayload(payload);
  if (!ciphertext) throw new Error('not an RSA payload');
  return privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext).toString('utf8');
}

/** Replaces every `01` marker in a text by `transform(plaintext)` (JSON-escaped by default). */
export function revealMarkers(text: string, transform: (plaintext: string) => string = (p) => JSON.stringify(p).slice(1, -1)): string {
  let out = '';
  let cursor = 0;
  for (const marker of createMarkerMatcher(['01']).find(text)) {
    out += text.slice(cursor, marker.start) + transform(rsaDecrypt(marker.payload));
    cursor = marker.end;
  }
  return out + text.slice(cursor);
}

/**
 * The body the origin would get for a request through the edge: the protected body, the body as
 * sent when the edge forwards it untouched, or '' when the edge refuses it (nothing reaches the origin).
 */
export function bodyReachingOrigin(
  config: CompiledEdgeConfig,
  body: string,
  { contentType = 'application/json', method = 'POST', uri = '/api/people' }: { contentType?: string; method?: string; uri?: string } = {},
): string {
  try {
    const outcome = protectRequest(config, { method, uri, contentType, body: Buffer.from(body) });
    return outcome.action === 'replace' ? outcome.body : body;
  } catch {
    return '';
  }
}
