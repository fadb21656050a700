import type { EdgeConfig, EdgeSecretVersion, FieldRule, JsonField, Limits, Route, UnmatchedPolicy } from '../core/config';
import type { SealD1 } from '../core/format/d1';
import { createMarkerMatcher, type MarkerMatcher } from '../core/format/marker';
import { type CompiledIndex, compileIndexes, type EdgeKey, importEdgeKey, RequestSealer } from '../core/format/sealer';
import type { SecretRing } from '../core/format/secret';
import { lastMemberNames, parseJsonPath } from '../core/jsonpath';
import { parseMediaType } from '../core/media-type';
import { createNameMatcher, type NameMatcher } from '../core/names';
import { canonicalPath } from './canonical-path';
import { refuseEmbeddedNames } from './embedded';
import {
  AmbiguousPathError,
  AmbiguousRequestError,
  BodyTruncatedError,
  MalformedBodyError,
  MarkerInjectionError,
  SecretUnavailableError,
  UnmatchedRouteError,
  UnsupportedMediaTypeError,
} from './errors';
import type { ExpressionEngine } from './expression-engine';
import { type FormFieldMatcher, protectForm } from './form-transform';
import { type BodyResult, type CompiledJsonField, protectJson } from './json-transform';
import { checkQueryString } from './query-string';
import { AMBIGUOUS, createRouteMatcher, type RouteMatcher } from './route-match';

/**
 * The edge transform: config + request → protected body, or an EdgeError. Pure apart from the
 * encryption itself; imports no AWS SDK, so the CLI, the local stack and the Lambda@Edge handler
 * all run exactly this.
 */

interface CompiledRoute extends Route {
  readonly json: readonly CompiledJsonField[];
  /**
   * The names protected in a JSON body on this route, at any depth: its form fields, then the
   * config's sensitive names (an origin binding either format reads a form field from JSON too).
   */
  readonly jsonNames: NameMatcher<FieldRule>;
  /**
   * What a form body on this route protects and its query string may not carry: its form fields,
   * the member names its JSON paths end with, then the config's sensitive names (origins bind a
   * field from either body format, and query and body parameters as one set).
   */
  readonly fields: FormFieldMatcher;
}

/** A config made ready to serve: keys imported, patterns compiled. Build it once per container. */
export interface CompiledEdgeConfig {
  readonly routes: RouteMatcher<CompiledRoute>;
  /** Key id → imported public key, for every key a field may use. */
  readonly keys: ReadonlyMap<string, EdgeKey>;
  readonly markers: MarkerMatcher;
  readonly limits: Limits;
  readonly expressions: ExpressionEngine | undefined;
  /** The config's sensitive names, protected in every body on every path. */
  readonly names: NameMatcher<FieldRule>;
  readonly unmatched: UnmatchedPolicy;
  /** The edge secret version to unwrap (once per container) before sealing; absent: no proofs, no indexes. */
  readonly secret: EdgeSecretVersion | undefined;
  /** The key ids whose secret the edge needs: every key a field, name or index writes markers of. */
  readonly secretKeyIds: readonly string[];
  readonly indexes: ReadonlyMap<string, CompiledIndex>;
}

/**
 * Compiles an edge config: imports every configured public key into a KeyObject, parses every path
 * and prepares the route, name and marker matchers. Paths with filter or script expressions need
 * `expressions` (jsonpath-plus, from `expression-engine.ts`); searchable indexes need `searchable`
 * (`sealD1` from `core/format/d1.ts`).
 */
export function compileEdgeConfig(config: EdgeConfig, expressions?: ExpressionEngine, searchable?: SealD1): CompiledEdgeConfig {
  const keys = new Map(config.keys.map((k) => [k.id, importEdgeKey(k.id, k.publicKeyPem)] as const));
  const indexes = compileIndexes(config.indexes ?? [], searchable);
  for (const field of [...config.names, ...config.routes.flatMap((r) => [...r.json, ...r.form]), ...indexes.values()]) {
    if (!keys.has(field.key)) throw new RangeError(`a field names an unknown key id "${field.key}"`);
  }
  if (indexes.size > 0 && !config.secret) throw new RangeError('searchable indexes need the edge secret');
  const compileField = (field: JsonField): CompiledJsonField => {
    const parsed = parseJsonPath(field.path);
    if (typeof parsed === 'string') throw new RangeError(`bad JSONPath "${field.path}": ${parsed}`);
    if (parsed.hasExpressions && !expressions) throw new RangeError(`"${field.path}" has an expression but no expression engine was given`);
    return { ...field, parsed };
  };
  const nameEntries = config.names.map((n) => [n.name, n] as const);
  return {
    routes: createRouteMatcher(
      config.routes.map((route) => {
        const formEntries = route.form.map((f) => [f.name, f] as const);
        const json = route.json.map(compileField);
        const fields = createNameMatcher<FieldRule>([
          ...formEntries,
          ...json.flatMap((f) => lastMemberNames(f.parsed).map((name) => [name, f] as const)),
          ...nameEntries,
        ]);
        // Origins bind a field from whichever format arrives (Spring, ASP.NET, PHP, Rails, Express
        // with both parsers): a form field is protected in JSON, a JSON path's member in a form.
        return { ...route, json, jsonNames: createNameMatcher<FieldRule>([...formEntries, ...nameEntries]), fields: fields.field };
      }),
    ),
    keys,
    markers: createMarkerMatcher(config.keys.map((k) => k.id)),
    limits: config.limits,
    expressions,
    names: createNameMatcher<FieldRule>(nameEntries),
    unmatched: config.unmatched,
    secret: config.secret,
    secretKeyIds: [
      ...new Set([...config.names, ...config.routes.flatMap((r) => [...r.json, ...r.form]), ...indexes.values()].map((f) => f.key)),
    ],
    indexes,
  };
}

/** One request as the transform sees it. */
export interface ProtectInput {
  readonly method: string;
  /** The path, without the query string (CloudFront's `request.uri`), exactly as received. */
  readonly uri: string;
  /** The raw query string without `?` (CloudFront's `request.querystring`). */
  readonly querystring?: string | undefined;
  readonly contentType?: string | undefined;
  readonly contentEncoding?: string | undefined;
  readonly body: Uint8Array;
  /** CloudFront cut the body at its limit (`inputTruncated`). */
  readonly truncated?: boolean;
}

/** What to do with the request. `route` is undefined on a path no route names. */
export type ProtectOutcome =
  | {
      readonly action: 'forward';
      readonly route: string | undefined;
      readonly fields: 0;
      /** A body reached the origin uninspected, because the `unmatched` policy is `forward`. */
      readonly unprotected?: true;
    }
  | { readonly action: 'replace'; readonly route: string | undefined; readonly fields: number; readonly body: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decides how a request reaches the origin. A body is protected whole or refused with an
 * EdgeError, never half-protected: on a route's path with the route's fields and the config's
 * names, on any other path as the `unmatched` policy says. The method is never consulted (a DELETE
 * carries a body as well as a POST, and method-override headers change nothing the edge decides).
 *
 * @example
 * const outcome = protectRequest(compiled, { method: 'POST', uri: '/api/people',
 *   contentType: 'application/json', body: Buffer.from('[{"ssn":"123-45-6789"}]') });
 * // { action: 'replace', route: 'people', fields: 1, body: '[{"ssn":"#01#…#10#"}]' }
 */
export function protectRequest(config: CompiledEdgeConfig, input: ProtectInput, secret?: SecretRing): ProtectOutcome {
  const hasBody = input.body.byteLength > 0 || input.truncated === true;
  const query = input.querystring ?? '';
  const canonical = canonicalPath(input.uri);
  if (canonical.problem !== undefined) {
    // A path without a body or query string carries nothing to protect (a static file, say).
    if (hasBody || query !== '') throw new AmbiguousPathError(`refused: ${canonical.problem}`);
    return { action: 'forward', route: undefined, fields: 0 };
  }
  // A marker in the URL would be stored by an origin that keeps a path or query parameter, and
  // decrypted there for whoever reads that record: a stolen marker replayed into another record.
  if (config.markers.test(input.uri) || config.markers.test(canonical.path)) {
    throw new MarkerInjectionError('the path holds an edge-fle ciphertext marker');
  }
  const route = config.routes.match(canonical.path);
  if (route === AMBIGUOUS) {
    if (hasBody || query !== '') throw new AmbiguousPathError('refused: readings of the path name different routes');
    return { action: 'forward', route: undefined, fields: 0 };
  }
  if (query !== '') checkQueryString(query, route?.fields ?? config.names.field, config.markers);
  if (!hasBody) return { action: 'forward', route: route?.name, fields: 0 };
  if (!route && config.unmatched === 'forward') return { action: 'forward', route: undefined, fields: 0, unprotected: true };
  if (!route && config.unmatched === 'reject') {
    throw new UnmatchedRouteError('no route names this path, and the config refuses bodies on such paths');
  }
  return protectBody(config, route, input, secret);
}

function protectBody(
  config: CompiledEdgeConfig,
  route: CompiledRoute | undefined,
  input: ProtectInput,
  secret: SecretRing | undefined,
): ProtectOutcome {
  const where = route ? `route "${route.name}"` : 'this path';
  const media = parseMediaType(input.contentType);
  if (media === undefined) {
    throw new AmbiguousRequestError('AmbiguousContentType', 'the Content-Type header is not exactly one media type');
  }
  const format = media.format;
  if (format === undefined) {
    throw new UnsupportedMediaTypeError(
      `${where} accepts application/json, +json or application/x-www-form-urlencoded bodies${media.essence === '' ? ' (the request has no Content-Type)' : ''}`,
    );
  }
  if (media.charset !== undefined && media.charset !== 'utf-8' && media.charset !== 'utf8') {
    throw new AmbiguousRequestError('UnsupportedCharset', 'the edge reads bodies as UTF-8 only');
  }
  // A route protects only the formats it lists fields for (or the config's names cover): a JSON
  // body on a form-only route would otherwise reach the origin with its sensitive fields in clear.
  if (route && config.names.empty && (format === 'json' ? route.json : route.form).length === 0) {
    throw new UnsupportedMediaTypeError(
      `route "${route.name}" protects no ${format === 'json' ? 'JSON' : 'form'} fields, so it refuses such bodies`,
    );
  }
  const encoding = input.contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw new UnsupportedMediaTypeError(`${where} cannot inspect a body with Content-Encoding "${encoding}"`);
  }
  if (input.truncated) {
    throw new BodyTruncatedError('the body is larger than the 1 MB CloudFront lets the edge inspect');
  }
  let text: string;
  try {
    text = utf8.decode(input.body);
  } catch {
    throw new MalformedBodyError('InvalidUtf8', 'the body is not valid UTF-8');
  }
  // With the secret declared, every marker carries a proof: nothing is sealed without it.
  if (config.secret && !secret) throw new SecretUnavailableError('the edge secret is unavailable; retry shortly');
  const context = {
    sealer: new RequestSealer(config.keys, secret ? { keys: secret, indexes: config.indexes } : undefined),
    markers: config.markers,
    limits: config.limits,
    expressions: config.expressions,
  };
  let result: BodyResult;
  if (format === 'json') {
    result = protectJson(text, route?.json ?? [], route?.jsonNames ?? config.names, context);
  } else {
    // An origin that sniffs the body, or ignores the label, would read this form as JSON.
    if (looksLikeJson(text)) throw new AmbiguousRequestError('ContentTypeMismatch', 'the form body looks like JSON');
    result = protectForm(text, route?.fields ?? config.names.field, context, (value) =>
      refuseEmbeddedNames(value, route?.jsonNames ?? config.names),
    );
  }
  if (result.text === undefined) return { action: 'forward', route: route?.name, fields: 0 };
  return { action: 'replace', route: route?.name, fields: result.fields, body: result.text };
}

/**
 * True when a form body could be JSON to a reader that ignores the label: it starts (after
 * whitespace) with `[`, or holds a raw `{` or `"` anywhere. Not a parse: such readers are laxer
 * than `JSON.parse` (Go's decoder stops after the first value, Python takes `NaN`, Newtonsoft and
 * JSON5 take comments before the value, quotes and trailing commas, RFC 7464 readers skip U+001E).
 * A browser's form never holds a raw `{` or `"` (it percent-encodes them).
 */
function looksLikeJson(text: string): boolean {
  return text.trimStart().startsWith('[') || text.includes('{') || text.includes('"');
}
