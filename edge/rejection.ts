import { EdgeError } from './errors';

/** A refusal as the client sees it. */
export interface Rejection {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** HTTP status per error code: the one place statuses are decided. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  UnsupportedMediaType: 415,
  UnsupportedCharset: 415,
  ContentTypeMismatch: 400,
  AmbiguousContentType: 400,
  AmbiguousFormSeparator: 400,
  AmbiguousPath: 400,
  SensitiveQueryParameter: 400,
  RouteNotConfigured: 403,
  InvalidBase64: 400,
  InvalidUtf8: 400,
  MalformedJson: 400,
  MalformedForm: 400,
  DuplicateKey: 400,
  TooDeep: 400,
  TooManyValues: 400,
  MarkerInjection: 400,
  SensitivePatchMove: 400,
  SensitiveNameInString: 400,
  PathEvaluationFailed: 422,
  BodyTruncated: 413,
  ResultTooLarge: 413,
  SearchableNotString: 422,
  EdgeSecretUnavailable: 503,
};

/**
 * Maps any thrown value to the client's view. EdgeErrors keep their code and message; anything
 * else is an internal failure whose message is not shown (it could quote input).
 */
export function toRejection(error: unknown): Rejection {
  if (error instanceof EdgeError) {
    return { status: STATUS_BY_CODE[error.code] ?? 500, code: error.code, message: error.message };
  }
  return { status: 500, code: 'InternalError', message: 'the edge could not protect this request' };
}
