import type { EdgeConfig, FormField, JsonField, Limits, Route } from '../core/config';
import { createMarkerMatcher, type MarkerMatcher } from '../core/marker';
import { importEdgeKey, RequestSealer, type EdgeKey } from '../core/sealer';
import { BodyTruncatedError, MalformedBodyError, UnsupportedMediaTypeError } from './errors';
import { protectForm } from './form-transform';
import { parseJsonPath } from '../core/jsonpath';
import type { ExpressionEngine } from './expression-engine';
import { protectJson, type BodyResult, type CompiledJsonField } from './json-transform';
import { bodyFormatOf } from '../core/media-type';
import { createRouteMatcher, type RouteMatcher } from './route-match';

/**
 * The edge transform: config + request → protected body, or an EdgeError. Pure apart from the
 * encryption itself; imports no AWS SDK, so the CLI, the local stack and the Lambda@Edge handler
 * all run exactly this.
 */

interface CompiledRoute extends Route {
  readonly json: readonly CompiledJsonField[];
  /** Decoded field name → its rule (the first entry for a name wins). */
  readonly formFields: ReadonlyMap<string, FormField>;
}

/** A config made ready to serve: keys imported, patterns compiled. Build it once per container. */
export interface CompiledEdgeConfig {
  readonly routes: RouteMatcher<CompiledRoute>;
  /** Key id → imported public key, for every key a field may use. */
  readonly keys: ReadonlyMap<string, EdgeKey>;
  readonly markers: MarkerMatcher;
  readonly limits: Limits;
  readonly expressions: ExpressionEngine | undefined;
}

/**
 * Compiles an edge config: imports every configured public key into a KeyObject, parses every path
 * and prepares the route matchers and the marker matcher for every configured key id. Paths with
 * filter or script expressions need `expressions` (jsonpath-plus, from `expression-engine.ts`).
 */
export function compileEdgeConfig(config: EdgeConfig, expressions?: ExpressionEngine): CompiledEdgeConfig {
  const keys = new Map(config.keys.map((k) => [k.id, importEdgeKey(k.id, k.publicKeyPem)] as const));
  for (const route of config.routes) {
    for (const field of [...route.json, ...route.form]) {
      if (!keys.has(field.key)) throw new RangeError(`route "${route.name}" names an unknown key id "${field.key}"`);
    }
  }
  const compileField = (field: JsonField): CompiledJsonField => {
    const parsed = parseJsonPath(field.path);
    if (typeof parsed === 'string') throw new RangeError(`bad JSONPath "${field.path}": ${parsed}`);
    if (parsed.hasExpressions && !expressions) throw new RangeError(`"${field.path}" has an expression but no expression engine was given`);
    return { ...field, parsed };
  };
  return {
    routes: createRouteMatcher(
      config.routes.map((route) => ({
        ...route,
        json: route.json.map(compileField),
        formFields: new Map([...route.form].reverse().map((f) => [f.name, f] as const)),
      })),
    ),
    keys,
    markers: createMarkerMatcher(config.keys.map((k) => k.id)),
    limits: config.limits,
    expressions,
  };
}

/** One request as the transform sees it. */
export interface ProtectInput {
  readonly method: string;
  /** The path, without the query string (CloudFront's `request.uri`). */
  readonly uri: string;
  readonly contentType?: string | undefined;
  readonly contentEncoding?: string | undefined;
  readonly body: Uint8Array;
  /** CloudFront cut the body at its limit (`inputTruncated`). */
  readonly truncated?: boolean;
}

/** What to do with the request. */
export type ProtectOutcome =
  | { readonly action: 'forward'; readonly route: string | undefined; readonly fields: 0 }
  | { readonly action: 'replace'; readonly route: string; readonly fields: number; readonly body: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decides how a request reaches the origin. Unmatched routes and empty bodies are forwarded as
 * they are; a matched body is protected whole or refused with an EdgeError: never half-protected.
 *
 * @example
 * const outcome = protectRequest(compiled, { method: 'POST', uri: '/api/people',
 *   contentType: 'application/json', body: Buffer.from('[{"ssn":"123-45-6789"}]') });
 * // { action: 'replace', route: 'people', fields: 1, body: '[{"ssn":"#01#…#10#"}]' }
 */
export function protectRequest(config: CompiledEdgeConfig, input: ProtectInput): ProtectOutcome {
  const route = config.routes.match(input.method, input.uri);
  if (!route) return { action: 'forward', route: undefined, fields: 0 };
  if (input.body.byteLength === 0 && !input.truncated) return { action: 'forward', route: route.name, fields: 0 };

  const format = bodyFormatOf(input.contentType);
  if (format === undefined) {
    throw new UnsupportedMediaTypeError(
      `route "${route.name}" accepts application/json, +json or application/x-www-form-urlencoded bodies`,
    );
  }
  // A route protects only the formats it lists fields for: a JSON body on a form-only route would
  // otherwise reach the origin with its sensitive fields in clear.
  if ((format === 'json' ? route.json : route.form).length === 0) {
    throw new UnsupportedMediaTypeError(`route "${route.name}" protects no ${format === 'json' ? 'JSON' : 'form'} fields, so it refuses such bodies`);
  }
  const encoding = input.contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw new UnsupportedMediaTypeError(`route "${route.name}" cannot inspect a body with Content-Encoding "${encoding}"`);
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
  const context = { sealer: new RequestSealer(config.keys), markers: config.markers, limits: config.limits, expressions: config.expressions };
  const result: BodyResult =
    format === 'json' ? protectJson(text, route.json, context) : protectForm(text, route.formFields, context);
  if (result.text === undefined) return { action: 'forward', route: route.name, fields: 0 };
  return { action: 'replace', route: route.name, fields: result.fields, body: result.text };
}
