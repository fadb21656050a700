import { type Command, options, required } from '../args';
import { buildDecryptBundle } from '../bundle';
import type { CliIo } from '../io';

/** `fle build-decrypt`: the decrypt Lambda bundle. */
export const buildDecryptCommand: Command = {
  name: 'build-decrypt',
  summary: 'bundle the decrypt Lambda (DIR/index.js)',
  usage: `fle build-decrypt --out DIR

  --out DIR   where to write index.js (exports handler; keys come from FLE_KEYS at run time)`,
  example: 'npx fle build-decrypt --out dist/decrypt',
  run: async (args: readonly string[], io: CliIo): Promise<number> => {
    const values = options(args, { out: { type: 'string' } });
    const report = await buildDecryptBundle(required(values.out, '--out'));
    io.stdout(`wrote ${report.file} (${report.bytes} bytes, ${report.gzipBytes} gzipped)\n`);
    return 0;
  },
};
