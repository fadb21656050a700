import { createHash, generateKeyPairSync } from 'node:crypto';
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createMarkerMatcher } from '../../../core/format/marker';
import { createOriginRequestHandler } from '../../../edge/handler';
import type { CompiledEdgeConfig } from '../../../edge/transform';
import { originRequestEvent } from '../../helpers/cloudfront';
import { compiled, rsaDecrypt } from '../../helpers/keys';

function run(config: CompiledEdgeConfig, event: CloudFrontRequestEvent) {
  const lines: string[] = [];
  const handler = createOriginRequestHandler(config, { log: (line) => lines.push(line) });
  return handler(event).then((result) => ({ result, lines }));
}

const config = compiled();
const markers = createMarkerMatcher(['01']);

describe('origin-request handler', () => {
  it('replaces the body with the protected one', async () => {
    const { result } = await run(config, originRequestEvent({ body: '[{"ssn":"123-45-6789"}]', contentType: 'application/json' }));
    const request = result as CloudFrontRequest;
    expect(request.body).toMatchObject({ action: 'replace', encoding: 'text', inputTruncated: false });
    const ssn = JSON.parse(request.body!.data)[0].ssn;
    expect(rsaDecrypt(markers.find(ssn)[0]!.payload)).toBe('123-45-6789');
  });

  it('returns a generated JSON error response with the request id, never the request', async () => {
    const event = originRequestEvent({ body: 'ssn=123-45-6789', contentType: 'text/plain' });
    const { result } = await run(config, event);
    const response = result as CloudFrontResultResponse;
    expect(response.status).toBe('415');
    expect(response.statusDescription).toBe('Unsupported Media Type');
    expect(response.headers?.['content-type']).toEqual([{ key: 'Content-Type', value: 'application/json' }]);
    expect(JSON.parse(response.body!)).toEqual({
      code: 'UnsupportedMediaType',
      message: expect.stringContaining('people'),
      requestId: event.Records[0]!.cf.config.requestId,
    });
    expect(result).not.toHaveProperty('uri');
  });

  it('refuses a truncated body with 413', async () => {
    const { result } = await run(config, originRequestEvent({ body: '[{"ssn": "12', contentType: 'application/json', truncated: true }));
    expect(result).toMatchObject({ status: '413' });
    expect(JSON.parse((result as CloudFrontResultResponse).body!).code).toBe('BodyTruncated');
  });

  it('refuses bad base64 with 400', async () => {
    const event = originRequestEvent({ body: 'x', contentType: 'application/json' });
    event.Records[0]!.cf.request.body!.data = '!!!not base64';
    const { result } = await run(config, event);
    expect(result).toMatchObject({ status: '400' });
    expect(JSON.parse((result as CloudFrontResultResponse).body!).code).toBe('InvalidBase64');
  });

  it('passes a request without a body untouched', async () => {
    const event = originRequestEvent({ method: 'GET' });
    const before = structuredClone(event.Records[0]!.cf.request);
    const { result } = await run(config, event);
    expect(result).toEqual(before);
  });

  it('passes a path no route names untouched only under the "forward" policy, with a warning', async () => {
    const event = originRequestEvent({ uri: '/health', body: 'not json', contentType: 'application/json' });
    const before = structuredClone(event.Records[0]!.cf.request);
    const { result, lines } = await run(compiled({ unmatched: 'forward' }), event);
    expect(result).toEqual(before);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'WARN', event: 'config' }),
      expect.objectContaining({ level: 'WARN', outcome: 'forwarded-unprotected' }),
    ]);
    const refused = (await run(config, originRequestEvent({ uri: '/health', body: 'not json', contentType: 'application/json' }))).result;
    expect(refused).toMatchObject({ status: '400' });
  });

  it('sets x-amz-content-sha256 to the hash of the new body when the request carries one', async () => {
    const body = '[{"ssn":"123-45-6789"}]';
    const original = createHash('sha256').update(body).digest('hex');
    const event = originRequestEvent({ body, contentType: 'application/json', headers: { 'x-amz-content-sha256': original } });
    const request = (await run(config, event)).result as CloudFrontRequest;
    const expected = createHash('sha256').update(request.body!.data).digest('hex');
    expect(request.headers['x-amz-content-sha256']).toEqual([{ key: 'x-amz-content-sha256', value: expected }]);
    expect(expected).not.toBe(original);
  });

  it('leaves x-amz-content-sha256 absent when the request had none', async () => {
    const request = (await run(config, originRequestEvent({ body: '[{"ssn":"1"}]', contentType: 'application/json' })))
      .result as CloudFrontRequest;
    expect(request.headers['x-amz-content-sha256']).toBeUndefined();
  });

  it('logs one structured line per request with route, fields, sizes, duration, outcome and no value', async () => {
    const secret = '123-45-6789';
    const body = `[{"ssn":"${secret}"}]`;
    const protectedRun = await run(config, originRequestEvent({ body, contentType: 'application/json' }));
    const rejectedRun = await run(config, originRequestEvent({ body: `[{"ssn":"${secret}"`, contentType: 'application/json' }));
    expect(protectedRun.lines).toHaveLength(1);
    expect(rejectedRun.lines).toHaveLength(1);
    const ok = JSON.parse(protectedRun.lines[0]!);
    expect(ok).toMatchObject({
      service: 'edge-fle',
      outcome: 'protected',
      route: 'people',
      fields: 1,
      bytesIn: Buffer.byteLength(body),
      method: 'POST',
    });
    expect(ok.bytesOut).toBeGreaterThan(ok.bytesIn);
    expect(typeof ok.durationMs).toBe('number');
    const rejected = JSON.parse(rejectedRun.lines[0]!);
    expect(rejected).toMatchObject({ outcome: 'rejected', status: 400, code: 'MalformedJson', level: 'WARN' });
    for (const line of [...protectedRun.lines, ...rejectedRun.lines]) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain('#01#');
    }
  });

  it('makes each log line a CloudWatch Embedded Metric Format document whose dimensions are never request values', async () => {
    const secret = '123-45-6789';
    const protectedRun = await run(config, originRequestEvent({ body: `[{"ssn":"${secret}"}]`, contentType: 'application/json' }));
    const rejectedRun = await run(config, originRequestEvent({ body: `[{"ssn":"${secret}"`, contentType: 'application/json' }));
    const ok = JSON.parse(protectedRun.lines[0]!);
    expect(ok._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'EdgeFle',
        Dimensions: [['Outcome']],
        Metrics: expect.arrayContaining([
          { Name: 'Requests', Unit: 'Count' },
          { Name: 'FieldsProtected', Unit: 'Count' },
          { Name: 'Duration', Unit: 'Milliseconds' },
        ]),
      },
    ]);
    expect(typeof ok._aws.Timestamp).toBe('number');
    expect(ok).toMatchObject({ Outcome: 'protected', Requests: 1, FieldsProtected: 1, BytesIn: ok.bytesIn, BytesOut: ok.bytesOut });
    const rejected = JSON.parse(rejectedRun.lines[0]!);
    expect(rejected._aws.CloudWatchMetrics[1]).toEqual({
      Namespace: 'EdgeFle',
      Dimensions: [['Code'], []],
      Metrics: [{ Name: 'Rejections', Unit: 'Count' }],
    });
    expect(rejected).toMatchObject({ Outcome: 'rejected', Code: 'MalformedJson', Rejections: 1 });
    // Every dimension value is one the edge chose: an outcome, a code, a route name, a policy.
    for (const line of [ok, rejected]) {
      for (const directive of line._aws.CloudWatchMetrics as { Dimensions: string[][] }[]) {
        for (const name of directive.Dimensions.flat()) {
          expect(['protected', 'forwarded', 'forwarded-unprotected', 'rejected', 'MalformedJson', 'people']).toContain(line[name]);
        }
      }
    }
  });

  it('counts bodies forwarded unprotected by route and policy', async () => {
    const forwarding = compiled({ unmatched: 'forward' });
    const { lines } = await run(forwarding, originRequestEvent({ uri: '/elsewhere', body: '{"a":1}', contentType: 'application/json' }));
    const line = JSON.parse(lines.at(-1)!);
    expect(line).toMatchObject({ Outcome: 'forwarded-unprotected', Route: '(none)', Policy: 'forward', ForwardedUnprotected: 1 });
    expect(line._aws.CloudWatchMetrics[1].Dimensions).toEqual([['Route', 'Policy'], []]);
  });

  it('fails closed with a 500 response when something unexpected breaks', async () => {
    // A key object publicEncrypt cannot use (EC): encryption throws inside the transform.
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const broken: CompiledEdgeConfig = {
      ...config,
      keys: new Map([['01', { ...config.keys.get('01')!, key: ec }]]),
    };
    const { result, lines } = await run(broken, originRequestEvent({ body: '[{"ssn":"123-45-6789"}]', contentType: 'application/json' }));
    expect(result).toMatchObject({ status: '500' });
    expect(JSON.parse((result as CloudFrontResultResponse).body!)).toMatchObject({ code: 'InternalError' });
    expect((result as CloudFrontResultResponse).body).not.toContain('123-45-6789');
    expect(lines[0]).not.toContain('123-45-6789');
  });
});
