import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EdgeKeyManifest } from '../cli/bundle';
import type { Audience, EdgeSecretConfig, FleConfig } from '../core/config';
import { secretVariable } from '../decrypt/secret-variable';
import { DecryptStack } from './decrypt-stack';
import { DESCRIPTION_LABEL, EdgeStack } from './edge-stack';
import { decryptFunctionName, KeysStack } from './keys-stack';
import { acknowledgeFindings } from './nag';
import type { DeployParams } from './params';
import { RotationStack } from './rotation-stack';

/** The bundles the stacks deploy, built beforehand (EdgeFunction cannot run esbuild itself). */
export interface Bundles {
  readonly edgeAssetDir: string;
  /** What the edge bundle embeds (its `edge-fle-keys.json`). */
  readonly edgeKeys: EdgeKeyManifest;
  /**
   * Gate the edge stack with a CloudFormation rule that always fails: for every synthesis but the
   * deploy's verified one (`edge-fle:requireKmsKeys`) and an explicit `edge-fle:unsafeDevKeys`.
   */
  readonly edgeGated?: boolean;
  readonly decryptAssetDir: string;
  /** The rotation worker's bundle, when `edge-fle:rotationBucket` asks for the rotation stack. */
  readonly rewrapAssetDir?: string;
}

/** The app's stacks, for tests and for `infra/app.ts`. */
export interface EdgeFleStacks {
  readonly keys: KeysStack;
  readonly edge: EdgeStack;
  readonly decrypt: DecryptStack;
  readonly rotation?: RotationStack;
}

/** The config's audiences, or one audience `all` holding every key when it names none. */
export function audiencesOf(config: FleConfig, params: DeployParams): Audience[] {
  if (config.audiences.length > 0) return [...config.audiences];
  return [{ name: 'all', keys: config.keys.map((k) => k.id), invokers: [...params.invokers] }];
}

/**
 * Adds the three stacks to `app`, with cdk-nag's AwsSolutions checks over all of them and the
 * reviewed acknowledgements. Keys and decrypt live in the data region, the edge in us-east-1.
 */
export function addStacks(app: App, params: DeployParams, config: FleConfig, bundles: Bundles): EdgeFleStacks {
  const dataEnv = { region: params.dataRegion, ...(params.account ? { account: params.account } : {}) };
  const edgeEnv = { region: 'us-east-1', ...(params.account ? { account: params.account } : {}) };
  const audiences = audiencesOf(config, params);
  const keys = new KeysStack(app, `${params.prefix}-Keys`, {
    env: dataEnv,
    prefix: params.prefix,
    keys: config.keys,
    audiences,
    ...(params.deployRoleArn ? { deployRoleArn: params.deployRoleArn } : {}),
    rewrapPrincipals: params.rewrapPrincipals,
    edgeSecret: config.edgeSecret !== undefined,
    ...(params.rotation ? { rotation: params.rotation } : {}),
    description: 'edge-fle: RSA KMS keys (retained) and the decrypt roles their policies name',
  });
  const edge = new EdgeStack(app, `${params.prefix}-Edge`, {
    env: edgeEnv,
    prefix: params.prefix,
    edgeAssetDir: bundles.edgeAssetDir,
    originDomain: params.originDomain,
    domainNames: params.domainNames,
    certificateArn: params.certificateArn,
    webAclArn: params.webAclArn,
    accessLogging: params.accessLogging,
    keyManifest: bundles.edgeKeys,
    monitoring: {
      topicArns: params.alarmTopicArns,
      rejectionAlarmPercent: params.rejectionAlarmPercent,
      forwardsUnprotected: config.unmatched === 'forward',
      edgeRegions: params.edgeRegions,
      dataRegion: params.dataRegion,
      decryptFunctionNames: audiences.map((a) => decryptFunctionName(params.prefix, a.name)),
    },
    gated: bundles.edgeGated === true || bundles.edgeKeys.status === 'placeholder',
    description: `edge-fle: Lambda@Edge field encryption and CloudFront distribution${DESCRIPTION_LABEL[bundles.edgeKeys.status]}`,
  });
  const decrypt = new DecryptStack(app, `${params.prefix}-Decrypt`, {
    env: dataEnv,
    prefix: params.prefix,
    decryptAssetDir: bundles.decryptAssetDir,
    audiences,
    keyIds: config.keys.map((k) => k.id),
    // Each function gets the secrets of its own key ids only: its role may unwrap no other.
    ...(config.edgeSecret
      ? { secret: (keys: readonly string[]) => secretVariable(config.edgeSecret as EdgeSecretConfig, config.indexes, keys) }
      : {}),
    logRetentionDays: params.logRetentionDays,
    alarmTopicArns: params.alarmTopicArns,
    description: 'edge-fle: decrypt functions, one per audience',
  });
  const rotation =
    params.rotation && bundles.rewrapAssetDir
      ? new RotationStack(app, `${params.prefix}-Rotation`, {
          env: dataEnv,
          prefix: params.prefix,
          rotation: params.rotation,
          keys: config.keys,
          workerAssetDir: bundles.rewrapAssetDir,
          ...(config.edgeSecret
            ? {
                secret: secretVariable(
                  config.edgeSecret,
                  config.indexes,
                  config.keys.map((k) => k.id),
                ),
              }
            : {}),
          logRetentionDays: params.logRetentionDays,
          description: `edge-fle: rotation of s3://${params.rotation.bucket}/${params.rotation.prefix} to key ${params.rotation.to} (Step Functions Distributed Map)`,
        })
      : undefined;
  const stacks = { keys, edge, decrypt, ...(rotation ? { rotation } : {}) };
  acknowledgeFindings(stacks, params);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stacks;
}
