import type { Audience } from '../core/config';
import { edgeRoleName } from './edge-secret-key';
import { decryptFunctionName, decryptRoleName, rotationRoleName } from './keys-stack';
import type { DeployParams } from './params';

/** An IAM policy document, as Organizations and IAM take it. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Record<string, unknown>[];
}

/**
 * A service control policy (or, attached to every other principal, a permissions boundary) that
 * makes the decrypt functions' resource policies the whole truth. A Lambda resource policy can
 * only allow, so within the account any principal whose own IAM policy allows
 * `lambda:InvokeFunction` could still call a decrypt function; and an IAM administrator could
 * borrow a decrypt role or replace a function's code. These denies close all three, except for the
 * audience's invokers and the deployment.
 *
 * With an edge secret, the edge function's role (a fixed name the secret key's policy names) and
 * the rotation worker's role can unwrap the secret too: the same role denies cover them, and the
 * edge function's code and configuration (in us-east-1) change only by the deployment.
 */
export function decryptGuardPolicy(
  params: DeployParams,
  audiences: readonly Audience[],
  account: string,
  edgeSecret = false,
): PolicyDocument {
  const exec = (region: string): string => `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`;
  const deployRole = params.deployRoleArn ?? exec(params.dataRegion);
  const deployRoles = edgeSecret && !params.deployRoleArn ? [deployRole, exec('us-east-1')] : deployRole;
  const edgeFunction = `arn:aws:lambda:us-east-1:${account}:function:${params.prefix}-edge-protect`;
  const secretReaderRoles = edgeSecret
    ? [edgeRoleName(params.prefix), ...(params.rotation ? [rotationRoleName(params.prefix)] : [])].map(
        (name) => `arn:aws:iam::${account}:role/${name}`,
      )
    : [];
  const functionArn = (audience: string): string =>
    `arn:aws:lambda:${params.dataRegion}:${account}:function:${decryptFunctionName(params.prefix, audience)}`;
  return {
    Version: '2012-10-17',
    Statement: [
      ...audiences.map((audience) => ({
        Sid: `OnlyAudienceInvokes${audience.name.replace(/[^A-Za-z0-9]/g, '')}`,
        Effect: 'Deny',
        Action: 'lambda:InvokeFunction',
        Resource: [functionArn(audience.name), `${functionArn(audience.name)}:*`],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...audience.invokers, deployRole] } },
      })),
      {
        Sid: 'OnlyDeploymentChangesDecryptFunctions',
        Effect: 'Deny',
        Action: ['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:AddPermission'],
        Resource: [...audiences.map((a) => functionArn(a.name)), ...(edgeSecret ? [edgeFunction] : [])],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': deployRoles } },
      },
      {
        Sid: 'OnlyDeploymentChangesDecryptRoles',
        Effect: 'Deny',
        Action: [
          'iam:UpdateAssumeRolePolicy',
          'iam:PutRolePolicy',
          'iam:AttachRolePolicy',
          'iam:PassRole',
          'iam:PutRolePermissionsBoundary',
          'iam:DeleteRolePermissionsBoundary',
          // A role deleted and made again under the same name would inherit the key policies'
          // exemptions (they name the role's ARN).
          'iam:CreateRole',
          'iam:DeleteRole',
          'iam:DeleteRolePolicy',
          'iam:DetachRolePolicy',
          'iam:UpdateRole',
        ],
        Resource: [...audiences.map((a) => `arn:aws:iam::${account}:role/${decryptRoleName(params.prefix, a.name)}`), ...secretReaderRoles],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': deployRoles } },
      },
    ],
  };
}
