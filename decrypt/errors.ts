/**
 * Why a decrypt call failed. Decrypt is all or nothing: any failure is one {@link DecryptError} and
 * no output at all. `name` is the stable code (so a Lambda caller sees it in `errorType`), and the
 * message starts with it. Messages and causes never hold plaintext or ciphertext.
 */
export abstract class DecryptError extends Error {
  abstract readonly code: string;
  /** Sets `name` to the code and starts the message with it. */
  protected constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = code;
  }
}

/** A marker names a key this decryptor does not hold (and the caller did not ask to leave such markers). */
export class UnknownKeyError extends DecryptError {
  readonly code = 'UnknownKey' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('UnknownKey', message, options);
  }
}

/** A payload is not a ciphertext this key can open (wrong key, damaged, or an unknown payload kind). */
export class InvalidCiphertextError extends DecryptError {
  readonly code = 'InvalidCiphertext' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidCiphertext', message, options);
  }
}

/** KMS refused: the caller may not use the key (key policy or IAM). */
export class AccessDeniedError extends DecryptError {
  readonly code = 'AccessDenied' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('AccessDenied', message, options);
  }
}

/** KMS kept throttling after the SDK's retries (the account's shared RSA quota). */
export class ThrottledError extends DecryptError {
  readonly code = 'Throttled' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('Throttled', message, options);
  }
}

/** KMS failed (5xx, the key disabled, pending deletion or unavailable, or the network). */
export class KmsUnavailableError extends DecryptError {
  readonly code = 'KmsUnavailable' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('KmsUnavailable', message, options);
  }
}

/** KMS did not answer within the per-call timeout. */
export class KmsTimeoutError extends DecryptError {
  readonly code = 'KmsTimeout' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('KmsTimeout', message, options);
  }
}

/** The text is not the container its content type says, or a marker sits where it cannot be replaced safely. */
export class InvalidContainerError extends DecryptError {
  readonly code = 'InvalidContainer' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidContainer', message, options);
  }
}

/** The request or the decryptor's own configuration is wrong (bad event, bad FLE_KEYS). */
export class InvalidRequestError extends DecryptError {
  readonly code = 'InvalidRequest' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidRequest', message, options);
  }
}

/** An envelope sits somewhere other than where it was made: a ciphertext moved to another field. */
export class LocationMismatchError extends DecryptError {
  readonly code = 'LocationMismatch' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('LocationMismatch', message, options);
  }
}

/** The input is larger than the decryptor accepts (`maxInputBytes`). */
export class InputTooLargeError extends DecryptError {
  readonly code = 'InputTooLarge' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('InputTooLarge', message, options);
  }
}

/** The input holds more markers than the decryptor accepts (`maxMarkers`). */
export class TooManyMarkersError extends DecryptError {
  readonly code = 'TooManyMarkers' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('TooManyMarkers', message, options);
  }
}

/**
 * A marker carries no proof that the edge made it, and the config declares the edge secret: it may
 * have been minted with the public key alone. Legacy markers open only with `acceptUnprovenMarkers`.
 */
export class UnprovenMarkerError extends DecryptError {
  readonly code = 'UnprovenMarker' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('UnprovenMarker', message, options);
  }
}

/** The edge secret could not be unwrapped (KMS failed or answered with another key). */
export class SecretUnavailableError extends DecryptError {
  readonly code = 'SecretUnavailable' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('SecretUnavailable', message, options);
  }
}
