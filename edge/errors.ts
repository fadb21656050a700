/**
 * Why the edge refuses a request. Every refusal is an {@link EdgeError} with a stable `code`;
 * HTTP statuses are mapped in one place (`rejection.ts`), at the handler's edge.
 *
 * Messages name routes, configured paths, field names and limits: never a value, a body or a
 * ciphertext. Causes, where kept, are library errors about structure (never the input text).
 */
export abstract class EdgeError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // A fixed name: the bundle is minified, so class names would be mangled in logs.
    this.name = 'EdgeError';
  }
}

/** The body is not in a content type this route can protect (or is compressed). */
export class UnsupportedMediaTypeError extends EdgeError {
  readonly code = 'UnsupportedMediaType';
}

/** The body could not be read: bad base64, invalid UTF-8, malformed JSON or form encoding. */
export class MalformedBodyError extends EdgeError {
  constructor(
    readonly code: 'InvalidBase64' | 'InvalidUtf8' | 'MalformedJson' | 'MalformedForm' | 'DuplicateKey',
    message: string,
  ) {
    super(message);
  }
}

/** The body is deeper or has more values than the configured limits. */
export class BodyLimitError extends EdgeError {
  constructor(
    readonly code: 'TooDeep' | 'TooManyValues',
    message: string,
  ) {
    super(message);
  }
}

/** The body already holds a well-formed marker of a configured key: someone is replaying ciphertext. */
export class MarkerInjectionError extends EdgeError {
  readonly code = 'MarkerInjection';
}

/** CloudFront truncated the body, so the edge cannot see all of it. */
export class BodyTruncatedError extends EdgeError {
  readonly code = 'BodyTruncated';
}

/** The protected body would exceed what CloudFront accepts as a replacement body. */
export class ResultTooLargeError extends EdgeError {
  readonly code = 'ResultTooLarge';
}

/** A configured filter failed on this body (for example it reads a property of a missing value). */
export class PathEvaluationError extends EdgeError {
  readonly code = 'PathEvaluationFailed';
}
