import { ArnFormat, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { type Audience, EC_KEY_SPEC, type ResolvedKey } from '../core/config';
import { EdgeSecretKey, edgeRoleName } from './edge-secret-key';
import { ADMIN_ACTIONS, NEVER_ACTIONS, USE_ACTIONS, useAction } from './key-policy';

export interface KeysStackProps extends StackProps {
  readonly prefix: string;
  readonly keys: readonly ResolvedKey[];
  /** Who may decrypt which keys; each gets an execution role here, named in the key policies. */
  readonly audiences: readonly Audience[];
  /** Principals that administer the keys (default: the account root, i.e. IAM in this account). */
  readonly adminPrincipals?: readonly iam.IPrincipal[];
  /**
   * The role CloudFormation deploys with: besides the account's root user, the only principal that
   * may put a key policy (KMS's lockout check needs the deployer allowed; the root user is the
   * break-glass). Default: CDK's bootstrap execution role.
   */
  readonly deployRoleArn?: string;
  /** Roles (rotation jobs) that may also decrypt with every key. */
  readonly rewrapPrincipals?: readonly string[];
  /** Make the edge secret's KMS key (the config declares `edgeSecret`). */
  readonly edgeSecret?: boolean;
  /** The data-lake rotation's worker, when configured: its role lives here, beside the keys it opens. */
  readonly rotation?: {
    readonly bucket: string;
    readonly prefix: string;
    readonly destinationPrefix: string | undefined;
    readonly to: string;
  };
}

/** The name of the rotation worker's role (the rotation stack names it without importing it). */
export function rotationRoleName(prefix: string): string {
  return `${prefix}-rewrap-worker`;
}

/** The name of the rotation worker function (its log group is derived from it). */
export function rotationFunctionName(prefix: string): string {
  return `${prefix}-rewrap-worker`;
}

/** The name every decrypt function of an audience has (its log group is derived from it). */
export function decryptFunctionName(prefix: string, audience: string): string {
  return `${prefix}-decrypt-${audience}`;
}

/**
 * The name of an audience's decrypt role. Fixed, so the decrypt stack names it without importing
 * it: no stack imports another's export, so every stack deploys in any order (see README).
 */
export function decryptRoleName(prefix: string, audience: string): string {
  return `${prefix}-decrypt-${audience}`;
}

/** The alias of a key id: how the decrypt functions name their keys without importing their ARNs. */
export function keyAliasName(prefix: string, keyId: string): string {
  return `alias/${prefix.toLowerCase()}/${keyId}`;
}

/**
 * The data region's keys: one RSA ENCRYPT_DECRYPT KMS key per configured key id, with an alias,
 * retained when the stack goes. Key policies separate administration (manage, not use) from use
 * (kms:Decrypt for the decrypt roles of the audiences holding that key, nobody else), and deny
 * any Decrypt that is not RSAES_OAEP_SHA_256. The decrypt roles live here so the key policies can
 * name them exactly.
 */
export class KeysStack extends Stack {
  /** Key id → KMS key. */
  readonly keys = new Map<string, kms.Key>();
  /** Audience name → its decrypt function's execution role. */
  readonly decryptRoles = new Map<string, iam.Role>();
  /** The edge secret's key, when the config declares the secret. */
  readonly edgeSecretKey: EdgeSecretKey | undefined;

  constructor(scope: Construct, id: string, props: KeysStackProps) {
    super(scope, id, props);
    for (const audience of props.audiences) {
      const functionName = decryptFunctionName(props.prefix, audience.name);
      const role = new iam.Role(this, `DecryptRole-${audience.name}`, {
        roleName: decryptRoleName(props.prefix, audience.name),
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `edge-fle decrypt function for audience ${audience.name}: kms:Decrypt on keys ${audience.keys.join(', ')} only`,
      });
      // Logs go to the function's own log group (created with a retention by the decrypt stack).
      role.addToPolicy(this.functionLogs(functionName));
      this.decryptRoles.set(audience.name, role);
    }

    const rotationRole = props.rotation ? this.rotationRole(props.prefix, props.rotation) : undefined;
    const admins = props.adminPrincipals ?? [new iam.AccountRootPrincipal()];
    const deployRole =
      props.deployRoleArn ?? `arn:${this.partition}:iam::${this.account}:role/cdk-hnb659fds-cfn-exec-role-${this.account}-${this.region}`;
    const rootUser = `arn:${this.partition}:iam::${this.account}:root`;
    for (const key of props.keys) {
      const users = [
        ...props.audiences.filter((a) => a.keys.includes(key.id)).map((a) => (this.decryptRoles.get(a.name) as iam.Role).roleArn),
        ...(props.rewrapPrincipals ?? []),
        // The rotation opens every key but the one it rewraps to.
        ...(rotationRole && props.rotation?.to !== key.id ? [rotationRole.roleArn] : []),
      ];
      const ec = key.keySpec === EC_KEY_SPEC;
      const use = useAction(key);
      const statements = [
        new iam.PolicyStatement({ sid: 'Administration', principals: [...admins], actions: ADMIN_ACTIONS, resources: ['*'] }),
        // IAM decides who of the account may try; the deny below leaves only the deployment.
        new iam.PolicyStatement({
          sid: 'PolicyByDeployment',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:PutKeyPolicy'],
          resources: ['*'],
        }),
        // The public key is not secret; the deploy reads it to build the edge bundle.
        new iam.PolicyStatement({
          sid: 'ReadPublicKey',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:GetPublicKey', 'kms:DescribeKey'],
          resources: ['*'],
        }),
        ec
          ? new iam.PolicyStatement({
              sid: 'DenyOtherKeyAgreementAlgorithms',
              effect: iam.Effect.DENY,
              principals: [new iam.AnyPrincipal()],
              actions: ['kms:DeriveSharedSecret'],
              resources: ['*'],
              conditions: { StringNotEquals: { 'kms:KeyAgreementAlgorithm': 'ECDH' } },
            })
          : new iam.PolicyStatement({
              sid: 'DenyDecryptWithOtherAlgorithms',
              effect: iam.Effect.DENY,
              principals: [new iam.AnyPrincipal()],
              actions: ['kms:Decrypt'],
              resources: ['*'],
              conditions: { StringNotEquals: { 'kms:EncryptionAlgorithm': 'RSAES_OAEP_SHA_256' } },
            }),
        // Explicit denies win over any allow, in this policy or in IAM: an administrator who can
        // write IAM policies still cannot decrypt, grant, re-encrypt or rewrite this policy.
        new iam.PolicyStatement({
          sid: 'DenyUseButByDecryptRoles',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: USE_ACTIONS,
          resources: ['*'],
          ...(users.length > 0 ? { conditions: { ArnNotEquals: { 'aws:PrincipalArn': users } } } : {}),
        }),
        new iam.PolicyStatement({
          sid: 'DenyGrantsAndReEncrypt',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: NEVER_ACTIONS,
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'DenyPolicyChangesButByDeployment',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:PutKeyPolicy'],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': [deployRole, rootUser] } },
        }),
      ];
      if (users.length > 0) {
        statements.push(
          new iam.PolicyStatement({
            sid: 'DecryptByAudiences',
            principals: users.map((arn) => new iam.ArnPrincipal(arn)),
            actions: [use],
            resources: ['*'],
          }),
        );
      }
      const kmsKey = new kms.Key(this, `Key${key.id}`, {
        description: `edge-fle key ${key.id} (${key.keySpec ?? 'RSA'}): field-level encryption at the edge`,
        keySpec: kms.KeySpec[key.keySpec ?? 'RSA_2048'],
        keyUsage: ec ? kms.KeyUsage.KEY_AGREEMENT : kms.KeyUsage.ENCRYPT_DECRYPT,
        alias: keyAliasName(props.prefix, key.id),
        policy: new iam.PolicyDocument({ statements }),
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.keys.set(key.id, kmsKey);
      new CfnOutput(this, `KeyArn${key.id}`, { value: kmsKey.keyArn, description: `KMS key ARN for key id ${key.id}` });
    }

    this.edgeSecretKey = props.edgeSecret
      ? new EdgeSecretKey(this, 'EdgeSecret', {
          prefix: props.prefix,
          admins,
          policyWriters: [deployRole, rootUser],
          readers: [
            `arn:${this.partition}:iam::${this.account}:role/${edgeRoleName(props.prefix)}`,
            ...(rotationRole ? [rotationRole.roleArn] : []),
            ...(props.rewrapPrincipals ?? []),
          ],
          audienceReaders: props.audiences.map((audience) => ({
            name: audience.name,
            roleArn: (this.decryptRoles.get(audience.name) as iam.Role).roleArn,
            keyIds: audience.keys,
          })),
        })
      : undefined;
    // Every decrypt function checks proofs and opens searchable markers of its own key ids: each
    // unwraps those key ids' secrets, no other. The rotation worker unwraps every key id's.
    for (const audience of props.audiences) {
      this.edgeSecretKey?.grantUnwrap(this.decryptRoles.get(audience.name) as iam.Role, audience.keys);
    }
    if (rotationRole) this.edgeSecretKey?.grantUnwrap(rotationRole);

    const byId = new Map(props.keys.map((k) => [k.id, k]));
    for (const audience of props.audiences) {
      this.grantUse(
        this.decryptRoles.get(audience.name) as iam.Role,
        audience.keys.map((id) => byId.get(id) as ResolvedKey),
      );
    }
    // The rotation opens every key but the one it rewraps to.
    if (rotationRole && props.rotation)
      this.grantUse(
        rotationRole,
        props.keys.filter((k) => k.id !== props.rotation?.to),
      );
  }

  /** Lets `role` open `keys`, each with the one action its kind needs, on exactly those key ARNs. */
  private grantUse(role: iam.Role, keys: readonly ResolvedKey[]): void {
    for (const action of ['kms:Decrypt', 'kms:DeriveSharedSecret'] as const) {
      const arns = keys.filter((k) => useAction(k) === action).map((k) => (this.keys.get(k.id) as kms.Key).keyArn);
      if (arns.length > 0) role.addToPolicy(new iam.PolicyStatement({ actions: [action], resources: arns }));
    }
  }

  /** The worker's role: read and write the objects under the prefix, list only there, write its logs. */
  private rotationRole(prefix: string, rotation: NonNullable<KeysStackProps['rotation']>): iam.Role {
    const role = new iam.Role(this, 'RewrapWorkerRole', {
      roleName: rotationRoleName(prefix),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `edge-fle rotation worker: rewraps s3://${rotation.bucket}/${rotation.prefix} to key ${rotation.to}`,
    });
    const objects = (p: string): string => `arn:${this.partition}:s3:::${rotation.bucket}/${p}*`;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects(rotation.prefix)] }));
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects(rotation.destinationPrefix ?? rotation.prefix)] }),
    );
    role.addToPolicy(this.functionLogs(rotationFunctionName(prefix)));
    return role;
  }

  /** Writing to one function's own log group (created with a retention by the function's stack), nothing else. */
  private functionLogs(functionName: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [
        this.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: `/aws/lambda/${functionName}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
  }
}
