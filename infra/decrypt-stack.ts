import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { Audience } from '../core/config';
import { EDGE_RUNTIME } from './edge-stack';
import { decryptFunctionName } from './keys-stack';

export interface DecryptStackProps extends StackProps {
  readonly prefix: string;
  /** Folder holding the decrypt bundle (`index.js`). */
  readonly decryptAssetDir: string;
  readonly audiences: readonly Audience[];
  /** Key id → KMS key (from the keys stack, same Region). */
  readonly keys: ReadonlyMap<string, kms.IKey>;
  /** Audience name → execution role (from the keys stack, where the key policies name it). */
  readonly roles: ReadonlyMap<string, iam.IRole>;
  readonly logRetentionDays: number;
}

/**
 * The data region's decrypt functions: one per audience, each holding only its keys (FLE_KEYS),
 * running as a role that may call kms:Decrypt on exactly those key ARNs, logging to a log group
 * with a retention, invocable only by the audience's principals.
 */
export class DecryptStack extends Stack {
  readonly functions = new Map<string, lambda.Function>();

  constructor(scope: Construct, id: string, props: DecryptStackProps) {
    super(scope, id, props);
    for (const audience of props.audiences) {
      const functionName = decryptFunctionName(props.prefix, audience.name);
      const logGroup = new logs.LogGroup(this, `Logs-${audience.name}`, {
        logGroupName: `/aws/lambda/${functionName}`,
        retention: props.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const keys = audience.keys.map((id) => ({ id, kmsKeyId: (props.keys.get(id) as kms.IKey).keyArn }));
      const fn = new lambda.Function(this, `Decrypt-${audience.name}`, {
        functionName,
        description: `edge-fle decrypt for audience ${audience.name} (keys ${audience.keys.join(', ')})`,
        runtime: EDGE_RUNTIME,
        architecture: lambda.Architecture.X86_64,
        handler: 'index.handler',
        code: lambda.Code.fromAsset(props.decryptAssetDir),
        role: props.roles.get(audience.name) as iam.IRole,
        // Every configured id, so markers of other audiences' keys are known (left or refused), and
        // marker-shaped text of any other id is plain text.
        environment: { FLE_KEYS: Stack.of(this).toJsonString(keys), FLE_KNOWN_KEY_IDS: JSON.stringify([...props.keys.keys()]) },
        logGroup,
        timeout: Duration.seconds(30),
        memorySize: 512,
      });
      for (const invoker of audience.invokers) fn.grantInvoke(new iam.ArnPrincipal(invoker));
      this.functions.set(audience.name, fn);
      new CfnOutput(this, `DecryptFunctionArn${audience.name.replace(/-/g, '')}`, {
        value: fn.functionArn,
        description: `decrypt function for ${audience.name}`,
      });
    }
  }
}
