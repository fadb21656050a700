import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { KeysStack } from './keys-stack';
import type { DeployParams } from './params';
import type { RotationStack } from './rotation-stack';
import type { EdgeFleStacks } from './stacks';

/** One accepted cdk-nag finding and why. */
interface Acknowledgement {
  readonly scope: IConstruct;
  readonly id: string;
  readonly reason: string;
}

function rule(id: string): string {
  return `AwsSolutions::AwsSolutions-${id}`;
}

/**
 * The cdk-nag AwsSolutions findings this design accepts, each with the reason a reviewer needs.
 * Everything else cdk-nag reports fails synthesis (and `test/infra`).
 */
export function acknowledgements({ keys, edge, decrypt, rotation }: EdgeFleStacks, params: DeployParams): Acknowledgement[] {
  const list: Acknowledgement[] = [];
  // cdk-nag names the account as the template has it: a literal when edge-fle:account is set.
  const account = params.account ?? '<AWS::AccountId>';
  for (const [audience, role] of keys.decryptRoles) {
    list.push({
      scope: role,
      id: `${rule('IAM5')}[Resource::arn:<AWS::Partition>:logs:${params.dataRegion}:${account}:log-group:/aws/lambda/${params.prefix}-decrypt-${audience}:*]`,
      reason:
        "The only wildcard is the log-stream suffix of the function's own log group, the form CloudWatch Logs ARNs take for CreateLogStream and PutLogEvents.",
    });
  }
  list.push({
    scope: edge.edgeFunction.role as IConstruct,
    id: `${rule('IAM5')}[Resource::arn:<AWS::Partition>:logs:*:${account}:log-group:/aws/lambda/us-east-1.${edge.edgeFunctionName}:*]`,
    reason:
      'Lambda@Edge writes to /aws/lambda/us-east-1.<function> in whichever Region serves the request, so the Region must be a wildcard; the log group name is exact.',
  });
  for (const fn of [edge.edgeFunction, ...decrypt.functions.values(), ...(rotation ? [rotation.worker] : [])]) {
    list.push({
      scope: fn,
      id: rule('L1'),
      reason:
        'Pinned to nodejs24.x on purpose: the bundles are built for it and the tests run on Node 24 (the npm `node` package); a runtime bump is a deliberate change with its own tests.',
    });
  }
  if (rotation && params.rotation) list.push(...rotationAcknowledgements(keys, rotation, params, account));
  const distribution = edge.distribution;
  list.push({
    scope: distribution,
    id: rule('CFR1'),
    reason: 'An API for clients everywhere; geo restriction is a business decision left to the operator, not a default.',
  });
  if (!params.webAclArn) {
    list.push({
      scope: distribution,
      id: rule('CFR2'),
      reason:
        'WAF is a deployment parameter (edge-fle:webAclArn): the web ACL is owned by the security team and shared across distributions.',
    });
  }
  if (!params.certificateArn) {
    list.push({
      scope: distribution,
      id: rule('CFR4'),
      reason:
        "No custom domain configured, so CloudFront's default certificate is used and its TLSv1 policy cannot be changed; setting edge-fle:domainNames and edge-fle:certificateArn enforces TLSv1.2_2021.",
    });
  }
  if (!params.accessLogging) {
    list.push({
      scope: distribution,
      id: rule('CFR3'),
      reason:
        'The operator turned CloudFront standard logging off (edge-fle:accessLogging=false), for example because real-time logs or a central pipeline already record every request.',
    });
  }
  const logBucket = edge.node.tryFindChild('AccessLogs');
  if (logBucket) {
    list.push({
      scope: logBucket,
      id: rule('S1'),
      reason:
        'This is the access-log bucket itself: logging its own access would log into itself; it is private, encrypted, TLS-only and expires objects.',
    });
  }
  return list;
}

/** The rotation's accepted findings: object prefixes, log streams, and what Step Functions needs. */
function rotationAcknowledgements(keys: KeysStack, rotation: RotationStack, params: DeployParams, account: string): Acknowledgement[] {
  const job = params.rotation as NonNullable<DeployParams['rotation']>;
  const list: Acknowledgement[] = [];
  const workerRole = keys.node.tryFindChild('RewrapWorkerRole');
  if (workerRole) {
    for (const prefix of new Set([job.prefix, job.destinationPrefix ?? job.prefix])) {
      list.push({
        scope: workerRole,
        id: `${rule('IAM5')}[Resource::arn:<AWS::Partition>:s3:::${job.bucket}/${prefix}*]`,
        reason:
          'The worker reads and writes the objects under the rotation prefix, and only those: the wildcard is the object key below the prefix.',
      });
    }
    list.push({
      scope: workerRole,
      id: `${rule('IAM5')}[Resource::arn:<AWS::Partition>:logs:${params.dataRegion}:${account}:log-group:/aws/lambda/${params.prefix}-rewrap-worker:*]`,
      reason:
        "The only wildcard is the log-stream suffix of the worker's own log group, the form CloudWatch Logs ARNs take for CreateLogStream and PutLogEvents.",
    });
  }
  const role = rotation.stateMachine.role;
  const stack = Stack.of(rotation);
  const workerId = stack.getLogicalId(rotation.worker.node.defaultChild as CfnElement);
  const machineId = stack.getLogicalId(rotation.stateMachine.node.defaultChild as CfnElement);
  list.push(
    {
      scope: role,
      id: `${rule('IAM5')}[Resource::<${workerId}.Arn>:*]`,
      reason: "Lambda's invoke permission names the worker's versions and aliases with ':*'; it is this one function.",
    },
    {
      scope: role,
      id: `${rule('IAM5')}[Resource::arn:<AWS::Partition>:s3:::<${stack.getLogicalId(rotation.results.node.defaultChild as CfnElement)}>/*]`,
      reason:
        "The Map Run writes its results into the rotation's own results bucket, which holds nothing else; the wildcard is the result object's key.",
    },
    {
      scope: rotation.results,
      id: rule('S1'),
      reason:
        'The results bucket holds only Map Run manifests (object keys and result codes, no data); it is private, encrypted, TLS-only and expires objects after a year.',
    },
    {
      scope: role,
      id: `${rule('IAM5')}[Resource::*]`,
      reason:
        'CloudWatch Logs delivery and X-Ray tracing for a state machine only accept "*" as their resource (AWS documents this for Step Functions logging and tracing).',
    },
  );
  const mapPolicy = rotation.stateMachine.node.tryFindChild('DistributedMapPolicy');
  if (mapPolicy) {
    for (const suffix of [':*', '/*:*']) {
      list.push({
        scope: mapPolicy,
        id: `${rule('IAM5')}[Resource::arn:<AWS::Partition>:states:${params.dataRegion}:${account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}${suffix}]`,
        reason:
          "A Distributed Map starts, describes and redrives its own child executions; the wildcard is the execution name under this state machine's ARN.",
      });
    }
  }
  return list;
}

/** Applies {@link acknowledgements}. */
export function acknowledgeFindings(stacks: EdgeFleStacks, params: DeployParams): void {
  for (const { scope, id, reason } of acknowledgements(stacks, params)) Validations.of(scope).acknowledge({ id, reason });
}
