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

/**
 * The request could be read more than one way by the origin: a JSON body labelled as a form (or the
 * reverse), several Content-Type values, a charset other than UTF-8, a `;`-separated form pair.
 */
export class AmbiguousRequestError extends EdgeError {
  constructor(
    readonly code: 'ContentTypeMismatch' | 'AmbiguousContentType' | 'UnsupportedCharset' | 'AmbiguousFormSeparator',
    message: string,
  ) {
    super(message);
  }
}

/** The path has no single reading (encoded `/`, bad escapes, `..` above the root, `;` parameters). */
export class AmbiguousPathError extends EdgeError {
  readonly code = 'AmbiguousPath';
}

/** A configured sensitive name is in the query string, which the edge cannot protect (see README). */
export class SensitiveQueryError extends EdgeError {
  readonly code = 'SensitiveQueryParameter';
}

/** The config's `unmatched` policy is `reject` and no route names this path. */
export class UnmatchedRouteError extends EdgeError {
  readonly code = 'RouteNotConfigured';
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

/** A string value is a document of its own (JSON, a GraphQL operation) that names a sensitive field. */
export class EmbeddedNameError extends EdgeError {
  readonly code = 'SensitiveNameInString';
}

/** A JSON Patch operation moves or copies a value into a protected member (its clear source is out of reach). */
export class SensitivePatchMoveError extends EdgeError {
  readonly code = 'SensitivePatchMove';
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

/**
 * The edge secret could not be unwrapped (KMS unreachable, throttled, or answering with another
 * key): a body that needs it is refused whole, nothing is forwarded. Retried on a later request.
 */
export class SecretUnavailableError extends EdgeError {
  readonly code = 'EdgeSecretUnavailable';
}

/** A searchable field holds something other than a string (deterministic markers are for strings). */
export class SearchableValueError extends EdgeError {
  readonly code = 'SearchableNotString';
}
