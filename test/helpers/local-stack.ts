import { dirname, join } from 'node:path';
import { loadConfigFile } from '../../core/config-file';
import { type LocalStackOptions, startLocalStack } from '../../local/stack';
import { makeWorkspace } from './workspace';

/** The local stack on free ports for a workspace config (the test route, or `config`), quiet. */
export function startTestStack(extra: Partial<LocalStackOptions> = {}, config?: object) {
  const ws = makeWorkspace(config);
  return startLocalStack({
    config: loadConfigFile(ws.configFile),
    configDir: dirname(ws.configFile),
    edgePort: 0,
    originPort: 0,
    decryptPort: 0,
    dataDir: join(ws.dir, '.local'),
    log: () => undefined,
    ...extra,
  });
}
