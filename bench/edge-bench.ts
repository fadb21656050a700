import {
  constants,
  createCipheriv,
  createECDH,
  createPublicKey,
  createSecretKey,
  type KeyObject,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { DEFAULT_LIMITS, type EdgeConfig, type RouteMode } from '../core/config';
import { p256Point } from '../core/format/e2';
import { scanJson } from '../core/json-scan';
import { evaluateJsonPath, type ParsedPath, parseJsonPath } from '../core/jsonpath';
import { ResultTooLargeError } from '../edge/errors';
import { type CompiledEdgeConfig, compileEdgeConfig, protectRequest } from '../edge/transform';
import { BENCH_NAMES, BENCH_PATHS, peopleBody, person, recordsFor, SENSITIVE_PATHS } from './records';
import { type Figure, figure, time } from './stats';

/**
 * What a bench row measures: the route modes under an RSA key (`rsa`: the post's payload per value;
 * `envelope`: E1), or `e2`: an envelope route under a P-256 key agreement key.
 */
export type BenchKind = RouteMode | 'e2';

/** One measured body size in one mode. */
export interface EdgeResult {
  readonly mode: BenchKind;
  readonly label: string;
  readonly records: number;
  readonly fields: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  /** Output ÷ input size. */
  readonly sizeRatio: number;
  /** The transform, per request (ms). */
  readonly transform: Figure;
  readonly perFieldUs: number;
  readonly perInputMbMs: number;
  /**
   * What any implementation must do for the same body (ms): JSON.parse + JSON.stringify, and per
   * kind: `rsa` publicEncrypt × fields; `envelope` one publicEncrypt + AES-256-GCM × fields with a
   * random IV each; `e2` one ECDH + AES-256-GCM × fields with counter nonces.
   */
  readonly floor: Figure;
  /** transform ÷ floor: the median of the ratios of runs made side by side. */
  readonly overFloor: number;
  /** Where time goes besides encryption (ms, medians): the parts the floor does not count. */
  readonly breakdown: { readonly pathEvaluation: number; readonly scanTwice: number; readonly parse: number; readonly encryptAll: number };
}

export function edgeConfig(publicKeyPem: string, kind: BenchKind): CompiledEdgeConfig {
  const mode: RouteMode = kind === 'e2' ? 'envelope' : kind;
  const config: EdgeConfig = {
    keys: [{ id: '01', publicKeyPem }],
    encryptWith: '01',
    names: BENCH_NAMES.map((name) => ({ name, key: '01', mode })),
    unmatched: 'protect',
    routes: [
      {
        name: 'people',
        methods: ['POST'],
        path: '/api/people',
        caseSensitive: false,
        mode,
        json: BENCH_PATHS.map((path) => ({ path, key: '01', mode })),
        form: [],
      },
    ],
    limits: DEFAULT_LIMITS,
  };
  return compileEdgeConfig(config);
}

function protect(config: CompiledEdgeConfig, body: Buffer): { body: string; fields: number } {
  const outcome = protectRequest(config, { method: 'POST', uri: '/api/people', contentType: 'application/json', body });
  if (outcome.action !== 'replace') throw new Error('expected a protected body');
  return outcome;
}

/** The most records whose protected body still fits CloudFront's 1 MB. */
export function largestRecords(config: CompiledEdgeConfig): number {
  let low = 1;
  let high = 4000;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    try {
      protect(config, peopleBody(mid));
      low = mid;
    } catch (error) {
      if (!(error instanceof ResultTooLargeError)) throw error;
      high = mid - 1;
    }
  }
  return low;
}

/** The floor's encryption of `fields` values of `sample` for a kind (see {@link EdgeResult.floor}). */
function floorEncrypt(kind: BenchKind, publicKeyPem: string): (fields: number, sample: Buffer) => void {
  const key = createPublicKey(publicKeyPem);
  const rsa = (value: Buffer): Buffer => publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, value);
  // A KeyObject, as the best implementation would: a raw Buffer key is imported on every call.
  const gcm = (aesKey: KeyObject, iv: Buffer, value: Buffer): void => {
    const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
    cipher.update(value);
    cipher.final();
    cipher.getAuthTag();
  };
  if (kind === 'rsa')
    return (fields, sample) => {
      for (let f = 0; f < fields; f += 1) rsa(sample);
    };
  if (kind === 'envelope')
    return (fields, sample) => {
      const raw = randomBytes(32);
      rsa(raw);
      const aesKey = createSecretKey(raw);
      for (let f = 0; f < fields; f += 1) gcm(aesKey, randomBytes(12), sample);
    };
  const uncompressed = p256Point(createPublicKey(publicKeyPem)) as Buffer;
  return (fields, sample) => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const aesKey = createSecretKey(ecdh.computeSecret(uncompressed));
    const iv = Buffer.alloc(12);
    for (let f = 0; f < fields; f += 1) {
      iv.writeUInt32BE(f, 8);
      gcm(aesKey, iv, sample);
    }
  };
}

/** Measures the transform and its floor for each size, in one kind. */
export function benchEdge(
  publicKeyPem: string,
  mode: BenchKind,
  sizes: readonly { label: string; records: number }[],
  runs: number,
): EdgeResult[] {
  const config = edgeConfig(publicKeyPem, mode);
  const encryptFloor = floorEncrypt(mode, publicKeyPem);
  return sizes.map(({ label, records }) => {
    const body = peopleBody(records);
    const out = protect(config, body);
    // The floor: what any implementation must do, on a prepared KeyObject. Transform and floor runs
    // alternate, so both see the same machine (a 2-core box drifts between runs).
    const sample = Buffer.from(String(person(1).email));
    const text = body.toString('utf8');
    const parsed = JSON.parse(text) as unknown;
    const samples = { transform: [] as number[], encryptAll: [] as number[], parse: [] as number[], stringify: [] as number[] };
    const clock = (list: number[], run: () => unknown): void => {
      const start = performance.now();
      run();
      list.push(performance.now() - start);
    };
    for (let i = -2; i < runs; i += 1) {
      const round = { transform: [] as number[], encryptAll: [] as number[], parse: [] as number[], stringify: [] as number[] };
      clock(round.transform, () => protect(config, body));
      clock(round.encryptAll, () => encryptFloor(out.fields, sample));
      clock(round.parse, () => JSON.parse(text));
      clock(round.stringify, () => JSON.stringify(parsed));
      // The first two rounds warm up.
      if (i >= 0) for (const k of Object.keys(samples) as (keyof typeof samples)[]) samples[k].push(...round[k]);
    }
    const transform = figure(samples.transform);
    const encryptAll = figure(samples.encryptAll);
    const parse = figure(samples.parse);
    const floorSamples = samples.encryptAll.map((e, i) => e + (samples.parse[i] as number) + (samples.stringify[i] as number));
    const floor = figure(floorSamples);
    const paths = SENSITIVE_PATHS.map((path) => parseJsonPath(path) as ParsedPath);
    const pathEvaluation = time(() => {
      for (const path of paths) evaluateJsonPath(parsed, path);
    }, runs);
    const noop = (): void => undefined;
    const scanTwice = time(() => {
      for (let pass = 0; pass < 2; pass += 1) scanJson(text, { open: noop, close: noop, key: noop, string: noop, scalar: noop });
    }, runs);
    return {
      mode,
      label,
      records,
      fields: out.fields,
      inputBytes: body.length,
      outputBytes: Buffer.byteLength(out.body),
      sizeRatio: Buffer.byteLength(out.body) / body.length,
      transform,
      perFieldUs: (transform.median * 1000) / out.fields,
      perInputMbMs: transform.median / (body.length / (1024 * 1024)),
      floor,
      // Per-round ratios, so drift between rounds cancels out.
      overFloor: figure(samples.transform.map((t, i) => t / (floorSamples[i] as number))).median,
      breakdown: { pathEvaluation: pathEvaluation.median, scanTwice: scanTwice.median, parse: parse.median, encryptAll: encryptAll.median },
    };
  });
}

/** The standard sizes: 1 KB, 10 KB, 100 KB and the largest body whose output fits 1 MB. */
export function standardSizes(publicKeyPem: string, mode: BenchKind): { label: string; records: number }[] {
  return [
    { label: '1 KB', records: recordsFor(1024) },
    { label: '10 KB', records: recordsFor(10 * 1024) },
    { label: '100 KB', records: recordsFor(100 * 1024) },
    { label: 'largest', records: largestRecords(edgeConfig(publicKeyPem, mode)) },
  ];
}
