import { type KeySource, keyFileShown } from '../cli/key-provenance';
import type { FleConfig } from '../core/config';
import { stackNames } from './deploy-plan';
import type { DeployParams } from './params';

/** Who the deploy would act as (STS GetCallerIdentity), or why that is unknown. */
export type Identity = { readonly account: string; readonly arn: string } | { readonly error: string };

/** What `npm run deploy` knows before it changes anything; gathered by `deploy.ts`, judged here. */
export interface PreflightFacts {
  readonly params: DeployParams;
  /** The loaded config, or every problem loading it (schema, key files, key spec against file). */
  readonly config: FleConfig | { readonly problems: readonly string[] };
  /** Key id → where its public key file came from (`stand-in` when the file is missing). */
  readonly keySources: ReadonlyMap<string, KeySource>;
  readonly identity: Identity;
  /** Key id → ARN, from an earlier deploy's keys stack outputs (undefined on a first deploy). */
  readonly deployedKeyArns: ReadonlyMap<string, string> | undefined;
  /** Key ids whose `keySpec` the config file states (not read off a PEM another clone may lack). */
  readonly statedKeySpecs: ReadonlySet<string>;
  /** Each edge secret version's file: missing (the deploy makes it with KMS), a dev secret, or KMS ciphertext. */
  readonly secretFiles: readonly {
    readonly version: number;
    readonly file: string;
    readonly state: 'missing' | 'dev' | 'kms';
    /** The key that wrapped it (a `kms` file). */
    readonly kmsKeyId?: string;
    /** Key ids of the config the file holds no secret for (all of them when it is missing). */
    readonly missingKeyIds: readonly string[];
  }[];
  /** The edge secret key an earlier deploy's keys stack holds, if any. */
  readonly deployedSecretKeyArn?: string | undefined;
}

/** The verdict: refuse on any problem; otherwise what the deploy will do and what to know. */
export interface PreflightReport {
  readonly problems: readonly string[];
  readonly actions: readonly string[];
  readonly notes: readonly string[];
}

/** The config's example ARN (all-zero key id): not yet set, so not checked. */
const PLACEHOLDER_KEY = /:key\/0{8}-0{4}-0{4}-0{4}-0{12}$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):/;

/**
 * Checks everything that can be checked before anything is created: credentials and account,
 * Region, config, key files (dev keys where KMS keys must go, files that would be replaced), ARNs
 * of another Region or account. Pure: the facts come from the caller.
 */
export function preflight(facts: PreflightFacts): PreflightReport {
  const { params } = facts;
  const problems: string[] = [];
  const actions: string[] = [];
  const notes: string[] = [];
  const names = stackNames(params.prefix);

  if ('error' in facts.identity) {
    problems.push(`no usable AWS credentials (${facts.identity.error}). Fix: configure credentials (AWS_PROFILE, --profile, SSO login)`);
  } else if (params.account !== undefined && params.account !== facts.identity.account) {
    problems.push(
      `the credentials are for account ${facts.identity.account} but edge-fle:account is ${params.account}. Fix: use the other account's credentials or correct edge-fle:account`,
    );
  }
  const account = 'error' in facts.identity ? params.account : facts.identity.account;
  for (const [name, arn] of [
    ['certificateArn', params.certificateArn],
    ['webAclArn', params.webAclArn],
  ] as const) {
    const owner = arn === undefined ? undefined : /^arn:aws[a-z-]*:[a-z0-9]+:[a-z0-9-]*:(\d{12}):/.exec(arn)?.[1];
    if (owner !== undefined && account !== undefined && owner !== account) {
      problems.push(
        `edge-fle:${name} belongs to account ${owner}; CloudFront needs it in ${account}, the deploy's. Fix: use one of this account's`,
      );
    }
  }
  if (params.originDomain === 'origin.example.com') {
    problems.push('no origin set. Fix: npm run deploy -- -c edge-fle:originDomain=<your API domain>');
  }

  if ('problems' in facts.config) {
    problems.push(...facts.config.problems.map((p) => `config ${params.configFile}: ${p}`));
    return { problems, actions, notes };
  }
  const config = facts.config;
  for (const key of config.keys) {
    const source = facts.keySources.get(key.id);
    const file = keyFileShown(params.configFile, key.publicKeyFile);
    if (!facts.statedKeySpecs.has(key.id)) {
      // Read off the PEM, the spec would differ on a clone without it, and KMS cannot change a key's spec.
      problems.push(
        `key ${key.id}: the config does not state its keySpec. Fix: add "keySpec": "${key.keySpec ?? 'RSA_2048'}" (or the spec the key has in KMS) to keys[] in ${params.configFile}, so every clone deploys the same key`,
      );
    }
    if (source?.kind === 'kms') {
      const recorded = KMS_ARN.exec(source.keyArn);
      if (recorded && (recorded[1] !== params.dataRegion || (account !== undefined && recorded[2] !== account))) {
        problems.push(
          `key ${key.id}: ${file} was fetched from ${source.keyArn}, a key of another Region or account than this deployment (${params.dataRegion}${account ? `, ${account}` : ''}). Fix: move ${file} and its .kms.json away; the deploy fetches this deployment's key`,
        );
      }
    }
    if (source?.kind === 'local') {
      problems.push(
        `key ${key.id}: ${file} is not a KMS public key: ${source.why}. The deploy writes the KMS public key there. Fix: move ${file} (and its .key.pem, if any) away, for example to config/dev-keys/, then run again`,
      );
    } else if (source?.kind === 'stand-in') {
      actions.push(`write ${file} (and its .kms.json record) with the public key of KMS key ${key.id}`);
    } else if (source?.kind === 'kms') {
      const deployed = facts.deployedKeyArns?.get(key.id);
      if (deployed !== undefined && deployed !== source.keyArn) {
        problems.push(
          `key ${key.id}: ${file} holds the public key of ${source.keyArn}, but ${names.keys} holds ${deployed} for that id. Fix: check which is right; move the file away to fetch the deployed key`,
        );
      } else {
        actions.push(`check ${file} against KMS (fetched earlier from ${source.keyArn})`);
      }
    }
    const arn = key.kmsKeyId;
    const where = arn === undefined ? undefined : KMS_ARN.exec(arn);
    if (arn !== undefined && !PLACEHOLDER_KEY.test(arn)) {
      if (!where) {
        problems.push(`key ${key.id}: kmsKeyId "${arn}" is not a KMS key ARN. Fix: use the ARN npm run deploy prints`);
      } else if (where[1] !== params.dataRegion) {
        problems.push(
          `key ${key.id}: kmsKeyId is in ${where[1]} but the keys are deployed to edge-fle:dataRegion ${params.dataRegion}. Fix: set -c edge-fle:dataRegion=${where[1]}, or correct kmsKeyId in ${params.configFile}`,
        );
      } else if (account !== undefined && where[2] !== account) {
        problems.push(
          `key ${key.id}: kmsKeyId belongs to account ${where[2]}, the deploy to ${account}. Fix: correct kmsKeyId or the credentials`,
        );
      } else if (facts.deployedKeyArns?.get(key.id) !== undefined && facts.deployedKeyArns.get(key.id) !== arn) {
        notes.push(`key ${key.id}: kmsKeyId differs from the deployed key ${facts.deployedKeyArns.get(key.id)}; fle decrypt uses kmsKeyId`);
      }
    }
  }
  for (const secret of facts.secretFiles) {
    if (secret.state === 'dev') {
      problems.push(
        `edge secret version ${secret.version}: ${secret.file} is a dev secret in clear. Fix: move it away; the deploy then makes the version with KMS (markers made with the dev secret stay local)`,
      );
    } else if (secret.state === 'kms' && secret.kmsKeyId) {
      // The edge would seal with a secret whoever holds that key can read: only the keys stack's own key.
      const where = KMS_ARN.exec(secret.kmsKeyId);
      const foreign = !where || where[1] !== params.dataRegion || (account !== undefined && where[2] !== account);
      const other = facts.deployedSecretKeyArn !== undefined && facts.deployedSecretKeyArn !== secret.kmsKeyId;
      if (foreign || other) {
        problems.push(
          `edge secret version ${secret.version}: ${secret.file} was wrapped by ${secret.kmsKeyId}, not by ${facts.deployedSecretKeyArn ?? `a key of the keys stack in ${params.dataRegion}${account ? ` / ${account}` : ''}`}. Fix: move the file away; the deploy makes the version with the stack's key`,
        );
      }
    }
    if (secret.state !== 'dev' && secret.missingKeyIds.length > 0) {
      actions.push(
        `make edge secret version ${secret.version} for key(s) ${secret.missingKeyIds.join(', ')} with KMS GenerateDataKeyWithoutPlaintext and write the ciphertext to ${secret.file}`,
      );
    }
  }
  const secretArn = config.edgeSecret?.kmsKeyId;
  const secretWhere = secretArn ? KMS_ARN.exec(secretArn) : undefined;
  if (
    secretArn &&
    !/key\/mrk-0{32}$/.test(secretArn) &&
    secretWhere &&
    (secretWhere[1] !== params.dataRegion || (account && secretWhere[2] !== account))
  ) {
    problems.push(
      `edgeSecret.kmsKeyId is in ${secretWhere[1]} / account ${secretWhere[2]}, the keys stack in ${params.dataRegion}${account ? ` / ${account}` : ''}. Fix: correct edgeSecret.kmsKeyId (or drop it: the deploy uses the keys stack's alias)`,
    );
  }
  if (config.audiences.length === 0 && params.invokers.length === 0) {
    notes.push('no audience and no edge-fle:invokers: nobody is granted invoke on the decrypt function');
  }

  const deployedIds = [...(facts.deployedKeyArns?.keys() ?? [])];
  const configured = new Set(config.keys.map((k) => k.id));
  const retired = deployedIds.filter((id) => !configured.has(id));
  const added = config.keys.map((k) => k.id).filter((id) => facts.deployedKeyArns !== undefined && !facts.deployedKeyArns.has(id));
  const region = params.dataRegion;
  actions.unshift(
    facts.deployedKeyArns === undefined
      ? `create ${names.keys} in ${region}${account ? ` (account ${account})` : ''}: ${config.keys.length} KMS key(s) (retained), decrypt roles`
      : `update ${names.keys} in ${region}${added.length > 0 ? `: new key(s) ${added.join(', ')}` : ''}${retired.length > 0 ? `; key(s) ${retired.join(', ')} leave the stack and stay in KMS (retained: schedule deletion yourself once nothing is encrypted to them)` : ''}`,
  );
  actions.push(
    `deploy ${names.edge} in us-east-1 (edge function for origin ${params.originDomain}, encrypting with key ${config.encryptWith})`,
    `deploy ${names.decrypt} in ${region}: ${config.audiences.length > 0 ? config.audiences.map((a) => `${a.name} (keys ${a.keys.join(', ')})`).join(', ') : `all (keys ${config.keys.map((k) => k.id).join(', ')})`}`,
  );
  return { problems, actions, notes };
}
