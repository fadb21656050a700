import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadDeployConfig } from '../cli/dev-keys';
import { ConfigError, type FleConfig } from '../core/config';
import {
  commandOf,
  type DeployStep,
  deployPlan,
  KEYS_OUTPUTS_FILE,
  keyArnsFromOutputs,
  type SecretPlan,
  secretKeyArnFromOutputs,
} from './deploy-plan';
import { secretKeyAliasName } from './edge-secret-key';
import { decryptGuardPolicy } from './guard-policy';
import type { DeployParams } from './params';
import { type Identity, type PreflightFacts, preflight } from './preflight';
import { audiencesOf } from './stacks';
import { edgeKeysOfAssembly, verifyEdgeKeys } from './verify-keys';

/** Where the deploy writes the SCP that makes the decrypt functions' invokers the whole truth. */
export const GUARD_POLICY_FILE = '.build/decrypt-guard-policy.json';

/** What the deploy does to the world; `deploy.ts` gives the real ones, the rehearsal a harness. */
export interface DeployDeps {
  /** STS GetCallerIdentity. */
  identity(): Promise<Identity>;
  /** KMS GetPublicKey: the SPKI DER of a key ARN. */
  publicKeyOf(keyArn: string): Promise<Uint8Array>;
  /**
   * KMS GenerateDataKeyWithoutPlaintext (AES_256) with the edge secret's encryption context for
   * `version` and `keyId`: the key ARN KMS used and the ciphertext. No plaintext reaches the deploy.
   */
  makeSecret(kmsKeyId: string, version: number, keyId: string): Promise<{ readonly keyArn: string; readonly ciphertextBlob: Uint8Array }>;
  /** Runs a step that has a command line; throws when it fails. */
  run(step: DeployStep, command: readonly string[]): Promise<void>;
  log(line: string): void;
}

/** Why the deploy stopped; nothing after the failing step ran. */
export class DeployRefused extends Error {
  override readonly name = 'DeployRefused';
}

/** Reads the keys stack outputs an earlier deploy left, if any. */
function deployedKeyArns(params: DeployParams): Map<string, string> | undefined {
  if (!existsSync(KEYS_OUTPUTS_FILE)) return undefined;
  const arns = keyArnsFromOutputs(JSON.parse(readFileSync(KEYS_OUTPUTS_FILE, 'utf8')), params.prefix);
  return arns.size > 0 ? arns : undefined;
}

/** The key ids whose keySpec the config file states. */
function statedKeySpecs(configFile: string): Set<string> {
  try {
    const raw = JSON.parse(readFileSync(configFile, 'utf8')) as { keys?: { id?: unknown; keySpec?: unknown }[] };
    return new Set((raw.keys ?? []).filter((k) => typeof k.keySpec === 'string').map((k) => String(k.id)));
  } catch {
    return new Set();
  }
}

/** Each edge secret version's file as it is on disk: missing, a dev secret, or KMS ciphertext. */
function secretFileStates(configFile: string, config: FleConfig): PreflightFacts['secretFiles'] {
  return (config.edgeSecret?.versions ?? []).map((v) => {
    const path = resolve(dirname(resolve(configFile)), v.file);
    const keyIds = config.keys.map((k) => k.id);
    if (!existsSync(path)) return { version: v.version, file: v.file, state: 'missing' as const, missingKeyIds: keyIds };
    if (v.source !== 'kms') return { version: v.version, file: v.file, state: 'dev' as const, missingKeyIds: [] };
    // A key id added since the version was made gets its own secret in the same file.
    const missingKeyIds = keyIds.filter((id) => v.ciphertextBlobs[id] === undefined);
    return { version: v.version, file: v.file, state: 'kms' as const, kmsKeyId: v.kmsKeyId, missingKeyIds };
  });
}

/** Gathers what {@link preflight} judges. Loading the config makes no file but stand-ins under `.build`. */
export async function gatherFacts(params: DeployParams, deps: Pick<DeployDeps, 'identity'>): Promise<PreflightFacts> {
  let config: PreflightFacts['config'];
  let keySources: PreflightFacts['keySources'] = new Map();
  try {
    const loaded = loadDeployConfig(params.configFile, 'build');
    config = loaded.config;
    keySources = loaded.sources;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    config = { problems: error.problems.map((p) => `${p.where}: ${p.message}`) };
  }
  return {
    params,
    config,
    keySources,
    secretFiles: 'problems' in config ? [] : secretFileStates(params.configFile, config),
    identity: await deps.identity(),
    deployedKeyArns: deployedKeyArns(params),
    deployedSecretKeyArn: existsSync(KEYS_OUTPUTS_FILE)
      ? secretKeyArnFromOutputs(JSON.parse(readFileSync(KEYS_OUTPUTS_FILE, 'utf8')), params.prefix)
      : undefined,
    statedKeySpecs: statedKeySpecs(params.configFile),
  };
}

/**
 * `npm run deploy`: checks first (nothing is created when a check fails), prints what it will do,
 * then runs the plan of `deploy-plan.ts`. With `dryRun` it stops after printing the plan.
 */
export async function runDeploy(params: DeployParams, cdkArgs: readonly string[], dryRun: boolean, deps: DeployDeps): Promise<void> {
  const facts = await gatherFacts(params, deps);
  const report = preflight(facts);
  for (const note of report.notes) deps.log(`note: ${note}`);
  if (report.problems.length > 0) {
    throw new DeployRefused(`refusing to deploy; nothing was created:\n${report.problems.map((p) => `- ${p}`).join('\n')}`);
  }
  if ('problems' in facts.config) throw new DeployRefused('the config has problems');
  const config = facts.config;
  deps.log(`edge-fle will:\n${report.actions.map((a) => `  - ${a}`).join('\n')}`);
  if (!('error' in facts.identity)) {
    mkdirSync('.build', { recursive: true });
    const guard = decryptGuardPolicy(params, audiencesOf(config, params), facts.identity.account, config.edgeSecret !== undefined);
    writeFileSync(GUARD_POLICY_FILE, `${JSON.stringify(guard, null, 2)}\n`);
    deps.log(
      `note: only an SCP or permissions boundary can stop other principals of the account invoking a decrypt function: ${GUARD_POLICY_FILE} (README, "Who can decrypt")`,
    );
  }
  const secret: SecretPlan = {
    missing: facts.secretFiles.filter((f) => f.state !== 'dev' && f.missingKeyIds.length > 0),
    kmsKeyId:
      config.edgeSecret?.kmsKeyId ??
      `arn:aws:kms:${params.dataRegion}:${'error' in facts.identity ? '<account>' : facts.identity.account}:${secretKeyAliasName(params.prefix)}`,
  };
  const shown = deployPlan(params, config, facts.deployedKeyArns ?? new Map(), true, secret);
  deps.log(
    `plan:\n${shown.map((s, i) => `  ${i + 1}. ${s.title}: ${commandOf(s, params, cdkArgs)?.join(' ') ?? '(in-process)'}`).join('\n')}`,
  );
  if (dryRun) return;

  const [keysStep] = shown;
  await runStep(keysStep as DeployStep, params, cdkArgs, deps, new Map());
  const keyArns = deployedKeyArns(params);
  if (!keyArns) throw new DeployRefused(`the keys stack left no key ARNs in ${KEYS_OUTPUTS_FILE}`);
  for (const step of deployPlan(params, config, keyArns, false, secret).slice(1)) await runStep(step, params, cdkArgs, deps, keyArns);
  deps.log(`deployed. Key ARNs (put them in ${params.configFile} as kmsKeyId for fle decrypt):`);
  for (const [id, arn] of keyArns) deps.log(`  ${id}  ${arn}`);
}

async function runStep(
  step: DeployStep,
  params: DeployParams,
  cdkArgs: readonly string[],
  deps: DeployDeps,
  keyArns: ReadonlyMap<string, string>,
): Promise<void> {
  const command = commandOf(step, params, cdkArgs);
  deps.log(`== ${step.title}${command ? `: ${command.join(' ')}` : ''}`);
  if (command) {
    await deps.run(step, command);
    return;
  }
  if (step.kind === 'make-edge-secret') {
    await makeSecretVersion(step, deps);
    return;
  }
  if (step.kind === 'verify-keys') {
    const problems = await verifyEdgeKeys(edgeKeysOfAssembly(step.assembly, step.edgeStack), keyArns, deps.publicKeyOf);
    if (problems.length > 0) {
      throw new DeployRefused(
        `the edge bundle does not embed the keys KMS holds; nothing was shipped:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      );
    }
    deps.log('   every embedded public key matches KMS');
  }
}

/**
 * Adds the missing key ids' secrets to an edge secret version file (or makes the file). Never
 * replaces a secret it holds: that secret is what every searchable marker and proof of its key id
 * in storage was made with.
 */
async function makeSecretVersion(step: Extract<DeployStep, { kind: 'make-edge-secret' }>, deps: DeployDeps): Promise<void> {
  const before = existsSync(step.out) ? readFileSync(step.out, 'utf8') : undefined;
  const existing =
    before === undefined
      ? undefined
      : (JSON.parse(before) as { version?: unknown; kmsKeyId?: string; ciphertextBlobs?: Record<string, string> });
  if (existing && (existing.version !== step.version || !existing.ciphertextBlobs || !existing.kmsKeyId)) {
    throw new DeployRefused(`${step.out} is not a KMS-wrapped file of edge secret version ${step.version}; refusing to change it`);
  }
  const blobs: Record<string, string> = { ...existing?.ciphertextBlobs };
  let kmsKeyId = existing?.kmsKeyId;
  for (const keyId of step.keyIds) {
    if (blobs[keyId] !== undefined) continue;
    const made = await deps.makeSecret(kmsKeyId ?? step.kmsKeyId, step.version, keyId);
    if (kmsKeyId !== undefined && made.keyArn !== kmsKeyId)
      throw new DeployRefused(`KMS made key ${keyId}'s secret with another key than ${kmsKeyId}`);
    kmsKeyId = made.keyArn;
    blobs[keyId] = Buffer.from(made.ciphertextBlob).toString('base64');
  }
  // Someone else may have written the file while KMS answered: never overwrite what it now holds.
  const now = existsSync(step.out) ? readFileSync(step.out, 'utf8') : undefined;
  if (now !== before) throw new DeployRefused(`${step.out} changed during the deploy; run npm run deploy again`);
  mkdirSync(dirname(step.out), { recursive: true });
  writeFileSync(
    step.out,
    `${JSON.stringify({ version: step.version, kmsKeyId, ciphertextBlobs: blobs }, null, 2)}\n`,
    existing ? {} : { flag: 'wx' },
  );
  deps.log(
    `   wrote ${step.out}: KMS ciphertext of edge secret version ${step.version} for key(s) ${step.keyIds.join(', ')} (commit it: searchable markers depend on it)`,
  );
}
