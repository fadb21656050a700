import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { ResolvedKey } from '../core/config';
import type { RewrapJob } from '../rewrap/batch';
import { EDGE_RUNTIME } from './edge-stack';
import { keyAliasName, rotationFunctionName, rotationRoleName } from './keys-stack';
import type { RotationParams } from './params';

/** KMS calls each worker keeps in flight per object. */
export const KMS_IN_FLIGHT = 2;
/** A KMS call's typical latency in-Region, for sizing concurrency (ms). */
const KMS_LATENCY_MS = 10;

/**
 * How many batches run at once: the quota share the deployer allows, divided by what one worker
 * can ask of KMS (`KMS_IN_FLIGHT` calls every `KMS_LATENCY_MS`). At the default RSA quota (500/s)
 * and half of it: 250 / 200 = 1. Throttling beyond that is absorbed by the retry's backoff.
 *
 * @example rotationConcurrency(500, 0.5) // 1
 */
export function rotationConcurrency(quotaRps: number, share: number): number {
  const perWorker = (KMS_IN_FLIGHT * 1000) / KMS_LATENCY_MS;
  return Math.max(1, Math.floor((quotaRps * share) / perWorker));
}

export interface RotationStackProps extends StackProps {
  readonly prefix: string;
  readonly rotation: RotationParams;
  readonly keys: readonly ResolvedKey[];
  /** Folder holding the worker bundle (`index.js`). */
  readonly workerAssetDir: string;
  readonly logRetentionDays: number;
  /** `FLE_SECRET` (see `decrypt/secret-variable.ts`), when the config declares the edge secret. */
  readonly secret?: string;
}

/**
 * Rotation over a data lake: a Step Functions Distributed Map reads the objects under the prefix
 * (S3 listing), hands them in batches to the rewrap worker (the same code as `fle rewrap-s3`),
 * and writes the Map Run's results (every object's outcome and code) to a results bucket of its
 * own, under `rewrap-results/<prefix>`: the state machine lists the lake and writes nowhere in it. Concurrency comes from the KMS quota the deployer declares; a throttled batch
 * is retried with exponential, jittered backoff; objects already rewrapped are skipped, so a rerun
 * resumes. The worker's role is in the keys stack, beside the keys it may open.
 */
export class RotationStack extends Stack {
  readonly stateMachine: sfn.StateMachine;
  readonly worker: lambda.Function;
  /** Where Map Runs write their results: a bucket of its own, so the state machine writes nowhere in the lake. */
  readonly results: s3.Bucket;
  readonly maxConcurrency: number;

  constructor(scope: Construct, id: string, props: RotationStackProps) {
    super(scope, id, props);
    const { rotation } = props;
    const target = props.keys.find((k) => k.id === rotation.to);
    if (!target) throw new Error(`edge-fle:rotationTo "${rotation.to}" is not a key of the config`);
    const bucket = s3.Bucket.fromBucketName(this, 'Lake', rotation.bucket);
    const job: RewrapJob = {
      bucket: rotation.bucket,
      prefix: rotation.prefix,
      to: { id: target.id, publicKeyPem: target.publicKeyPem },
      knownKeyIds: props.keys.map((k) => k.id),
      ...(rotation.destinationPrefix !== undefined ? { destinationPrefix: rotation.destinationPrefix } : {}),
      keys: props.keys
        .filter((k) => k.id !== rotation.to)
        .map((k) => ({ id: k.id, kmsKeyId: this.formatArn({ service: 'kms', resource: keyAliasName(props.prefix, k.id) }) })),
      kmsInFlight: KMS_IN_FLIGHT,
    };
    const functionName = rotationFunctionName(props.prefix);
    this.worker = new lambda.Function(this, 'Worker', {
      functionName,
      description: `edge-fle rotation worker: s3://${rotation.bucket}/${rotation.prefix} to key ${rotation.to}`,
      runtime: EDGE_RUNTIME,
      architecture: lambda.Architecture.X86_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.workerAssetDir),
      role: iam.Role.fromRoleName(this, 'WorkerRole', rotationRoleName(props.prefix), { mutable: false }),
      environment: { FLE_REWRAP: Stack.of(this).toJsonString(job), ...(props.secret ? { FLE_SECRET: props.secret } : {}) },
      timeout: Duration.minutes(5),
      memorySize: 1024,
      logGroup: new logs.LogGroup(this, 'WorkerLogs', {
        logGroupName: `/aws/lambda/${functionName}`,
        retention: props.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
    });

    const invoke = new tasks.LambdaInvoke(this, 'RewrapBatch', { lambdaFunction: this.worker, payloadResponseOnly: true });
    invoke.addRetry({
      errors: ['Throttled'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 8,
      jitterStrategy: sfn.JitterType.FULL,
    });
    invoke.addRetry({
      // A worker timing out leaves every object whole (each is written once); the retry resumes.
      errors: ['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'Lambda.SdkClientException', 'Sandbox.Timedout'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      jitterStrategy: sfn.JitterType.FULL,
    });
    this.maxConcurrency = rotationConcurrency(rotation.kmsQuotaRps, rotation.quotaShare);
    this.results = new s3.Bucket(this, 'Results', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const map = new sfn.DistributedMap(this, 'EveryObject', {
      itemReader: new sfn.S3ObjectsItemReader({ bucket, prefix: rotation.prefix }),
      itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: 20 }),
      maxConcurrency: this.maxConcurrency,
      resultWriterV2: new sfn.ResultWriterV2({ bucket: this.results, prefix: `rewrap-results/${rotation.prefix}` }),
      // A failed batch is in the results; the run goes on with the others.
      toleratedFailurePercentage: 100,
    });
    map.itemProcessor(invoke);
    new CfnOutput(this, 'ResultsBucket', { value: this.results.bucketName, description: 'where each Map Run writes its results' });
    this.stateMachine = new sfn.StateMachine(this, 'Rotation', {
      stateMachineName: `${props.prefix}-rotation`,
      definitionBody: sfn.DefinitionBody.fromChainable(map),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'RotationLogs', {
          retention: props.logRetentionDays as logs.RetentionDays,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        // Every state transition, without execution data: inputs and outputs hold object keys and
        // result codes only, but logs need not hold even those.
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
  }
}
