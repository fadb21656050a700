import { DEFAULT_CONFIG_PATH } from '../../core/config-file';
import { type Command, options, required } from '../args';
import { buildEdgeBundle } from '../bundle';
import { DEV_KEY_DIR, loadDeployConfig, undeployableKeyProblems } from '../dev-keys';
import { KeysNotDeployableError } from '../errors';
import type { CliIo } from '../io';

/** `fle build-edge`: the deployable Lambda@Edge bundle for a config. */
export const buildEdgeCommand: Command = {
  name: 'build-edge',
  summary: 'bundle the Lambda@Edge function for a config (DIR/index.js)',
  usage: `fle build-edge [--config F] --out DIR [--unsafe-dev-keys]

  --out DIR            where to write index.js (exports handler; config and public keys baked in)
                       and edge-fle-keys.json (each embedded key's fingerprint and source)
  --unsafe-dev-keys    build even with keys KMS is not known to hold (local dev keys; generated
                       stand-ins in ${DEV_KEY_DIR} for missing files): never deploy such a bundle`,
  example: 'npx fle build-edge --config config/fields.json --out dist/edge',
  run: async (args: readonly string[], io: CliIo): Promise<number> => {
    const values = options(args, { config: { type: 'string' }, out: { type: 'string' }, 'unsafe-dev-keys': { type: 'boolean' } });
    const out = required(values.out, '--out');
    const unsafe = values['unsafe-dev-keys'] === true;
    const loaded = loadDeployConfig(values.config ?? DEFAULT_CONFIG_PATH, unsafe ? 'build' : 'none');
    const problems = undeployableKeyProblems(loaded);
    if (problems.length > 0 && !unsafe) {
      throw new KeysNotDeployableError(
        `refusing to build a deployable bundle with keys KMS is not known to hold (--unsafe-dev-keys for a local or sandbox build):\n${problems.map((p) => `- ${p}`).join('\n')}`,
      );
    }
    if (problems.length > 0) {
      io.stderr(`fle: UNSAFE: this bundle embeds DEV key(s) ${loaded.devKeyIds.join(', ')} that KMS does not hold; never deploy it\n`);
    }
    const report = await buildEdgeBundle(loaded.config, out, loaded.sources);
    io.stdout(`wrote ${report.file} (${report.bytes} bytes, ${report.gzipBytes} gzipped; keys: ${report.manifest.status})\n`);
    return 0;
  },
};
