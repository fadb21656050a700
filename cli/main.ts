import { ConfigError } from '../core/config';
import { DEFAULT_CONFIG_PATH } from '../core/config-file';
import { version } from '../package.json';
import type { Command } from './args';
import { buildDecryptCommand } from './commands/build-decrypt';
import { buildEdgeCommand } from './commands/build-edge';
import { checkConfigCommand } from './commands/check-config';
import { decryptCommand } from './commands/decrypt';
import { encryptCommand } from './commands/encrypt';
import { fetchPublicKeyCommand } from './commands/fetch-public-key';
import { keygenCommand } from './commands/keygen';
import { rewrapCommand } from './commands/rewrap';
import { rewrapS3Command } from './commands/rewrap-s3';
import { serveCommand } from './commands/serve';
import { CliError, EXIT, UsageError } from './errors';
import type { CliIo } from './io';

export { type CliIo, processIo } from './io';

/** Every command, in the order `fle --help` lists them. One line each: the module owns the rest. */
const COMMANDS: readonly Command[] = [
  checkConfigCommand,
  keygenCommand,
  encryptCommand,
  decryptCommand,
  rewrapCommand,
  rewrapS3Command,
  fetchPublicKeyCommand,
  buildEdgeCommand,
  buildDecryptCommand,
  serveCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: fle <command> [options]      fle <command> --help      fle --version',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `The config defaults to ${DEFAULT_CONFIG_PATH}. Exit codes: 0 ok, 1 refused or failed on the input,`,
    '2 usage, 3 config, 4 AWS (KMS/S3). Every failure is one JSON line on stderr: {"code","message"}.',
    '',
  ].join('\n');
}

const HELP = new Set(['--help', '-h']);

/** Runs one CLI invocation and returns its exit code; never throws, never prints a stack trace. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === 'help' || HELP.has(name)) {
      io.stdout(usage());
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      io.stdout(`${version}\n`);
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"; fle --help lists the commands`);
    if (rest.some((arg) => HELP.has(arg))) {
      io.stdout(`${command.summary}\n\n${command.usage}\n\nexample:\n  ${command.example}\n`);
      return EXIT.ok;
    }
    return await command.run(rest, io);
  } catch (error) {
    const { line, exitCode } = describe(error);
    io.stderr(`${JSON.stringify(line)}\n`);
    return exitCode;
  }
}

/** The JSON line and exit code for a failure. Unknown errors say only their name: no stack, no data. */
function describe(error: unknown): { line: Record<string, unknown>; exitCode: number } {
  if (error instanceof ConfigError) {
    return { line: { code: error.code, message: error.message, problems: error.problems }, exitCode: EXIT.config };
  }
  if (error instanceof CliError) return { line: { code: error.code, message: error.message }, exitCode: error.exitCode };
  // An unexpected error says its name and, for a system error, its code (ENOENT, EACCES): never its
  // message or stack, which could carry data.
  const name = error instanceof Error ? error.name : 'Error';
  const system = error instanceof Error && 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
  return { line: { code: 'Internal', message: `unexpected ${name}${system}` }, exitCode: EXIT.refused };
}
