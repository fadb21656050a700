import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda';
import { MAX_BODY_BYTES, MAX_REPLACED_BODY_BYTES } from '../edge/limits';
import { InvocationError, type LambdaRuntime } from './lambda-runtime';

/**
 * The CloudFront stand-in: what CloudFront does around an origin-request trigger with include-body,
 * so the real edge bundle can be exercised on one machine.
 */

/** Headers a Lambda@Edge origin-request function may not change (CloudFront answers 502). */
const READ_ONLY = [
  'accept-encoding',
  'content-length',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'transfer-encoding',
  'via',
];
/** Headers it may not add or change at all. */
const DISALLOWED = [
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'trailer',
  'upgrade',
  'x-forwarded-proto',
  'x-real-ip',
];
const DISALLOWED_PREFIXES = ['x-accel-', 'x-amz-cf-', 'x-edge-'];
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'expect']);

/** A request as it reached the stand-in. */
export interface ViewerRequest {
  readonly method: string;
  /** Path and query string. */
  readonly url: string;
  /** Raw header pairs, as sent. */
  readonly rawHeaders: readonly string[];
  readonly clientIp: string;
  readonly body: Buffer;
}

/**
 * Builds the origin-request event CloudFront gives the function: a fresh request id, lower-cased
 * headers as `[{key, value}]`, the body base64-encoded and cut at 1 MB with `inputTruncated`.
 */
export function originRequestEvent(viewer: ViewerRequest, origin: URL): CloudFrontRequestEvent {
  const [uri = '/', querystring = ''] = splitUrl(viewer.url);
  const headers: CloudFrontHeaders = {};
  for (let i = 0; i + 1 < viewer.rawHeaders.length; i += 2) {
    const key = viewer.rawHeaders[i] as string;
    const name = key.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    const values = headers[name] ?? [];
    values.push({ key, value: viewer.rawHeaders[i + 1] as string });
    headers[name] = values;
  }
  // The origin request policy forwards everything but Host, which names the origin.
  headers.host = [{ key: 'Host', value: origin.host }];
  headers['x-forwarded-for'] = [{ key: 'X-Forwarded-For', value: viewer.clientIp }];
  headers.via = [{ key: 'Via', value: '2.0 local.cloudfront.net (CloudFront stand-in)' }];
  const truncated = viewer.body.length > MAX_BODY_BYTES;
  const request: CloudFrontRequest = {
    clientIp: viewer.clientIp,
    method: viewer.method,
    uri,
    querystring,
    headers,
    origin: {
      custom: {
        domainName: origin.hostname,
        port: Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
        protocol: origin.protocol === 'https:' ? 'https' : 'http',
        path: '',
        sslProtocols: ['TLSv1.2'],
        readTimeout: 30,
        keepaliveTimeout: 5,
        customHeaders: {},
      },
    },
  };
  if (viewer.method !== 'GET' && viewer.method !== 'HEAD') {
    request.body = {
      inputTruncated: truncated,
      action: 'read-only',
      encoding: 'base64',
      data: viewer.body.subarray(0, MAX_BODY_BYTES).toString('base64'),
    };
  }
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'local.cloudfront.net',
            distributionId: 'ELOCALSTANDIN',
            eventType: 'origin-request',
            requestId: randomBytes(42).toString('base64url').slice(0, 56),
          },
          request,
        },
      },
    ],
  };
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

/** What CloudFront does next with the function's answer. */
export type Verdict =
  | { readonly kind: 'forward'; readonly request: CloudFrontRequest; readonly body: Buffer }
  | { readonly kind: 'respond'; readonly status: number; readonly headers: Record<string, string>; readonly body: Buffer }
  | { readonly kind: 'invalid'; readonly reason: string };

function flatten(headers: CloudFrontHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(headers ?? {})) {
    if (values && values.length > 0) out[name] = values.map((v) => v.value).join(name === 'cookie' ? '; ' : ', ');
  }
  return out;
}

function headerProblem(before: CloudFrontHeaders, after: CloudFrontHeaders | undefined): string | undefined {
  const a = flatten(before);
  const b = flatten(after);
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[name] === b[name]) continue;
    if (READ_ONLY.includes(name)) return `the function changed the read-only header ${name}`;
    if (DISALLOWED.includes(name) || DISALLOWED_PREFIXES.some((p) => name.startsWith(p)))
      return `the function set the disallowed header ${name}`;
  }
  return undefined;
}

/**
 * Validates the function's answer as CloudFront does: a generated response needs a valid status
 * and at most 1 MB of body; a returned request may replace the body with at most 1 MB and may not
 * touch read-only or disallowed headers. The original (untruncated) body is forwarded unless the
 * function replaced it.
 */
export function judgeResult(event: CloudFrontRequestEvent, result: unknown, originalBody: Buffer): Verdict {
  const before = event.Records[0]?.cf.request as CloudFrontRequest;
  if (typeof result !== 'object' || result === null) return { kind: 'invalid', reason: 'the function returned no request or response' };
  if ('status' in result) {
    const response = result as CloudFrontResultResponse;
    const status = Number(response.status);
    if (!/^\d{3}$/.test(String(response.status)) || status < 200 || status > 599)
      return { kind: 'invalid', reason: `invalid status ${String(response.status)}` };
    const body = Buffer.from(response.body ?? '', response.bodyEncoding === 'base64' ? 'base64' : 'utf8');
    if (body.length > MAX_BODY_BYTES) return { kind: 'invalid', reason: 'the generated response body is over 1 MB' };
    const problem = headerProblem({}, response.headers);
    if (problem) return { kind: 'invalid', reason: problem };
    return { kind: 'respond', status, headers: flatten(response.headers), body };
  }
  const after = result as CloudFrontRequest;
  if (typeof after.uri !== 'string' || typeof after.method !== 'string')
    return { kind: 'invalid', reason: 'the returned request has no uri or method' };
  const problem = headerProblem(before.headers, after.headers);
  if (problem) return { kind: 'invalid', reason: problem };
  if (after.body?.action === 'replace') {
    const body = Buffer.from(after.body.data ?? '', after.body.encoding === 'base64' ? 'base64' : 'utf8');
    if (body.length > MAX_REPLACED_BODY_BYTES) return { kind: 'invalid', reason: 'the replaced body is over 1 MB (1,000,000 bytes)' };
    return { kind: 'forward', request: after, body };
  }
  return { kind: 'forward', request: after, body: originalBody };
}

/** Sends a request on to the origin and pipes the answer back to the viewer. */
export function forwardToOrigin(origin: URL, request: CloudFrontRequest, body: Buffer, viewer: ServerResponse): Promise<void> {
  const headers = flatten(request.headers);
  delete headers['content-length'];
  headers['content-length'] = String(body.length);
  // The path goes to the configured origin exactly as the function left it: never resolved
  // against a base URL (`//host/x` would name another host, `/a/../b` would be normalised).
  const path = request.uri + (request.querystring ? `?${request.querystring}` : '');
  return new Promise((resolve) => {
    const target = { protocol: origin.protocol, hostname: origin.hostname, port: origin.port, path, method: request.method, headers };
    const upstream = httpRequest(target, (answer) => {
      const passed: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) passed[name] = value;
      viewer.writeHead(answer.statusCode ?? 502, passed);
      answer.pipe(viewer);
      answer.on('end', resolve);
    });
    upstream.on('error', () => {
      sendError(viewer, 502, 'OriginUnreachable', 'the stand-in could not reach the origin');
      resolve();
    });
    upstream.end(body);
  });
}

/** A CloudFront-style error page, as JSON. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ code, message, from: 'cloudfront-stand-in' });
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-cache': status === 502 ? 'LambdaValidationError from cloudfront' : 'Error from cloudfront',
  });
  res.end(body);
}

/** Handles one viewer request: event, function, verdict, origin. */
export async function handleViewer(req: IncomingMessage, res: ServerResponse, runtime: LambdaRuntime, origin: URL): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if ((req.method === 'GET' || req.method === 'HEAD') && body.length > 0) {
    // CloudFront refuses a GET or HEAD carrying a body (403) before any function runs.
    sendError(res, 403, 'BodyNotAllowed', 'CloudFront does not accept a body on GET or HEAD requests');
    return;
  }
  const event = originRequestEvent(
    {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      rawHeaders: req.rawHeaders,
      clientIp: req.socket.remoteAddress ?? '127.0.0.1',
      body,
    },
    origin,
  );
  let result: unknown;
  try {
    result = await runtime.invoke(event);
  } catch (error) {
    // A thrown error or a run past the timeout: CloudFront answers 503.
    const kind = error instanceof InvocationError ? error.kind : 'FunctionError';
    sendError(
      res,
      503,
      kind === 'Timeout' ? 'LambdaTimeout' : 'LambdaExecutionError',
      kind === 'Timeout' ? 'the function timed out' : 'the function threw an error',
    );
    return;
  }
  const verdict = judgeResult(event, result, body);
  if (verdict.kind === 'invalid') {
    sendError(res, 502, 'LambdaValidationError', verdict.reason);
    return;
  }
  if (verdict.kind === 'respond') {
    res.writeHead(verdict.status, { ...verdict.headers, 'content-length': String(verdict.body.length) });
    res.end(verdict.body);
    return;
  }
  await forwardToOrigin(origin, verdict.request, verdict.body, res);
}
