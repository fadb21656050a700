/**
 * CloudFront's limit on a body a Lambda@Edge function replaces (and on the body it exposes, which
 * it truncates there and flags `inputTruncated`): 1 MB.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
