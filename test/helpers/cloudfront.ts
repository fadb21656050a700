import type { CloudFrontRequest, CloudFrontRequestEvent } from 'aws-lambda';

/** An origin-request event shaped like the CloudFront documentation's example, with include-body. */
export function originRequestEvent(
  options: {
    method?: string;
    uri?: string;
    querystring?: string;
    body?: string;
    contentType?: string | string[];
    truncated?: boolean;
    headers?: Record<string, string>;
  } = {},
): CloudFrontRequestEvent {
  const headers: CloudFrontRequest['headers'] = {
    host: [{ key: 'Host', value: 'd111111abcdef8.cloudfront.net' }],
    'user-agent': [{ key: 'User-Agent', value: 'curl/8.5.0' }],
  };
  if (options.contentType !== undefined) {
    const values = Array.isArray(options.contentType) ? options.contentType : [options.contentType];
    headers['content-type'] = values.map((value) => ({ key: 'Content-Type', value }));
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = [{ key: name, value }];
  const request: CloudFrontRequest = {
    clientIp: '203.0.113.178',
    method: options.method ?? 'POST',
    uri: options.uri ?? '/api/people',
    querystring: options.querystring ?? '',
    headers,
  };
  if (options.body !== undefined) {
    request.body = {
      inputTruncated: options.truncated ?? false,
      action: 'read-only',
      encoding: 'base64',
      data: Buffer.from(options.body).toString('base64'),
    };
  }
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'origin-request',
            requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==',
          },
          request,
        },
      },
    ],
  };
}
