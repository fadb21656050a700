import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { SECRET_CONTEXT_KEYS, SECRET_PURPOSE } from '../core/format/secret';
import { ADMIN_ACTIONS, NEVER_ACTIONS } from './key-policy';

/** The alias of the edge secret's KMS key: how `npm run deploy` names it before it knows the ARN. */
export function secretKeyAliasName(prefix: string): string {
  return `alias/${prefix.toLowerCase()}/edge-secret`;
}

/** The Lambda@Edge function's role name: fixed, so the secret key's policy can name it before the edge stack exists. */
export function edgeRoleName(prefix: string): string {
  return `${prefix}-edge-protect`;
}

/**
 * Conditions that hold exactly for a Decrypt of an edge secret: of `version` when given, and of one
 * of `keyIds` when given (each key id has its own secret, so an audience unwraps only its own).
 */
export function secretContextConditions(version?: number, keyIds?: readonly string[]): Record<string, Record<string, string | string[]>> {
  return {
    StringEquals: {
      [`kms:EncryptionContext:${SECRET_CONTEXT_KEYS[0]}`]: SECRET_PURPOSE,
      ...(version !== undefined ? { [`kms:EncryptionContext:${SECRET_CONTEXT_KEYS[1]}`]: String(version) } : {}),
      ...(keyIds !== undefined ? { [`kms:EncryptionContext:${SECRET_CONTEXT_KEYS[2]}`]: [...keyIds] } : {}),
    },
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...SECRET_CONTEXT_KEYS] },
  };
}

/** Uses of the secret key nobody has: any of them would let someone choose or learn a secret. */
const NEVER_ON_SECRET = [
  ...NEVER_ACTIONS,
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
];

export interface EdgeSecretKeyProps {
  readonly prefix: string;
  readonly admins: readonly iam.IPrincipal[];
  /** Who may put the key policy: the deployment's role and the root user. */
  readonly policyWriters: readonly string[];
  /** Who may unwrap every key id's secret (with its encryption context): the edge role, rotation roles. */
  readonly readers: readonly string[];
  /** The decrypt roles, each with the key ids whose secrets it may unwrap (its audience's keys). */
  readonly audienceReaders: readonly { readonly name: string; readonly roleArn: string; readonly keyIds: readonly string[] }[];
}

/**
 * The edge secret's KMS key: symmetric, multi-Region (a replica near the edge can be added later
 * without re-wrapping a single version), yearly rotation of its material, retained. Its policy:
 * administrators manage it without using it; the account (IAM decides who) may make new secret
 * versions with `GenerateDataKeyWithoutPlaintext`, which returns no plaintext; only the readers may
 * `Decrypt`, and only with the edge secret's encryption context, each decrypt role only for its
 * audience's key ids; nobody may `Encrypt`,
 * `GenerateDataKey` or re-encrypt, so nobody can choose a secret or learn one outside KMS.
 */
export class EdgeSecretKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EdgeSecretKeyProps) {
    super(scope, id);
    const anyone = [new iam.AnyPrincipal()];
    const account = [new iam.AccountRootPrincipal()];
    const statements = [
      new iam.PolicyStatement({ sid: 'Administration', principals: [...props.admins], actions: ADMIN_ACTIONS, resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'PolicyByDeployment', principals: account, actions: ['kms:PutKeyPolicy'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'MakeSecretVersions',
        principals: account,
        actions: ['kms:GenerateDataKeyWithoutPlaintext'],
        resources: ['*'],
        conditions: secretContextConditions(),
      }),
      new iam.PolicyStatement({
        sid: 'UnwrapByEdgeAndRotation',
        principals: account,
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { ...secretContextConditions(), ArnEquals: { 'aws:PrincipalArn': [...props.readers] } },
      }),
      // Each audience unwraps the secrets of its own key ids only: another audience's searchable
      // values and proofs stay out of its reach, as its markers do.
      ...props.audienceReaders.map(
        (reader) =>
          new iam.PolicyStatement({
            sid: `UnwrapByAudience${reader.name.replace(/[^A-Za-z0-9]/g, '')}`,
            principals: account,
            actions: ['kms:Decrypt'],
            resources: ['*'],
            conditions: { ...secretContextConditions(undefined, reader.keyIds), ArnEquals: { 'aws:PrincipalArn': reader.roleArn } },
          }),
      ),
      new iam.PolicyStatement({
        sid: 'DenyUnwrapButByReaders',
        effect: iam.Effect.DENY,
        principals: anyone,
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...props.readers, ...props.audienceReaders.map((r) => r.roleArn)] } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyUnwrapForOtherPurposes',
        effect: iam.Effect.DENY,
        principals: anyone,
        actions: ['kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext'],
        resources: ['*'],
        conditions: { StringNotEquals: { [`kms:EncryptionContext:${SECRET_CONTEXT_KEYS[0]}`]: SECRET_PURPOSE } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyChoosingOrLearningSecrets',
        effect: iam.Effect.DENY,
        principals: anyone,
        actions: NEVER_ON_SECRET,
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'DenyPolicyChangesButByDeployment',
        effect: iam.Effect.DENY,
        principals: anyone,
        actions: ['kms:PutKeyPolicy'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...props.policyWriters] } },
      }),
    ];
    this.key = new kms.Key(this, 'Key', {
      description: 'edge-fle edge secret: wraps the secret behind searchable fields and marker proofs',
      alias: secretKeyAliasName(props.prefix),
      multiRegion: true,
      enableKeyRotation: true,
      policy: new iam.PolicyDocument({ statements }),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnOutput(this, 'Arn', { value: this.key.keyArn, description: 'KMS key ARN of the edge secret (multi-Region, symmetric)' });
  }

  /** Lets `role` unwrap secret versions (the key ARN, the encryption context; only of `keyIds` when given), nothing else. */
  grantUnwrap(role: iam.IRole, keyIds?: readonly string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: secretContextConditions(undefined, keyIds),
      }),
    );
  }
}
