import { dirname, resolve } from 'node:path';
import type { FleConfig } from '../core/config';
import type { DeployParams } from './params';

/** One command the deployment runs. */
export interface DeployStep {
  readonly title: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** Where the keys stack writes its outputs (key id → ARN), read by the fetch steps. */
export const KEYS_OUTPUTS_FILE = '.build/keys-outputs.json';

/**
 * The deployment, in order: (1) the keys stack (KMS keys and decrypt roles) in the data region;
 * (2) each key's public key fetched from KMS into the file the config names (refusing a PEM that
 * belongs to another key); (3) the edge and decrypt stacks, synthesised without dev keys so a
 * missing PEM is an error. Every step is idempotent: running the plan again changes nothing.
 * `keyArns` is undefined before step 1 has run (the fetch steps are then planned from its outputs).
 */
export function deployPlan(
  params: DeployParams,
  config: FleConfig,
  keyArns: ReadonlyMap<string, string> | undefined,
  cdkArgs: readonly string[],
): DeployStep[] {
  const cdk = (title: string, stacks: string[], extra: string[]): DeployStep => ({
    title,
    command: 'npx',
    args: ['cdk', 'deploy', ...stacks, ...extra, ...cdkArgs],
  });
  const steps: DeployStep[] = [cdk('keys: KMS keys and decrypt roles', [`${params.prefix}-Keys`], ['--outputs-file', KEYS_OUTPUTS_FILE])];
  if (keyArns === undefined) return steps;
  const configDir = dirname(resolve(params.configFile));
  for (const key of config.keys) {
    const arn = keyArns.get(key.id);
    if (!arn) throw new Error(`the keys stack has no output for key ${key.id}`);
    steps.push({
      title: `public key ${key.id} from KMS`,
      command: process.execPath,
      args: [
        'bin/fle.mjs',
        'fetch-public-key',
        '--key-id',
        arn,
        '--out',
        resolve(configDir, key.publicKeyFile),
        '--region',
        params.dataRegion,
      ],
    });
  }
  steps.push(cdk('edge and decrypt', [`${params.prefix}-Edge`, `${params.prefix}-Decrypt`], ['-c', 'edge-fle:allowDevKeys=false']));
  return steps;
}

/** Key id → ARN from the keys stack's outputs file (`{"<prefix>-Keys": {"KeyArn01": "arn:…"}}`). */
export function keyArnsFromOutputs(outputs: unknown, prefix: string): Map<string, string> {
  const stack = (outputs as Record<string, Record<string, string>> | undefined)?.[`${prefix}-Keys`] ?? {};
  const arns = new Map<string, string>();
  for (const [name, value] of Object.entries(stack)) {
    const id = /^KeyArn([A-Za-z0-9]{1,8})$/.exec(name)?.[1];
    if (id) arns.set(id, value);
  }
  return arns;
}
