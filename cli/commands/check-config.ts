import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { configWarnings, type FieldRule, type FleConfig } from '../../core/config';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../core/config-file';
import { type Command, options } from '../args';
import { CliError, EXIT, FileError, UsageError } from '../errors';
import type { CliIo } from '../io';
import { type Sample, SampleError, sampleReport } from '../sample-report';

/** `fle check-config`: validates the config and prints what it protects. */
export const checkConfigCommand: Command = {
  name: 'check-config',
  summary: 'validate the config and print a summary',
  usage: `fle check-config [--config F] [--sample FILE]...

  --config F      the config file (default ${DEFAULT_CONFIG_PATH})
  --sample FILE   a sample body (.json: JSON; .form or .txt: a urlencoded form), repeatable: prints how
                  many values each rule selects over the samples; a route's rule that selects nothing
                  is an error (a typo such as $[*].snn would otherwise pass silently)

Exit 0 and a summary when the config is valid; exit 3 with every problem listed otherwise.`,
  example: 'npx fle check-config --config config/fields.json',
  run: (args: readonly string[], io: CliIo): number => {
    const values = options(args, { config: { type: 'string' }, sample: { type: 'string', multiple: true } });
    const path = values.config ?? DEFAULT_CONFIG_PATH;
    const samples = (values.sample ?? []).map(readSample);
    const config = loadConfigFile(path);
    io.stdout(summarise(path, config));
    for (const warning of configWarnings(config)) io.stderr(`warning: ${warning}\n`);
    if (samples.length === 0) return EXIT.ok;
    let report: ReturnType<typeof sampleReport>;
    try {
      report = sampleReport(config, samples);
    } catch (error) {
      if (error instanceof SampleError) throw new FileError(error.message);
      throw error;
    }
    io.stdout(`selected over ${samples.length} sample(s):\n`);
    for (const { rule, count } of report) io.stdout(`  ${String(count).padStart(6)}  ${rule}\n`);
    const empty = report.filter((r) => r.count === 0 && r.required);
    for (const r of report.filter((r) => r.count === 0 && !r.required)) io.stderr(`warning: ${r.rule} selects nothing in the samples\n`);
    if (empty.length > 0) throw new UnusedRuleError(empty.map((r) => r.rule));
    return EXIT.ok;
  },
};

/** A route's rule selected nothing in any sample of its format: probably a typo. */
class UnusedRuleError extends CliError {
  override readonly name = 'UnusedRuleError';
  readonly code = 'RuleSelectsNothing';
  readonly exitCode = EXIT.config;
  constructor(rules: readonly string[]) {
    super(`${rules.length} rule(s) select nothing in any sample: ${rules.join('; ')}`);
  }
}

function readSample(file: string): Sample {
  const extension = extname(file).toLowerCase();
  const format = extension === '.json' ? 'json' : extension === '.form' || extension === '.txt' ? 'form' : undefined;
  if (format === undefined) throw new UsageError(`--sample ${file}: name a .json, .form or .txt file`);
  try {
    return { file, format, text: readFileSync(file, 'utf8') };
  } catch (error) {
    throw new FileError(`cannot read the sample ${file}`, { cause: error });
  }
}

/** The human summary `fle check-config` prints for a valid config. */
export function summarise(path: string, config: FleConfig): string {
  const lines = [`${path}: OK`, `keys (${config.keys.length}):`];
  for (const key of config.keys) {
    const role = key.id === config.encryptWith ? '  [encryptWith]' : '';
    lines.push(
      (key.modulusBits === 0
        ? `  ${key.id}  P-256 key agreement  every value E2  ${key.publicKeyFile}`
        : `  ${key.id}  RSA ${key.modulusBits}-bit  max plaintext ${key.maxPlaintextBytes} bytes  ${key.publicKeyFile}`) +
        `  kms ${key.kmsKeyId ?? '(none: local key only)'}${role}`,
    );
  }
  const names = config.names.map((n) =>
    n.index !== undefined
      ? `${n.name} (searchable: ${n.index})`
      : n.name + (n.key !== config.encryptWith ? ` (key ${n.key})` : '') + (n.mode !== 'rsa' ? ` (mode ${n.mode})` : ''),
  );
  lines.push(`names (${config.names.length}, protected on every path, refused in query strings): ${names.join('  ') || '(none)'}`);
  lines.push(`unmatched paths: ${config.unmatched}`);
  const fields = config.routes.reduce((n, r) => n + r.json.length + r.form.length, 0);
  lines.push(`routes (${config.routes.length}, ${fields} fields):`);
  for (const route of config.routes) {
    lines.push(
      `  ${route.name}  ${route.methods.join(',')} ${route.path}${route.caseSensitive ? ' (case-sensitive)' : ''}  mode ${route.mode}`,
    );
    // A field's key and mode are shown only where they differ from the defaults.
    const rule = (f: FieldRule): string => {
      if (f.index !== undefined) return ` (searchable: ${f.index})`;
      const notes = [f.key !== config.encryptWith ? `key ${f.key}` : '', f.mode !== route.mode ? `mode ${f.mode}` : ''].filter(Boolean);
      return notes.length > 0 ? ` (${notes.join(', ')})` : '';
    };
    if (route.json.length > 0) lines.push(`    json: ${route.json.map((f) => f.path + rule(f)).join('  ')}`);
    if (route.form.length > 0) lines.push(`    form: ${route.form.map((f) => f.name + rule(f)).join('  ')}`);
  }
  lines.push(`limits: maxDepth ${config.limits.maxDepth}, maxValues ${config.limits.maxValues}`);
  lines.push(...searchableSummary(config));
  return `${lines.join('\n')}\n`;
}

/** The edge secret and the indexes, as `summarise` shows them. */
function searchableSummary(config: FleConfig): string[] {
  const secret = config.edgeSecret;
  if (!secret) return ['edge secret: none (no searchable fields; markers carry no proof of the edge)'];
  const versions = secret.versions.map(
    (v) =>
      `${v.version}${v.version === secret.current ? ' [current]' : ''} ${v.source === 'kms' ? `(KMS ${v.kmsKeyId})` : '(DEV secret in clear: never deploy)'}`,
  );
  return [
    `edge secret: versions ${versions.join(', ')}; markers without proof ${secret.acceptUnprovenMarkers ? 'ACCEPTED (legacy opt-in)' : 'refused'}`,
    `indexes (${config.indexes.length}, deterministic: equal values give equal markers):`,
    ...config.indexes.map((i) => `  ${i.name}  v${i.version}  key ${i.key}  normalize ${i.normalize.join(', ') || '(none)'}`),
  ];
}
