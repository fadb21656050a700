import { dirname, resolve } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { DEFAULT_CONFIG_PATH } from '../../core/config-file';
import { startLocalStack } from '../../local/stack';
import { type Command, options, port, readPrivateKeys } from '../args';
import { loadDeployConfig } from '../dev-keys';
import type { CliIo } from '../io';

/** `fle serve`: the local stack (`npm start`). */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'the local stack: CloudFront stand-in, sample origin, decrypt endpoint (npm start)',
  usage: `fle serve [--config F] [--private-key ID=PEM]... [--edge-port 8080] [--origin-port 8081]
          [--decrypt-port 8082] [--origin URL] [--kms-endpoint URL]

  --config F            the config (default ${DEFAULT_CONFIG_PATH}; its missing keys become dev keys on first run)
  --private-key ID=PEM  the decrypt endpoint opens key ID with this local private key
  --edge-port N         the CloudFront stand-in's port
  --origin-port N       the sample origin's port
  --decrypt-port N      the decrypt endpoint's port
  --origin URL          forward to your own origin instead of the sample one
  --kms-endpoint URL    decrypt with this KMS endpoint`,
  example: 'npm start   # or: npx fle serve --edge-port 9080',
  run: async (args: readonly string[], io: CliIo): Promise<number> => {
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
    const ports = {
      edgePort: port(values['edge-port'], 8080, '--edge-port'),
      originPort: port(values['origin-port'], 8081, '--origin-port'),
      decryptPort: port(values['decrypt-port'], 8082, '--decrypt-port'),
    };
    // The repository's config works out of the box: its missing keys become dev keys, made once.
    const { config, made } = loadDeployConfig(configFile, values.config === undefined ? 'in-place' : 'none');
    for (const file of made) io.stdout(`made dev key pair ${file} (private key beside it, mode 0600, git-ignored)\n`);
    const privateKeys = readPrivateKeys(values['private-key'], new Set(config.keys.map((k) => k.id)));
    const endpoint = values['kms-endpoint'];
    const stack = await startLocalStack({
      config,
      configDir: dirname(configFile),
      privateKeys,
      ...ports,
      ...(values.origin ? { origin: values.origin } : {}),
      ...(endpoint ? { kmsClient: new KMSClient({ region: process.env.AWS_REGION ?? 'us-east-1', endpoint }) } : {}),
      log: (line) => io.stdout(`[edge] ${line}\n`),
    });
    io.stdout(
      [
        'edge-fle local stack',
        `  try-it page                 ${stack.pageUrl}   <- open this`,
        `  edge (CloudFront stand-in)  ${stack.edgeUrl}/`,
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
    io.stdout('edge-fle local stack stopped; records are in .local/origin.sqlite\n');
    return 0;
  },
};
