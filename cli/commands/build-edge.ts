import { DEFAULT_CONFIG_PATH } from '../../core/config-file';
import { type Command, options, required } from '../args';
import { buildEdgeBundle } from '../bundle';
import { DEV_KEY_DIR, loadDeployConfig } from '../dev-keys';
import type { CliIo } from '../io';

/** `fle build-edge`: the deployable Lambda@Edge bundle for a config. */
export const buildEdgeCommand: Command = {
  name: 'build-edge',
  summary: 'bundle the Lambda@Edge function for a config (DIR/index.js)',
  usage: `fle build-edge [--config F] --out DIR [--allow-dev-keys]

  --out DIR          where to write index.js (exports handler; config and public keys baked in)
  --allow-dev-keys   make labelled DEV keys for missing public key files (never deploy such a bundle)`,
  example: 'npx fle build-edge --config config/fields.json --out dist/edge',
  run: async (args: readonly string[], io: CliIo): Promise<number> => {
    const values = options(args, { config: { type: 'string' }, out: { type: 'string' }, 'allow-dev-keys': { type: 'boolean' } });
    const out = required(values.out, '--out');
    const { config, devKeyIds } = loadDeployConfig(values.config ?? DEFAULT_CONFIG_PATH, values['allow-dev-keys'] ? 'build' : 'none');
    if (devKeyIds.length > 0) {
      io.stderr(
        `fle: no public key file for key(s) ${devKeyIds.join(', ')}: this bundle uses generated DEV keys (${DEV_KEY_DIR}); never deploy it\n`,
      );
    }
    const report = await buildEdgeBundle(config, out);
    io.stdout(`wrote ${report.file} (${report.bytes} bytes, ${report.gzipBytes} gzipped)\n`);
    return 0;
  },
};
