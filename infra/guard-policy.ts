import type { Audience } from '../core/config';
import { decryptFunctionName, decryptRoleName } from './keys-stack';
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
 */
export function decryptGuardPolicy(params: DeployParams, audiences: readonly Audience[], account: string): PolicyDocument {
  const deployRole = params.deployRoleArn ?? `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${params.dataRegion}`;
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
        Resource: audiences.map((a) => functionArn(a.name)),
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': deployRole } },
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
        Resource: audiences.map((a) => `arn:aws:iam::${account}:role/${decryptRoleName(params.prefix, a.name)}`),
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': deployRole } },
      },
    ],
  };
}
