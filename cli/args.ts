import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FileError, UsageError } from './errors';
import type { CliIo } from './io';

/** An option of a command, as `node:util` parseArgs takes it. */
export type OptionSpec = Readonly<Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>;

/**
 * One CLI command: its name, its help text and what it does. Each command lives in its own module
 * under `cli/commands/` and is listed once in `cli/main.ts`.
 */
export interface Command {
  readonly name: string;
  /** One line for `fle --help`. */
  readonly summary: string;
  /** The synopsis and option list for `fle <command> --help`. */
  readonly usage: string;
  /** A command line that works from a fresh clone. */
  readonly example: string;
  readonly run: (args: readonly string[], io: CliIo) => number | Promise<number>;
}

/**
 * Parses a command's options strictly: an unknown option, a missing value or a positional argument
 * is a {@link UsageError}.
 */
export function options<T extends OptionSpec>(args: readonly string[], spec: T) {
  try {
    return parseArgs({ args: [...args], options: spec, allowPositionals: false, strict: true }).values;
  } catch (error) {
    // parseArgs reports unknown or malformed options as TypeErrors with a code.
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** The value of a required option, or a {@link UsageError} naming the flag. */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

/** A TCP port option (0 picks a free port). */
export function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${flag} must be a port number`);
  return n;
}

/** A positive whole-number option. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new UsageError(`${flag} must be a positive whole number`);
  return Number(value);
}

/**
 * Reads `--private-key ID=PEM_FILE` options into key id → PEM text. Every id must be a key of the
 * config (`knownIds`): a typo must not silently fall back to KMS.
 */
export function readPrivateKeys(specs: readonly string[] | undefined, knownIds: ReadonlySet<string>): Map<string, string> {
  const keys = new Map<string, string>();
  for (const spec of specs ?? []) {
    const equals = spec.indexOf('=');
    if (equals < 1) throw new UsageError('--private-key takes ID=PEM_FILE');
    const id = spec.slice(0, equals);
    if (!knownIds.has(id)) {
      throw new UsageError(`--private-key names key "${id}", which the config does not have (keys: ${[...knownIds].join(', ')})`);
    }
    if (keys.has(id)) throw new UsageError(`--private-key names key "${id}" twice`);
    try {
      keys.set(id, readFileSync(spec.slice(equals + 1), 'utf8'));
    } catch (error) {
      throw new FileError(`cannot read the private key file for "${id}"`, { cause: error });
    }
  }
  return keys;
}
