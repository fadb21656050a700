/**
 * Why a decrypt call failed. Decrypt is all or nothing: any failure is one {@link DecryptError} and
 * no output at all. `name` is the stable code (so a Lambda caller sees it in `errorType`), and the
 * message starts with it. Messages and causes never hold plaintext or ciphertext.
 */
export abstract class DecryptError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** Sets `name` and the message prefix from the subclass's code (call at the end of a constructor). */
  protected stamp(): void {
    this.name = this.code;
    this.message = `${this.code}: ${this.message}`;
  }
}

function define<C extends string>(code: C) {
  return class extends DecryptError {
    readonly code: C = code;
    constructor(message: string, options?: { cause?: unknown }) {
      super(message, options);
      this.stamp();
    }
  };
}

/** A marker names a key this decryptor does not hold (and the caller did not ask to leave such markers). */
export class UnknownKeyError extends define('UnknownKey') {}
/** A payload is not a ciphertext this key can open (wrong key, damaged, or an unknown payload kind). */
export class InvalidCiphertextError extends define('InvalidCiphertext') {}
/** KMS refused: the caller may not use the key (key policy or IAM). */
export class AccessDeniedError extends define('AccessDenied') {}
/** KMS kept throttling after the SDK's retries (the account's shared RSA quota). */
export class ThrottledError extends define('Throttled') {}
/** KMS failed (5xx, the key disabled, pending deletion or unavailable, or the network). */
export class KmsUnavailableError extends define('KmsUnavailable') {}
/** KMS did not answer within the per-call timeout. */
export class KmsTimeoutError extends define('KmsTimeout') {}
/** The text is not the container its content type says, or a marker sits where it cannot be replaced safely. */
export class InvalidContainerError extends define('InvalidContainer') {}
/** The request or the decryptor's own configuration is wrong (bad event, bad FLE_KEYS). */
export class InvalidRequestError extends define('InvalidRequest') {}
/** An envelope sits somewhere other than where it was made: a ciphertext moved to another field. */
export class LocationMismatchError extends define('LocationMismatch') {}
/** The input is larger than the decryptor accepts (`maxInputBytes`). */
export class InputTooLargeError extends define('InputTooLarge') {}
/** The input holds more markers than the decryptor accepts (`maxMarkers`). */
export class TooManyMarkersError extends define('TooManyMarkers') {}
