import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { Audience } from '../core/config';
import { EDGE_RUNTIME } from './edge-stack';
import { decryptFunctionName, decryptRoleName, keyAliasName } from './keys-stack';
import { DecryptAlarms } from './monitoring';

export interface DecryptStackProps extends StackProps {
  readonly prefix: string;
  /** Folder holding the decrypt bundle (`index.js`). */
  readonly decryptAssetDir: string;
  readonly audiences: readonly Audience[];
  /** Every configured key id. */
  readonly keyIds: readonly string[];
  readonly logRetentionDays: number;
  /** SNS topics the alarms notify (the one in this Region is used). */
  readonly alarmTopicArns: readonly string[];
  /** `FLE_SECRET` for a function of these key ids (see `decrypt/secret-variable.ts`), when the config declares the edge secret. */
  readonly secret?: (keyIds: readonly string[]) => string;
}

/**
 * The data region's decrypt functions: one per audience, each holding only its keys (FLE_KEYS),
 * running as the role the keys stack made for it (kms:Decrypt on exactly those keys), logging to a
 * log group with a retention, invocable only by the audience's principals. It imports nothing from
 * another stack: roles and keys are named (role name, key alias ARN), so removing a key or an
 * audience never waits on an export (see README, "Deploy order").
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
      // KMS Decrypt takes an alias ARN as KeyId; the role's permission is on the key ARN itself.
      const keys = audience.keys.map((id) => ({
        id,
        kmsKeyId: this.formatArn({ service: 'kms', resource: keyAliasName(props.prefix, id) }),
      }));
      const role = iam.Role.fromRoleName(this, `Role-${audience.name}`, decryptRoleName(props.prefix, audience.name), { mutable: false });
      const fn = new lambda.Function(this, `Decrypt-${audience.name}`, {
        functionName,
        description: `edge-fle decrypt for audience ${audience.name} (keys ${audience.keys.join(', ')})`,
        runtime: EDGE_RUNTIME,
        architecture: lambda.Architecture.X86_64,
        handler: 'index.handler',
        code: lambda.Code.fromAsset(props.decryptAssetDir),
        role,
        // Every configured id, so markers of other audiences' keys are known (left or refused), and
        // marker-shaped text of any other id is plain text.
        environment: {
          FLE_KEYS: Stack.of(this).toJsonString(keys),
          FLE_KNOWN_KEY_IDS: JSON.stringify(props.keyIds),
          ...(props.secret ? { FLE_SECRET: props.secret(audience.keys) } : {}),
        },
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
    new DecryptAlarms(this, 'Alarms', { topicArns: props.alarmTopicArns });
  }
}
