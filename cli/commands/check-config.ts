import { configWarnings, type FieldRule, type FleConfig } from '../../core/config';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../core/config-file';
import { type Command, options } from '../args';
import type { CliIo } from '../io';

/** `fle check-config`: validates the config and prints what it protects. */
export const checkConfigCommand: Command = {
  name: 'check-config',
  summary: 'validate the config and print a summary',
  usage: `fle check-config [--config F]

  --config F   the config file (default ${DEFAULT_CONFIG_PATH})

Exit 0 and a summary when the config is valid; exit 3 with every problem listed otherwise.`,
  example: 'npx fle check-config --config config/fields.json',
  run: (args: readonly string[], io: CliIo): number => {
    const { config: path = DEFAULT_CONFIG_PATH } = options(args, { config: { type: 'string' } });
    const config = loadConfigFile(path);
    io.stdout(summarise(path, config));
    for (const warning of configWarnings(config)) io.stderr(`warning: ${warning}\n`);
    return 0;
  },
};

/** The human summary `fle check-config` prints for a valid config. */
export function summarise(path: string, config: FleConfig): string {
  const lines = [`${path}: OK`, `keys (${config.keys.length}):`];
  for (const key of config.keys) {
    const role = key.id === config.encryptWith ? '  [encryptWith]' : '';
    lines.push(
      `  ${key.id}  RSA ${key.modulusBits}-bit  max plaintext ${key.maxPlaintextBytes} bytes  ${key.publicKeyFile}` +
        `  kms ${key.kmsKeyId ?? '(none: local key only)'}${role}`,
    );
  }
  const names = config.names.map((n) => n.name + (n.key !== config.encryptWith ? ` (key ${n.key})` : '') + (n.mode !== 'rsa' ? ` (mode ${n.mode})` : ''));
  lines.push(`names (${config.names.length}, protected on every path, refused in query strings): ${names.join('  ') || '(none)'}`);
  lines.push(`unmatched paths: ${config.unmatched}`);
  const fields = config.routes.reduce((n, r) => n + r.json.length + r.form.length, 0);
  lines.push(`routes (${config.routes.length}, ${fields} fields):`);
  for (const route of config.routes) {
    lines.push(`  ${route.name}  ${route.methods.join(',')} ${route.path}${route.caseSensitive ? ' (case-sensitive)' : ''}  mode ${route.mode}`);
    // A field's key and mode are shown only where they differ from the defaults.
    const rule = (f: FieldRule): string => {
      const notes = [f.key !== config.encryptWith ? `key ${f.key}` : '', f.mode !== route.mode ? `mode ${f.mode}` : ''].filter(Boolean);
      return notes.length > 0 ? ` (${notes.join(', ')})` : '';
    };
    if (route.json.length > 0) lines.push(`    json: ${route.json.map((f) => f.path + rule(f)).join('  ')}`);
    if (route.form.length > 0) lines.push(`    form: ${route.form.map((f) => f.name + rule(f)).join('  ')}`);
  }
  lines.push(`limits: maxDepth ${config.limits.maxDepth}, maxValues ${config.limits.maxValues}`);
  return `${lines.join('\n')}\n`;
}
