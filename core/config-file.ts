import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type FleConfig, validateConfig } from './config';
import { jsonErrorOffset } from './json-error-offset';

/** Where the CLI looks for the config when `--config` is not given (relative to the working folder). */
export const DEFAULT_CONFIG_PATH = 'config/fields.json';

/** Reads a key file: its absolute path, and the path as the config writes it. */
export type KeyFileReader = (absolutePath: string, asWritten: string) => string;

/**
 * Reads and validates a config file; key files are resolved relative to the config's folder.
 * Throws {@link ConfigError} (every problem) when the file is unreadable, not JSON, or invalid.
 */
export function loadConfigFile(
  path: string = DEFAULT_CONFIG_PATH,
  readKeyFile: KeyFileReader = (absolutePath) => readFileSync(absolutePath, 'utf8'),
): FleConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError([{ where: path, message: 'cannot read the config file' }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError([{ where: path, message: `not valid JSON${jsonErrorPlace(text)}` }]);
  }
  const dir = dirname(file);
  return validateConfig(raw, (keyFile) => readKeyFile(resolve(dir, keyFile), keyFile));
}

/** Where the JSON stops being JSON, as ` at line L, column C`. */
function jsonErrorPlace(text: string): string {
  if (text.trim() === '') return ': the file is empty';
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return '';
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}
