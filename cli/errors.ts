/**
 * The CLI's failures, one class per kind, each with a stable `code` and the process exit code that
 * tells it apart for scripts (see README, "Exit codes"). Commands throw these; only `main.ts` turns
 * them into the one JSON line on stderr.
 */

/** Exit codes: stable, documented, one per kind of failure. */
export const EXIT = {
  ok: 0,
  /** The operation ran and refused or failed on its input: an edge rejection, a decrypt failure. */
  refused: 1,
  /** The command line is wrong: unknown command or option, a missing or malformed value. */
  usage: 2,
  /** The config (or a key file it names) is unreadable or invalid. */
  config: 3,
  /** An AWS call failed: KMS or S3 unreachable, throttled, denied, or an unsuitable key. */
  aws: 4,
} as const;

/** Base class of every CLI failure. */
export abstract class CliError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: number;
}

/** The command line is wrong. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  readonly code = 'Usage';
  readonly exitCode = EXIT.usage;
}

/** A file the command needs (other than the config) is missing, unreadable or would be overwritten. */
export class FileError extends CliError {
  override readonly name = 'FileError';
  readonly code = 'File';
  readonly exitCode = EXIT.usage;
}

/** An AWS service call failed; the message names the operation and the service's error name only. */
export class AwsError extends CliError {
  override readonly name = 'AwsError';
  readonly exitCode = EXIT.aws;
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A key file KMS is not known to hold would reach a deployable artifact; the message names each file and the fix. */
export class KeysNotDeployableError extends CliError {
  override readonly name = 'KeysNotDeployableError';
  readonly code = 'KeysNotDeployable';
  readonly exitCode = EXIT.config;
}
