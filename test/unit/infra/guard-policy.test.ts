import { describe, expect, it } from 'vitest';
import { decryptGuardPolicy } from '../../../infra/guard-policy';
import { readParams } from '../../../infra/params';

const ORDERS = 'arn:aws:iam::111122223333:role/orders-app';
const BILLING = 'arn:aws:iam::111122223333:role/billing-app';

describe('decryptGuardPolicy', () => {
  it('denies invoking each decrypt function to all but its audience and the deployment, and changing functions or roles to all but the deployment', () => {
    const params = readParams((key) => ({ 'edge-fle:dataRegion': 'eu-west-1' })[key]);
    const audiences = [
      { name: 'orders', keys: ['01'], invokers: [ORDERS] },
      { name: 'billing', keys: ['02'], invokers: [BILLING] },
    ];
    const policy = decryptGuardPolicy(params, audiences, '111122223333');
    const deployRole = 'arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-eu-west-1';
    const invoke = policy.Statement.filter((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Resource: [
          'arn:aws:lambda:eu-west-1:111122223333:function:EdgeFle-decrypt-orders',
          'arn:aws:lambda:eu-west-1:111122223333:function:EdgeFle-decrypt-orders:*',
        ],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [ORDERS, deployRole] } },
      }),
      expect.objectContaining({ Condition: { ArnNotEquals: { 'aws:PrincipalArn': [BILLING, deployRole] } } }),
    ]);
    const roles = policy.Statement.find((s) => s.Sid === 'OnlyDeploymentChangesDecryptRoles');
    expect(roles).toMatchObject({ Effect: 'Deny', Condition: { ArnNotEquals: { 'aws:PrincipalArn': deployRole } } });
    expect(roles?.Action).toEqual(expect.arrayContaining(['iam:UpdateAssumeRolePolicy', 'iam:PassRole']));
    expect(roles?.Resource).toEqual([
      'arn:aws:iam::111122223333:role/EdgeFle-decrypt-orders',
      'arn:aws:iam::111122223333:role/EdgeFle-decrypt-billing',
    ]);
    expect(policy.Statement.every((s) => s.Effect === 'Deny')).toBe(true);
  });

  it('with an edge secret, also guards the edge role, the rotation role and the edge function, deployable from both Regions', () => {
    const params = readParams(
      (key) => ({ 'edge-fle:dataRegion': 'eu-west-1', 'edge-fle:rotationBucket': 'lake', 'edge-fle:rotationTo': '01' })[key],
    );
    const policy = decryptGuardPolicy(params, [{ name: 'orders', keys: ['01'], invokers: [ORDERS] }], '111122223333', true);
    const roles = policy.Statement.find((s) => s.Sid === 'OnlyDeploymentChangesDecryptRoles');
    expect(roles?.Resource).toEqual([
      'arn:aws:iam::111122223333:role/EdgeFle-decrypt-orders',
      'arn:aws:iam::111122223333:role/EdgeFle-edge-protect',
      'arn:aws:iam::111122223333:role/EdgeFle-rewrap-worker',
    ]);
    expect(roles?.Condition).toEqual({
      ArnNotEquals: {
        'aws:PrincipalArn': [
          'arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-eu-west-1',
          'arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-us-east-1',
        ],
      },
    });
    const functions = policy.Statement.find((s) => s.Sid === 'OnlyDeploymentChangesDecryptFunctions');
    expect(functions?.Resource).toContain('arn:aws:lambda:us-east-1:111122223333:function:EdgeFle-edge-protect');
  });
});
