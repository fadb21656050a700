import { dirname, resolve } from 'node:path';
import type { FleConfig } from '../core/config';
import type { DeployParams } from './params';

/** Where the keys stack writes its outputs (key id → ARN), read by the fetch steps. */
export const KEYS_OUTPUTS_FILE = '.build/keys-outputs.json';

/** Where the deploy synthesises the assembly it verifies and then deploys, unchanged. */
export const DEPLOY_ASSEMBLY_DIR = '.build/deploy.out';

/** One step of the deployment. */
export type DeployStep =
  | { readonly kind: 'cdk-deploy'; readonly title: string; readonly stacks: readonly string[]; readonly assembly?: string }
  | { readonly kind: 'fetch-public-key'; readonly title: string; readonly keyId: string; readonly keyArn: string; readonly out: string }
  | {
      readonly kind: 'make-edge-secret';
      readonly title: string;
      readonly version: number;
      /** The key ids whose secret the file lacks (each key id has its own). */
      readonly keyIds: readonly string[];
      readonly kmsKeyId: string;
      readonly out: string;
    }
  | { readonly kind: 'cdk-synth'; readonly title: string; readonly assembly: string }
  | { readonly kind: 'verify-keys'; readonly title: string; readonly assembly: string; readonly edgeStack: string };

/**
 * The edge secret versions whose file is missing (each made once, on the first deploy that lists
 * it; an existing file is never replaced: its secret is what makes searchable markers stable), and
 * the key that makes them (the config's `kmsKeyId`, or the keys stack's alias).
 */
export interface SecretPlan {
  readonly missing: readonly { readonly version: number; readonly file: string; readonly missingKeyIds: readonly string[] }[];
  readonly kmsKeyId: string;
}

/** The stack names of a deployment. */
export function stackNames(prefix: string): { keys: string; edge: string; decrypt: string; rotation: string } {
  return { keys: `${prefix}-Keys`, edge: `${prefix}-Edge`, decrypt: `${prefix}-Decrypt`, rotation: `${prefix}-Rotation` };
}

/**
 * The deployment, in order:
 * 1. the keys stack (KMS keys and decrypt roles) in the data region;
 * 2. each key's public key fetched from KMS into the file the config names, with its record
 *    (refusing a PEM that belongs to another key, or a local dev pair in its place);
 * 2b. each edge secret version the config lists without a file made with KMS
 *    `GenerateDataKeyWithoutPlaintext` (its ciphertext only, written where the config names it);
 * 3. every stack synthesised with `edge-fle:requireKmsKeys`, so a key KMS does not hold is an error;
 * 4. each public key the edge template embeds compared with KMS GetPublicKey, by fingerprint;
 * 5. the edge and decrypt stacks deployed from exactly that verified assembly.
 *
 * No stack imports another's export, so every step is safe from any previous state, and running
 * the plan again changes nothing. Before step 1 has run, `pending` plans a key the keys stack does
 * not output yet with a placeholder ARN (what `--dry-run` prints); otherwise it is an error.
 */
export function deployPlan(
  params: DeployParams,
  config: FleConfig,
  keyArns: ReadonlyMap<string, string>,
  pending = false,
  secret: SecretPlan = { missing: [], kmsKeyId: '' },
): DeployStep[] {
  const names = stackNames(params.prefix);
  const configDir = dirname(resolve(params.configFile));
  const steps: DeployStep[] = [{ kind: 'cdk-deploy', title: 'keys: KMS keys and decrypt roles', stacks: [names.keys] }];
  for (const key of config.keys) {
    const keyArn = keyArns.get(key.id) ?? (pending ? `<KeyArn${key.id} output of ${names.keys}>` : undefined);
    if (!keyArn) throw new Error(`the keys stack has no output for key ${key.id}`);
    steps.push({
      kind: 'fetch-public-key',
      title: `public key ${key.id} from KMS`,
      keyId: key.id,
      keyArn,
      out: resolve(configDir, key.publicKeyFile),
    });
  }
  for (const version of secret.missing) {
    steps.push({
      kind: 'make-edge-secret',
      title: `edge secret version ${version.version} for key(s) ${version.missingKeyIds.join(', ')} from KMS (GenerateDataKeyWithoutPlaintext: no plaintext leaves KMS)`,
      version: version.version,
      keyIds: version.missingKeyIds,
      kmsKeyId: secret.kmsKeyId,
      out: resolve(configDir, version.file),
    });
  }
  steps.push(
    { kind: 'cdk-synth', title: 'synthesise with KMS public keys only', assembly: DEPLOY_ASSEMBLY_DIR },
    {
      kind: 'verify-keys',
      title: 'compare the edge bundle key fingerprints with KMS',
      assembly: DEPLOY_ASSEMBLY_DIR,
      edgeStack: names.edge,
    },
    {
      kind: 'cdk-deploy',
      title: params.rotation ? 'edge, decrypt and rotation' : 'edge and decrypt',
      stacks: [names.edge, names.decrypt, ...(params.rotation ? [names.rotation] : [])],
      assembly: DEPLOY_ASSEMBLY_DIR,
    },
  );
  return steps;
}

/** The command line a step runs, or undefined for a step the deploy script does in-process. */
export function commandOf(step: DeployStep, params: DeployParams, cdkArgs: readonly string[]): readonly string[] | undefined {
  switch (step.kind) {
    case 'cdk-deploy':
      return [
        'npx',
        'cdk',
        'deploy',
        ...step.stacks,
        ...(step.assembly ? ['--app', step.assembly] : ['--outputs-file', KEYS_OUTPUTS_FILE]),
        ...cdkArgs,
      ];
    case 'fetch-public-key':
      return ['node', 'bin/fle.mjs', 'fetch-public-key', '--key-id', step.keyArn, '--out', step.out, '--region', params.dataRegion];
    case 'cdk-synth':
      return ['npx', 'cdk', 'synth', '--all', '--quiet', '--output', step.assembly, '-c', 'edge-fle:requireKmsKeys=true', ...cdkArgs];
    case 'verify-keys':
    case 'make-edge-secret':
      return undefined;
  }
}

/** Key id → ARN from the keys stack's outputs file (`{"<prefix>-Keys": {"KeyArn01": "arn:…"}}`). */
export function keyArnsFromOutputs(outputs: unknown, prefix: string): Map<string, string> {
  const stack = (outputs as Record<string, Record<string, string>> | undefined)?.[stackNames(prefix).keys] ?? {};
  const arns = new Map<string, string>();
  for (const [name, value] of Object.entries(stack)) {
    const id = /^KeyArn([A-Za-z0-9]{1,8})$/.exec(name)?.[1];
    if (id) arns.set(id, value);
  }
  return arns;
}

/** The edge secret key's ARN from the keys stack's outputs (`EdgeSecretArn…`), if the stack has one. */
export function secretKeyArnFromOutputs(outputs: unknown, prefix: string): string | undefined {
  const stack = (outputs as Record<string, Record<string, string>> | undefined)?.[stackNames(prefix).keys] ?? {};
  return Object.entries(stack).find(([name]) => name.startsWith('EdgeSecretArn'))?.[1];
}
