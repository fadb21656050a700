import { createHash } from 'node:crypto';
import type {
  CloudFrontHeaders,
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontRequestResult,
  CloudFrontResultResponse,
} from 'aws-lambda';
import type { SecretRing } from '../core/format/secret';
import { AmbiguousRequestError, MalformedBodyError, SecretUnavailableError } from './errors';
import { emf, type RequestOutcome } from './metrics';
import { type Rejection, toRejection } from './rejection';
import { type CompiledEdgeConfig, type ProtectOutcome, protectRequest } from './transform';

/** Receives the one structured log line written per request. */
export type LogSink = (line: string) => void;

/** Options for {@link createOriginRequestHandler}; defaults suit Lambda@Edge. */
export interface HandlerOptions {
  /** Where the per-request log line goes (default: `console.log`, i.e. CloudWatch Logs). */
  readonly log?: LogSink;
  /** Milliseconds clock, injectable for tests. */
  readonly now?: () => number;
  /** Wall clock for the metrics' timestamp (ms since the epoch), injectable for tests. */
  readonly wallClock?: () => number;
  /**
   * The edge secret's keys per key id (`secretRing` over `createSecretSource`), when the config declares the secret: awaited
   * before any body is sealed; a failure refuses the request with 503 `EdgeSecretUnavailable`.
   */
  readonly secret?: () => Promise<SecretRing>;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes CloudFront's body data; refuses anything that is not canonical padded base64. */
export function decodeBody(data: string, encoding: string): Buffer {
  if (encoding === 'text') return Buffer.from(data, 'utf8');
  if (data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new MalformedBodyError('InvalidBase64', 'the body is not valid base64');
  }
  return Buffer.from(data, 'base64');
}

/**
 * The one value of a header the edge reads. Two values are two readings (an origin may take the
 * first, the last or join them), so a request carrying several is refused.
 */
function header(headers: CloudFrontHeaders, name: string): string | undefined {
  const values = headers[name];
  if (values && values.length > 1) {
    throw new AmbiguousRequestError('AmbiguousContentType', `the request has ${values.length} ${name} headers`);
  }
  return values?.[0]?.value;
}

/**
 * The Lambda@Edge origin-request handler for a compiled config. It only translates: event in,
 * {@link protectRequest}, then the request with `body.action = "replace"`, the request untouched,
 * or a generated JSON error response. Never forwards a body it could not fully protect.
 */
export function createOriginRequestHandler(
  config: CompiledEdgeConfig,
  options: HandlerOptions = {},
): (event: CloudFrontRequestEvent) => Promise<CloudFrontRequestResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => performance.now());
  const wallClock = options.wallClock ?? Date.now;
  if (config.unmatched === 'forward') {
    // Once per container: the operator chose to let bodies on unnamed paths through unprotected.
    log(
      JSON.stringify({
        service: 'edge-fle',
        level: 'WARN',
        event: 'config',
        message: 'unmatched policy is "forward": bodies on paths no route names are not protected',
      }),
    );
  }
  return async (event) => {
    const started = now();
    const cf = event.Records[0]?.cf;
    const requestId = cf?.config.requestId ?? '';
    const request = cf?.request;
    const body = request?.body;
    let bytesIn = 0;
    const finish = (entry: Omit<RequestOutcome, 'bytesIn' | 'durationMs'> & Record<string, unknown>): void => {
      const durationMs = Math.round((now() - started) * 1000) / 1000;
      // One line: the log record and, in Embedded Metric Format, the request's metrics.
      const metrics = emf({ ...entry, bytesIn, durationMs }, wallClock());
      log(JSON.stringify({ service: 'edge-fle', requestId, method: request?.method, ...entry, bytesIn, durationMs, ...metrics }));
    };
    try {
      if (!request) throw new Error('not a CloudFront origin-request event');
      const bytes = body?.data ? decodeBody(body.data, body.encoding) : Buffer.alloc(0);
      bytesIn = bytes.byteLength;
      const secret =
        config.secret && (bytes.byteLength > 0 || body?.inputTruncated === true) ? await secretKeys(options.secret) : undefined;
      const outcome: ProtectOutcome = protectRequest(
        config,
        {
          method: request.method,
          uri: request.uri,
          querystring: request.querystring,
          contentType: header(request.headers, 'content-type'),
          contentEncoding: header(request.headers, 'content-encoding'),
          body: bytes,
          truncated: body?.inputTruncated === true,
        },
        secret,
      );
      if (outcome.action === 'forward' || !body) {
        const unprotected = outcome.action === 'forward' && outcome.unprotected === true;
        finish({
          level: unprotected ? 'WARN' : 'INFO',
          outcome: unprotected ? 'forwarded-unprotected' : 'forwarded',
          route: outcome.route ?? null,
          fields: 0,
          ...(unprotected ? { policy: config.unmatched } : {}),
        });
        return request;
      }
      replaceBody(request, outcome.body);
      finish({
        level: 'INFO',
        outcome: 'protected',
        route: outcome.route ?? null,
        fields: outcome.fields,
        bytesOut: Buffer.byteLength(outcome.body, 'utf8'),
      });
      return request;
    } catch (error) {
      const rejection = toRejection(error);
      finish({
        level: rejection.status >= 500 ? 'ERROR' : 'WARN',
        outcome: 'rejected',
        route: null,
        fields: 0,
        status: rejection.status,
        code: rejection.code,
        // The only error text logged is our own (EdgeError messages carry no values).
        ...(rejection.status >= 500 && error instanceof Error ? { errorName: error.name } : {}),
      });
      return errorResponse(rejection, requestId);
    }
  };
}

/** The secret's keys, or the 503 refusal (its cause names the failure, never a value). */
async function secretKeys(source: (() => Promise<SecretRing>) | undefined): Promise<SecretRing> {
  try {
    if (!source) throw new Error('no edge secret source was given to the handler');
    return await source();
  } catch (error) {
    throw new SecretUnavailableError('the edge secret is unavailable (KMS); nothing was forwarded, retry shortly', { cause: error });
  }
}

function replaceBody(request: CloudFrontRequest, data: string): void {
  const body = request.body;
  if (!body) return;
  body.action = 'replace';
  body.encoding = 'text';
  body.data = data;
  // CloudFront origin access control signs requests to a Lambda function URL with the payload hash
  // the viewer sent; it must describe the body the origin now receives.
  if (request.headers['x-amz-content-sha256']) {
    const hash = createHash('sha256').update(data, 'utf8').digest('hex');
    request.headers['x-amz-content-sha256'] = [{ key: 'x-amz-content-sha256', value: hash }];
  }
}

/** A generated response carrying `{code, message, requestId}`. */
export function errorResponse(rejection: Rejection, requestId: string): CloudFrontResultResponse {
  return {
    status: String(rejection.status),
    statusDescription: STATUS_TEXT[rejection.status] ?? 'Error',
    headers: {
      'content-type': [{ key: 'Content-Type', value: 'application/json' }],
      'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
    },
    body: JSON.stringify({ code: rejection.code, message: rejection.message, requestId }),
  };
}
