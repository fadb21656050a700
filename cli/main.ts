import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { ConfigError, type FieldRule, type FleConfig } from '../core/config';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../core/config-file';
import { isKeyId } from '../core/marker';
import { createDecryptor, keyringFor, kmsRegionOf, type Decryptor } from '../decrypt/decryptor';
import { DecryptError, InvalidRequestError } from '../decrypt/errors';
import { jsonPathPlusEngine } from '../edge/expression-engine';
import { toRejection } from '../edge/rejection';
import { compileEdgeConfig, protectRequest } from '../edge/transform';
import { startLocalStack } from '../local/stack';
import { buildDecryptBundle, buildEdgeBundle } from './bundle';
import { DEV_KEY_DIR, loadDeployConfig } from './dev-keys';
import { KEY_BITS, keyPairFiles, writeKeyPair } from './keygen';
import { fetchKmsPublicKey, UnsuitableKeyError } from './public-key';

/** Where a command writes; injectable so tests can run commands in-process. */
export interface CliIo {
  readonly stdin: () => Promise<Buffer>;
  readonly stdout: (data: string | Uint8Array) => void;
  readonly stderr: (text: string) => void;
}

/** A failure the CLI reports as one line and exit code 1. */
class UsageError extends Error {}

const USAGE = `usage: fle <command> [options]

  check-config [--config F]                         validate the config and print a summary
  keygen --out DIR [--id 01] [--bits 2048] [--force] make an RSA key pair (DIR/<id>.pem, DIR/<id>.key.pem)
  encrypt [--config F] --method M --uri U --content-type T < body > out
                                                    run the edge transform on one body
  decrypt [--config F] [--private-key ID=PEM]... [--kms-endpoint URL] [--region R]
          [--content-type T] [--leave-unknown] [--concurrency N] < in > out
                                                    decrypt every marker (KMS, or a local private key)
  rewrap --to ID [decrypt's options] < in > out      re-encrypt every marker to key ID, never writing plaintext
  fetch-public-key --key-id ARN --out PEM [--region R] [--kms-endpoint URL] [--force]
                                                    write a KMS key's public key (checked) as PEM
  build-edge [--config F] --out DIR [--allow-dev-keys]
                                                    bundle the Lambda@Edge function for a config
  build-decrypt --out DIR                           bundle the decrypt Lambda
  serve [--config F] [--private-key ID=PEM]... [--edge-port 8080] [--origin-port 8081]
        [--decrypt-port 8082] [--origin URL]         the local stack (npm start)

The config defaults to ${DEFAULT_CONFIG_PATH}.`;

/** The commands, by name. */
const COMMANDS: Readonly<Record<string, (args: readonly string[], io: CliIo) => number | Promise<number>>> = {
  'check-config': (args, io) => checkConfig(args, io),
  keygen: (args, io) => keygen(args, io),
  encrypt: (args, io) => encrypt(args, io),
  decrypt: (args, io) => decrypt(args, io),
  rewrap: (args, io) => rewrap(args, io),
  'fetch-public-key': (args, io) => fetchPublicKey(args, io),
  'build-edge': (args, io) => buildEdge(args, io),
  'build-decrypt': (args, io) => buildDecrypt(args, io),
  serve: (args, io) => serveLocal(args, io),
};

/** Runs one CLI invocation and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout(`${USAGE}\n`);
      return command === undefined ? 1 : 0;
    }
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!run) throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    return await run(rest, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
    } else if (error instanceof UsageError || error instanceof UnsuitableKeyError || (error instanceof TypeError && 'code' in error)) {
      // parseArgs reports unknown or malformed options as TypeErrors with a code.
      io.stderr(`fle: ${error.message}\n`);
    } else {
      io.stderr(`fle: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return 1;
  }
}

function options<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>(
  args: readonly string[],
  spec: T,
) {
  return parseArgs({ args: [...args], options: spec, allowPositionals: false, strict: true }).values;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function checkConfig(args: readonly string[], io: CliIo): number {
  const { config: path = DEFAULT_CONFIG_PATH } = options(args, { config: { type: 'string' } });
  const config = loadConfigFile(path);
  io.stdout(summarise(path, config));
  return 0;
}

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
  const fields = config.routes.reduce((n, r) => n + r.json.length + r.form.length, 0);
  lines.push(`routes (${config.routes.length}, ${fields} fields):`);
  for (const route of config.routes) {
    lines.push(`  ${route.name}  ${route.methods.join(',')} ${route.path}  mode ${route.mode}`);
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

function keygen(args: readonly string[], io: CliIo): number {
  const values = options(args, {
    out: { type: 'string' },
    id: { type: 'string' },
    bits: { type: 'string' },
    force: { type: 'boolean' },
  });
  const dir = resolve(required(values.out, '--out'));
  const id = values.id ?? '01';
  if (!isKeyId(id)) throw new UsageError('--id must be 1 to 8 letters or digits');
  const bits = Number(values.bits ?? '2048');
  if (!KEY_BITS.includes(bits)) throw new UsageError('--bits must be 2048, 3072 or 4096 (the KMS RSA key specs)');
  const { publicFile, privateFile } = keyPairFiles(dir, id);
  if (!values.force && (existsSync(publicFile) || existsSync(privateFile))) {
    throw new UsageError(`${publicFile} or ${privateFile} exists; pass --force to replace the key pair`);
  }
  writeKeyPair(dir, id, bits);
  io.stdout(`wrote ${publicFile} (public, SPKI) and ${privateFile} (private, PKCS#8, mode 0600)\n`);
  return 0;
}

async function encrypt(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, {
    config: { type: 'string' },
    method: { type: 'string' },
    uri: { type: 'string' },
    'content-type': { type: 'string' },
    'content-encoding': { type: 'string' },
  });
  const method = required(values.method, '--method');
  const uri = required(values.uri, '--uri').split('?', 1)[0] ?? '';
  const config = compileEdgeConfig(loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH), jsonPathPlusEngine);
  const body = await io.stdin();
  try {
    const outcome = protectRequest(config, {
      method,
      uri,
      contentType: values['content-type'],
      contentEncoding: values['content-encoding'],
      body,
    });
    io.stdout(outcome.action === 'replace' ? outcome.body : body);
    return 0;
  } catch (error) {
    const { status, code, message } = toRejection(error);
    io.stderr(`${JSON.stringify({ status, code, message })}\n`);
    return 1;
  }
}

async function buildEdge(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, { config: { type: 'string' }, out: { type: 'string' }, 'allow-dev-keys': { type: 'boolean' } });
  const out = required(values.out, '--out');
  const { config, devKeyIds } = loadDeployConfig(values.config ?? DEFAULT_CONFIG_PATH, values['allow-dev-keys'] ? 'build' : 'none');
  if (devKeyIds.length > 0) {
    io.stderr(`fle: no public key file for key(s) ${devKeyIds.join(', ')}: this bundle uses generated DEV keys (${DEV_KEY_DIR}); never deploy it\n`);
  }
  const report = await buildEdgeBundle(config, out);
  io.stdout(`wrote ${report.file} (${report.bytes} bytes, ${report.gzipBytes} gzipped)\n`);
  return 0;
}

/** Options shared by `decrypt` and `rewrap`: where the keys are and how the input is read. */
const DECRYPT_OPTIONS = {
  config: { type: 'string' },
  'private-key': { type: 'string', multiple: true },
  'kms-endpoint': { type: 'string' },
  region: { type: 'string' },
  'content-type': { type: 'string' },
  'leave-unknown': { type: 'boolean' },
  concurrency: { type: 'string' },
} as const;

type DecryptValues = ReturnType<typeof options<typeof DECRYPT_OPTIONS>>;

/**
 * Runs `work` with a decryptor for the config's keys: a local private key where `--private-key`
 * names one, KMS (`kmsKeyId`) otherwise. Failures are one JSON line on stderr and exit 1; stdout
 * gets the result only on success.
 */
async function withDecryptor(
  values: DecryptValues,
  io: CliIo,
  work: (decryptor: Decryptor, config: FleConfig, input: string) => Promise<string>,
): Promise<number> {
  const privateKeys = readPrivateKeys(values['private-key']);
  const config = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
  const keys = keyringFor(config.keys, privateKeys);
  const endpoint = values['kms-endpoint'];
  const kmsClient =
    endpoint || values.region
      ? new KMSClient({ region: values.region ?? process.env.AWS_REGION ?? 'us-east-1', ...(endpoint ? { endpoint } : {}) })
      : undefined;
  const input = (await io.stdin()).toString('utf8');
  try {
    const decryptor = createDecryptor({
      keys,
      ...(kmsClient ? { kmsClient } : {}),
      ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
      leaveUnknown: values['leave-unknown'] ?? false,
    });
    io.stdout(await work(decryptor, config, input));
    return 0;
  } catch (error) {
    const code = error instanceof DecryptError ? error.code : 'DecryptFailed';
    const message = error instanceof DecryptError ? error.message : 'the input could not be processed';
    io.stderr(`${JSON.stringify({ code, message })}\n`);
    return 1;
  } finally {
    kmsClient?.destroy();
  }
}

async function decrypt(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, DECRYPT_OPTIONS);
  return withDecryptor(values, io, async (decryptor, _config, input) => {
    const { text } = await decryptor.decrypt(input, { contentType: values['content-type'] });
    return text;
  });
}

async function rewrap(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, { ...DECRYPT_OPTIONS, to: { type: 'string' } });
  const to = required(values.to, '--to');
  return withDecryptor(values, io, async (decryptor, config, input) => {
    const target = config.keys.find((k) => k.id === to);
    if (!target) throw new InvalidRequestError(`--to "${to}" is not a key of the config`);
    const { text } = await decryptor.rewrap(input, target, { contentType: values['content-type'] });
    return text;
  });
}

async function fetchPublicKey(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, {
    'key-id': { type: 'string' },
    out: { type: 'string' },
    region: { type: 'string' },
    'kms-endpoint': { type: 'string' },
    force: { type: 'boolean' },
  });
  const keyId = required(values['key-id'], '--key-id');
  const out = resolve(required(values.out, '--out'));
  const region = values.region ?? kmsRegionOf(keyId) ?? process.env.AWS_REGION ?? 'us-east-1';
  const endpoint = values['kms-endpoint'];
  const client = new KMSClient({ region, ...(endpoint ? { endpoint } : {}) });
  try {
    const key = await fetchKmsPublicKey(client, keyId);
    const existing = existsSync(out) ? readFileSync(out, 'utf8') : undefined;
    if (existing !== undefined && existing.trim() === key.pem.trim()) {
      io.stdout(`${out} already holds the public key of ${key.keyArn} (${key.keySpec})\n`);
      return 0;
    }
    if (existing !== undefined && !values.force) {
      throw new UsageError(
        `${out} holds another public key than ${key.keyArn}: it does not belong to this KMS key. If it is a local dev key, move it away (or pass --force to replace it)`,
      );
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, key.pem, { mode: 0o644 });
    io.stdout(`wrote ${out}: public key of ${key.keyArn} (${key.keySpec}, ENCRYPT_DECRYPT, RSAES_OAEP_SHA_256)\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof UnsuitableKeyError) throw error;
    const name = error instanceof Error ? error.name : 'Error';
    throw new UsageError(`KMS GetPublicKey failed for ${keyId}: ${name}${error instanceof Error ? `: ${error.message}` : ''}`);
  } finally {
    client.destroy();
  }
}

async function buildDecrypt(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, { out: { type: 'string' } });
  const report = await buildDecryptBundle(required(values.out, '--out'));
  io.stdout(`wrote ${report.file} (${report.bytes} bytes, ${report.gzipBytes} gzipped)\n`);
  return 0;
}

/** Reads `--private-key ID=PEM_FILE` options into key id → PEM text. */
function readPrivateKeys(specs: readonly string[] | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const spec of specs ?? []) {
    const equals = spec.indexOf('=');
    if (equals < 1) throw new UsageError('--private-key takes ID=PEM_FILE');
    const id = spec.slice(0, equals);
    try {
      keys.set(id, readFileSync(spec.slice(equals + 1), 'utf8'));
    } catch {
      throw new UsageError(`cannot read the private key file for "${id}"`);
    }
  }
  return keys;
}

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number`);
  return n;
}

async function serveLocal(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, {
    config: { type: 'string' },
    'private-key': { type: 'string', multiple: true },
    'edge-port': { type: 'string' },
    'origin-port': { type: 'string' },
    'decrypt-port': { type: 'string' },
    origin: { type: 'string' },
    'kms-endpoint': { type: 'string' },
  });
  const configFile = resolve(values.config ?? DEFAULT_CONFIG_PATH);
  // The repository's config works out of the box: its missing keys become dev keys, made once.
  const { config, made } = loadDeployConfig(configFile, values.config === undefined ? 'in-place' : 'none');
  for (const file of made) io.stdout(`made dev key pair ${file} (private key beside it, mode 0600, git-ignored)\n`);
  const endpoint = values['kms-endpoint'];
  const stack = await startLocalStack({
    config,
    configDir: dirname(configFile),
    privateKeys: readPrivateKeys(values['private-key']),
    edgePort: port(values['edge-port'], 8080, '--edge-port'),
    originPort: port(values['origin-port'], 8081, '--origin-port'),
    decryptPort: port(values['decrypt-port'], 8082, '--decrypt-port'),
    ...(values.origin ? { origin: values.origin } : {}),
    ...(endpoint ? { kmsClient: new KMSClient({ region: process.env.AWS_REGION ?? 'us-east-1', endpoint }) } : {}),
    log: (line) => io.stdout(`[edge] ${line}\n`),
  });
  io.stdout(
    [
      'edge-fle local stack',
      `  edge (CloudFront stand-in)  ${stack.edgeUrl}/   <- open this for the try-it page`,
      `  origin${values.origin ? ' (yours)' : ' (sample)'}             ${stack.originUrl}${values.origin ? '' : '   GET /records lists what it stored'}`,
      `  decrypt                     ${stack.decryptUrl}   POST any body`,
      'try:',
      `  ${stack.curl}`,
      `  curl -sS ${stack.edgeUrl}/records`,
      'Ctrl-C stops all three.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await stack.close();
  io.stdout('edge-fle local stack stopped; records are in .local/records.jsonl\n');
  return 0;
}


/** The process-facing I/O. */
export const processIo: CliIo = {
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
  stdout: (data) => {
    process.stdout.write(data);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
};
