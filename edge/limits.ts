/**
 * CloudFront's limit on the body it exposes to a Lambda@Edge function (it truncates there and flags
 * `inputTruncated`): 1 MB, read as 1 MiB, the larger reading, so the local stand-in never hides a
 * truncation CloudFront would make.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * CloudFront's limit on a body the function replaces: AWS documents "1 MB" for a replaced text body,
 * so it is read as 1,000,000 bytes, the smaller reading. A body between 1,000,000 and 1,048,576 bytes
 * could otherwise reach the origin cut in the middle.
 */
export const MAX_REPLACED_BODY_BYTES = 1_000_000;
