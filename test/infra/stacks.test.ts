import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDecryptBundle, buildEdgeBundle, buildPlaceholderEdgeBundle, buildRewrapBundle, EDGE_KEYS_MANIFEST } from '../../cli/bundle';
import { loadDeployConfig } from '../../cli/dev-keys';
import { fingerprintOf, writeKmsRecord } from '../../cli/key-provenance';
import { ConfigError, type FleConfig } from '../../core/config';
import { loadConfigFile } from '../../core/config-file';
import { PUBLIC_KEYS_METADATA } from '../../infra/edge-stack';
import { acknowledgements } from '../../infra/nag';
import { type DeployParams, readParams } from '../../infra/params';
import { addStacks, type Bundles } from '../../infra/stacks';
import { defineApp } from '../../infra/synth';
import { testKeyPair } from '../helpers/keys';
import { makeWorkspace } from '../helpers/workspace';

const INVOKER = 'arn:aws:iam::111122223333:role/orders-app';

interface PolicyStatementJson {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Principal: unknown;
  Condition?: { ArnNotEquals?: Record<string, unknown> };
}
const BILLING = 'arn:aws:iam::111122223333:role/billing-app';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0000-4000-8000-000000000001';
let bundles: Bundles;
let config: FleConfig;
let twoKeyConfig: FleConfig;

beforeAll(async () => {
  const ws = makeWorkspace();
  config = loadConfigFile(ws.configFile);
  writeFileSync(join(ws.dir, 'keys', '02.pem'), testKeyPair(2048, 1).publicKeyPem);
  const raw = JSON.parse(readFileSync(ws.configFile, 'utf8'));
  raw.keys.push({ id: '02', publicKey: 'keys/02.pem' });
  raw.audiences = [
    { name: 'orders', keys: ['01'], invokers: [INVOKER] },
    { name: 'billing', keys: ['02'], invokers: [BILLING] },
  ];
  const twoKeyFile = join(ws.dir, 'two-keys.json');
  writeFileSync(twoKeyFile, JSON.stringify(raw));
  twoKeyConfig = loadConfigFile(twoKeyFile);
  // As npm run deploy builds it: every key fetched from KMS.
  const fingerprint = fingerprintOf(config.keys[0]!.publicKeyPem);
  const edge = await buildEdgeBundle(config, join(ws.dir, 'edge'), new Map([['01', { kind: 'kms', keyArn: KEY_ARN, fingerprint }]]));
  const decrypt = await buildDecryptBundle(join(ws.dir, 'decrypt'));
  const rewrap = await buildRewrapBundle(join(ws.dir, 'rewrap'));
  bundles = { edgeAssetDir: edge.directory, edgeKeys: edge.manifest, decryptAssetDir: decrypt.directory, rewrapAssetDir: rewrap.directory };
});

function params(context: Record<string, unknown> = {}): DeployParams {
  return readParams((key) => ({ 'edge-fle:invokers': [INVOKER], 'edge-fle:originDomain': 'api.example.com', ...context })[key]);
}

/** The feature flags `npx cdk synth` runs with. */
const FLAGS = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> }).context;

function synth(context: Record<string, unknown> = {}, cfg: FleConfig = config, edgeBundles: Bundles = bundles) {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  const app = new App({ outdir, context: FLAGS });
  const stacks = addStacks(app, params(context), cfg, edgeBundles);
  return {
    stacks,
    outdir,
    keys: Template.fromStack(stacks.keys),
    edge: Template.fromStack(stacks.edge),
    decrypt: Template.fromStack(stacks.decrypt),
    ...(stacks.rotation ? { rotation: Template.fromStack(stacks.rotation) } : {}),
  };
}

describe('edge stack', () => {
  it('lives in us-east-1 with a function that has no environment, runs x86_64 on nodejs24.x', () => {
    const { stacks, edge } = synth();
    expect(stacks.edge.region).toBe('us-east-1');
    edge.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      Environment: Match.absent(),
      Handler: 'index.handler',
    });
  });

  it('attaches a numbered version as origin-request with the body to the default behaviour, the only one', () => {
    const { edge } = synth();
    edge.resourceCountIs('AWS::Lambda::Version', 1);
    // Versions are retained: replicas of the old one may still serve when the stack updates.
    edge.hasResource('AWS::Lambda::Version', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const version = Object.keys(edge.findResources('AWS::Lambda::Version'))[0]!;
    edge.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: Match.absent(),
        DefaultCacheBehavior: Match.objectLike({
          LambdaFunctionAssociations: [{ EventType: 'origin-request', IncludeBody: true, LambdaFunctionARN: { Ref: version } }],
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
          // Managed CachingDisabled and AllViewerExceptHostHeader.
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
        }),
        Origins: [
          Match.objectLike({
            DomainName: 'api.example.com',
            CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] }),
          }),
        ],
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
      }),
    });
  });

  it('lets the edge function role be assumed by Lambda@Edge and only write its logs', () => {
    const { edge } = synth();
    const role = Object.values(edge.findResources('AWS::IAM::Role'))[0]!;
    const services = (role.Properties.AssumeRolePolicyDocument.Statement as { Principal: { Service: string | string[] } }[]).flatMap((s) =>
      [s.Principal.Service].flat(),
    );
    expect(services.sort()).toEqual(['edgelambda.amazonaws.com', 'lambda.amazonaws.com']);
    const policies = Object.values(edge.findResources('AWS::IAM::Policy'));
    const actions = policies.flatMap((p) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()),
    );
    expect(actions.sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('uses the alternate domain, certificate, TLS 1.2 and WAF when given', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:111122223333:certificate/abc';
    const webAclArn = 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/edge/1234';
    const { edge } = synth({
      'edge-fle:domainNames': 'api.example.org',
      'edge-fle:certificateArn': certificateArn,
      'edge-fle:webAclArn': webAclArn,
    });
    edge.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['api.example.org'],
        ViewerCertificate: Match.objectLike({ AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021' }),
        WebACLId: webAclArn,
      }),
    });
  });

  it('records the fingerprint and source of every public key its bundle embeds, and deploys without a rule', () => {
    const { edge } = synth();
    const metadata = edge.toJSON().Metadata[PUBLIC_KEYS_METADATA];
    expect(metadata).toEqual({
      status: 'kms',
      keys: [{ id: '01', fingerprint: fingerprintOf(config.keys[0]!.publicKeyPem), source: 'kms' }],
    });
    expect(Object.keys(edge.toJSON().Rules ?? {})).not.toContain('NotDeployable');
    const manifest = JSON.parse(readFileSync(join(bundles.edgeAssetDir, EDGE_KEYS_MANIFEST), 'utf8'));
    expect(manifest).toEqual(metadata);
  });

  it('labels loudly a bundle with dev keys (edge-fle:unsafeDevKeys)', async () => {
    const dev = await buildEdgeBundle(config, mkdtempSync(join(tmpdir(), 'edge-dev-')));
    expect(dev.manifest.status).toBe('dev');
    const { stacks, edge } = synth({}, config, { ...bundles, edgeAssetDir: dev.directory, edgeKeys: dev.manifest });
    Annotations.fromStack(stacks.edge).hasWarning('*', Match.stringLikeRegexp('UNSAFE: built with DEV key'));
    expect(stacks.edge.templateOptions.description).toContain('UNSAFE DEV KEYS');
    edge.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('UNSAFE DEV KEYS') });
  });

  it('makes a keyless placeholder undeployable: a CloudFormation rule that never holds, and a 503 for every request', async () => {
    const placeholder = buildPlaceholderEdgeBundle(mkdtempSync(join(tmpdir(), 'edge-none-')));
    const { edge } = synth({}, config, { ...bundles, edgeAssetDir: placeholder.directory, edgeKeys: placeholder.manifest });
    const rule = edge.toJSON().Rules.NotDeployable;
    expect(rule.Assertions[0].Assert).toEqual({ 'Fn::Equals': ['keys-from-kms', 'placeholder'] });
    expect(edge.toJSON().Metadata[PUBLIC_KEYS_METADATA]).toEqual({ status: 'placeholder', keys: [] });
    const source = readFileSync(placeholder.file, 'utf8');
    expect(source).not.toContain('BEGIN PUBLIC KEY');
    const { handler } = createRequire(import.meta.url)(placeholder.file) as {
      handler: (event: unknown) => Promise<{ status: string; body: string }>;
    };
    const response = await handler({ Records: [{ cf: { config: { requestId: 'r-1' } } }] });
    expect(response.status).toBe('503');
    expect(JSON.parse(response.body)).toMatchObject({ code: 'NotDeployable', requestId: 'r-1' });
  });
});

describe('keys stack', () => {
  it('makes one retained RSA ENCRYPT_DECRYPT key per key id, with an alias', () => {
    const { keys } = synth({}, twoKeyConfig);
    keys.resourceCountIs('AWS::KMS::Key', 2);
    keys.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    keys.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/edgefle/01' });
    keys.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/edgefle/02' });
  });

  it('denies kms:Decrypt with any algorithm but RSAES_OAEP_SHA_256', () => {
    const { keys } = synth();
    keys.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'kms:Decrypt',
            Principal: { AWS: '*' },
            Condition: { StringNotEquals: { 'kms:EncryptionAlgorithm': 'RSAES_OAEP_SHA_256' } },
          }),
        ]),
      }),
    });
  });

  it('separates administration (no use) from use (kms:Decrypt for the audience roles only)', () => {
    const { keys } = synth({}, twoKeyConfig);
    for (const key of Object.values(keys.findResources('AWS::KMS::Key'))) {
      const statements = key.Properties.KeyPolicy.Statement as {
        Sid: string;
        Effect: string;
        Action: string | string[];
        Principal: unknown;
      }[];
      const admin = statements.find((s) => s.Sid === 'Administration')!;
      expect([admin.Action].flat().some((a) => /Decrypt|Encrypt|kms:\*/.test(a))).toBe(false);
      const allowsDecrypt = statements.filter(
        (s) => s.Effect === 'Allow' && [s.Action].flat().some((a) => a === 'kms:Decrypt' || a === 'kms:*'),
      );
      expect(allowsDecrypt.map((s) => s.Sid)).toEqual(['DecryptByAudiences']);
      expect(JSON.stringify(allowsDecrypt[0]!.Principal)).toMatch(/DecryptRole(orders|billing)/);
      expect(JSON.stringify(allowsDecrypt[0]!.Principal)).not.toMatch(
        /DecryptRoleorders.*DecryptRolebilling|DecryptRolebilling.*DecryptRoleorders/,
      );
    }
  });

  it('lets no administrator decrypt, grant, re-encrypt or rewrite the policy: explicit denies for all but the decrypt roles and the deployment', () => {
    const { keys } = synth({}, twoKeyConfig);
    for (const key of Object.values(keys.findResources('AWS::KMS::Key'))) {
      const statements = key.Properties.KeyPolicy.Statement as PolicyStatementJson[];
      const admin = statements.find((s) => s.Sid === 'Administration')!;
      expect(
        [admin.Action].flat().filter((a) => /^kms:(Create\*|Put|CreateGrant|ReEncrypt|Decrypt|DeriveSharedSecret|\*)/.test(a)),
      ).toEqual([]);
      const use = statements.find((s) => s.Sid === 'DenyUseButByDecryptRoles')!;
      expect(use).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['kms:Decrypt', 'kms:DeriveSharedSecret'] });
      // Exactly this key's audience role is exempt (one audience per key here).
      const exempt = [use.Condition?.ArnNotEquals?.['aws:PrincipalArn']].flat();
      expect(exempt).toHaveLength(1);
      expect(JSON.stringify(exempt)).toMatch(/DecryptRole(orders|billing)/);
      const never = statements.find((s) => s.Sid === 'DenyGrantsAndReEncrypt')!;
      expect(never).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
      expect(never.Condition).toBeUndefined();
      expect([never.Action].flat().sort()).toEqual(['kms:CreateGrant', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']);
      const policy = statements.find((s) => s.Sid === 'DenyPolicyChangesButByDeployment')!;
      expect(policy).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:PutKeyPolicy' });
      const allowedToChange = JSON.stringify(policy.Condition?.ArnNotEquals?.['aws:PrincipalArn']);
      // Lockout safety: the CloudFormation execution role (which puts the policy) and the root user stay allowed.
      expect(allowedToChange).toContain('cdk-hnb659fds-cfn-exec-role-');
      expect(allowedToChange).toContain(':root');
    }
  });

  it('exempts a declared deploy role and rotation roles, and nobody else', () => {
    const deployRole = 'arn:aws:iam::111122223333:role/pipeline-deploy';
    const rewrap = 'arn:aws:iam::111122223333:role/rotation-job';
    const { keys } = synth({ 'edge-fle:deployRoleArn': deployRole, 'edge-fle:rewrapPrincipals': rewrap }, twoKeyConfig);
    for (const key of Object.values(keys.findResources('AWS::KMS::Key'))) {
      const statements = key.Properties.KeyPolicy.Statement as PolicyStatementJson[];
      const policy = statements.find((s) => s.Sid === 'DenyPolicyChangesButByDeployment')!;
      expect(JSON.stringify(policy.Condition?.ArnNotEquals?.['aws:PrincipalArn'])).toContain(deployRole);
      expect(JSON.stringify(policy.Condition)).not.toContain('cdk-hnb659fds');
      const use = statements.find((s) => s.Sid === 'DenyUseButByDecryptRoles')!;
      expect([use.Condition?.ArnNotEquals?.['aws:PrincipalArn']].flat()).toHaveLength(2);
      expect(JSON.stringify(use.Condition)).toContain(rewrap);
    }
  });

  it('gives each audience role kms:Decrypt on exactly its key ARNs, and nothing else from KMS', () => {
    const { keys } = synth({}, twoKeyConfig);
    const keyIds = Object.keys(keys.findResources('AWS::KMS::Key'));
    const policies = keys.findResources('AWS::IAM::Policy');
    const kmsStatements = Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('kms:')),
      ),
    );
    expect(kmsStatements).toHaveLength(2);
    for (const statement of kmsStatements) {
      expect(statement.Action).toBe('kms:Decrypt');
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
      expect(keyIds).toContain((statement.Resource as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
      expect(JSON.stringify(statement.Resource)).not.toContain('"*"');
    }
    const [first, second] = kmsStatements.map((s) => JSON.stringify(s.Resource));
    expect(first).not.toBe(second);
  });
});

describe('a P-256 key agreement key (E2)', () => {
  it('is a KEY_AGREEMENT key whose audience role may DeriveSharedSecret on it, and nothing else may', async () => {
    const ws = makeWorkspace();
    writeFileSync(
      join(ws.dir, 'keys', '03.pem'),
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const raw = JSON.parse(readFileSync(ws.configFile, 'utf8'));
    raw.keys.push({ id: '03', publicKey: 'keys/03.pem', keySpec: 'ECC_NIST_P256' });
    raw.audiences = [{ name: 'orders', keys: ['01', '03'], invokers: [INVOKER] }];
    writeFileSync(ws.configFile, JSON.stringify(raw));
    const { keys } = synth({}, loadConfigFile(ws.configFile));
    keys.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
    const ecKey = Object.values(keys.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'ECC_NIST_P256' } }))[0]!;
    const statements = ecKey.Properties.KeyPolicy.Statement as PolicyStatementJson[];
    expect(statements.find((st) => st.Sid === 'DecryptByAudiences')?.Action).toBe('kms:DeriveSharedSecret');
    expect(statements.find((st) => st.Sid === 'DenyOtherKeyAgreementAlgorithms')).toMatchObject({
      Effect: 'Deny',
      Condition: { StringNotEquals: { 'kms:KeyAgreementAlgorithm': 'ECDH' } },
    });
    expect(statements.find((st) => st.Sid === 'DenyUseButByDecryptRoles')?.Action).toEqual(['kms:Decrypt', 'kms:DeriveSharedSecret']);
    const ecId = Object.keys(keys.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'ECC_NIST_P256' } }))[0]!;
    const kmsStatements = Object.values(keys.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[]).filter((st) =>
        String(st.Action).startsWith('kms:'),
      ),
    );
    expect(kmsStatements.find((st) => st.Action === 'kms:DeriveSharedSecret')?.Resource).toEqual({ 'Fn::GetAtt': [ecId, 'Arn'] });
    expect(JSON.stringify(kmsStatements.find((st) => st.Action === 'kms:Decrypt')?.Resource)).not.toContain(ecId);
  });
});

describe('decrypt stack', () => {
  it('runs one function per audience with only its keys in FLE_KEYS, its log group retained 90 days', () => {
    const { decrypt } = synth({}, twoKeyConfig);
    decrypt.resourceCountIs('AWS::Lambda::Function', 2);
    for (const [audience, keyId] of [
      ['orders', '01'],
      ['billing', '02'],
    ] as const) {
      const fn = Object.values(
        decrypt.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `EdgeFle-decrypt-${audience}` } }),
      )[0]!;
      const fleKeys = JSON.stringify(fn.Properties.Environment.Variables.FLE_KEYS);
      expect(fleKeys).toContain(`\\"id\\":\\"${keyId}\\"`);
      expect(fleKeys).not.toContain(`\\"id\\":\\"${keyId === '01' ? '02' : '01'}\\"`);
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      // Named, not imported: the key's alias ARN and the role's fixed name.
      expect(fleKeys).toContain(`:alias/edgefle/${keyId}`);
      expect(JSON.stringify(fn.Properties.Role)).toContain(`:role/EdgeFle-decrypt-${audience}`);
    }
    decrypt.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/EdgeFle-decrypt-orders', RetentionInDays: 90 });
  });

  it('lets only the configured principals invoke it, and outputs its ARN', () => {
    const { decrypt } = synth({}, twoKeyConfig);
    const permissions = Object.values(decrypt.findResources('AWS::Lambda::Permission'));
    expect(permissions.map((p) => p.Properties.Principal).sort()).toEqual([BILLING, INVOKER].sort());
    expect(permissions.every((p) => p.Properties.Action === 'lambda:InvokeFunction')).toBe(true);
    expect(Object.keys(decrypt.findOutputs('*')).sort()).toEqual(['DecryptFunctionArnbilling', 'DecryptFunctionArnorders']);
  });

  it('holds every key in one function, invocable by edge-fle:invokers, when the config names no audiences', () => {
    const { decrypt } = synth();
    decrypt.resourceCountIs('AWS::Lambda::Function', 1);
    decrypt.hasResourceProperties('AWS::Lambda::Permission', { Principal: INVOKER });
  });
});

describe('alarms and the dashboard', () => {
  const EDGE_TOPIC = 'arn:aws:sns:us-east-1:111122223333:oncall';
  const DATA_TOPIC = 'arn:aws:sns:eu-west-1:111122223333:oncall';

  it('alarms on the edge rejection rate and 5xx in us-east-1, and on decrypt failures and KMS throttling in the data region, notifying the named topics', () => {
    const { edge, decrypt } = synth({
      'edge-fle:dataRegion': 'eu-west-1',
      'edge-fle:alarmTopicArns': `${EDGE_TOPIC},${DATA_TOPIC}`,
      'edge-fle:rejectionAlarmPercent': 8,
    });
    edge.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '4xxErrorRate',
      Namespace: 'AWS/CloudFront',
      Threshold: 8,
      Dimensions: Match.arrayWith([{ Name: 'Region', Value: 'Global' }]),
      AlarmActions: [EDGE_TOPIC],
    });
    edge.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xxErrorRate', AlarmActions: [EDGE_TOPIC] });
    // unmatched is "protect" here: no alarm on unprotected forwards.
    edge.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    decrypt.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DecryptFailures',
      Namespace: 'EdgeFle',
      AlarmActions: [DATA_TOPIC],
    });
    decrypt.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'KmsThrottles',
      Namespace: 'EdgeFle',
      AlarmActions: [DATA_TOPIC],
    });
  });

  it('alarms on any body forwarded unprotected when the unmatched policy is forward', async () => {
    const ws = makeWorkspace();
    const raw = JSON.parse(readFileSync(ws.configFile, 'utf8'));
    raw.unmatched = 'forward';
    writeFileSync(ws.configFile, JSON.stringify(raw));
    const { edge } = synth({}, loadConfigFile(ws.configFile));
    edge.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ForwardedUnprotected', Namespace: 'EdgeFle', Threshold: 1 });
    edge.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '4xxErrorRate', AlarmActions: Match.absent() });
  });

  it('shows the edge in every listed Region, CloudFront and the decrypt service on one dashboard', () => {
    const { edge } = synth({ 'edge-fle:edgeRegions': 'us-east-1,eu-west-1,ap-southeast-2', 'edge-fle:dataRegion': 'eu-west-1' });
    const body = JSON.stringify(Object.values(edge.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) expect(body).toContain(`\\"region\\":\\"${region}\\"`);
    for (const metric of ['Requests', 'Rejections', 'ForwardedUnprotected', '4xxErrorRate', 'DecryptFailures', 'KmsThrottles'])
      expect(body).toContain(metric);
    expect(body).toContain('EdgeFle-decrypt-all');
  });
});

describe('rotation over a data lake (Step Functions)', () => {
  const ROTATION = {
    'edge-fle:rotationBucket': 'lake',
    'edge-fle:rotationPrefix': 'exports/',
    'edge-fle:rotationTo': '02',
    'edge-fle:kmsQuotaRps': 2000,
  };

  it('reads the prefix with a Distributed Map, batches, caps concurrency from the KMS quota, retries throttling with backoff, writes results', () => {
    const { rotation } = synth(ROTATION, twoKeyConfig);
    const machine = Object.values(rotation!.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const definition = JSON.parse(JSON.stringify(machine.Properties.DefinitionString).replace(/\{"Ref":"[^"]+"\}/g, '"REF"'));
    const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
    expect(text).toContain(':states:::s3:listObjectsV2');
    expect(text).toMatch(/\\"Prefix\\":\\"exports\/\\"/);
    expect(text).toMatch(/\\"MaxItemsPerBatch\\":20/);
    // 2000 requests/s, half of them, 200 per worker: 5 at once.
    expect(text).toMatch(/\\"MaxConcurrency\\":5/);
    expect(text).toMatch(/\\"ErrorEquals\\":\[\\"Throttled\\"\][^}]*\\"BackoffRate\\":2/);
    expect(text).toContain('JitterStrategy');
    expect(text).toContain('rewrap-results/exports/');
    // The state machine writes its results into a bucket of its own, never into the lake.
    const writes = Object.values(rotation!.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => [st.Action].flat().some((a) => a === 's3:PutObject'));
    expect(writes.length).toBeGreaterThan(0);
    for (const st of writes) expect(JSON.stringify(st.Resource)).not.toContain(':s3:::lake');
    expect(text).toContain('DISTRIBUTED');
  });

  it('lets the worker read and write only under the prefix and open only the keys it rewraps from', () => {
    const { keys, rotation } = synth(ROTATION, twoKeyConfig);
    const role = Object.entries(keys.findResources('AWS::IAM::Role')).find(([, r]) => r.Properties.RoleName === 'EdgeFle-rewrap-worker')!;
    const policies = Object.values(keys.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(role[0]),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[]);
    const s3Resources = statements.filter((st) => String(st.Action).startsWith('s3:')).map((st) => JSON.stringify(st.Resource));
    expect(s3Resources.every((r) => r.includes(':s3:::lake/exports/*'))).toBe(true);
    const kmsStatements = statements.filter((st) => String(st.Action).startsWith('kms:'));
    expect(kmsStatements).toHaveLength(1);
    expect(kmsStatements[0]!.Action).toBe('kms:Decrypt');
    // Key 01's policy exempts the worker; key 02's (the target) does not.
    for (const key of Object.values(keys.findResources('AWS::KMS::Key'))) {
      const exempt = JSON.stringify(
        (key.Properties.KeyPolicy.Statement as PolicyStatementJson[]).find((st) => st.Sid === 'DenyUseButByDecryptRoles')?.Condition,
      );
      expect(exempt.includes('RewrapWorkerRole')).toBe(JSON.stringify(key.Properties.KeyPolicy).includes('DecryptRoleorders'));
    }
    const fn = Object.values(rotation!.findResources('AWS::Lambda::Function'))[0]!;
    const job = JSON.stringify(fn.Properties.Environment.Variables.FLE_REWRAP);
    expect(job).toContain('alias/edgefle/01');
    expect(job).not.toContain('alias/edgefle/02');
    expect(JSON.stringify(fn.Properties.Role)).toContain(':role/EdgeFle-rewrap-worker');
  });

  it('is absent unless edge-fle:rotationBucket asks for it', () => {
    expect(synth().stacks.rotation).toBeUndefined();
  });
});

describe('cross-stack values', () => {
  it('has no stack import or export another: keys, edge and decrypt deploy in any order', () => {
    const { keys, edge, decrypt, stacks } = synth({}, twoKeyConfig);
    for (const template of [keys, edge, decrypt]) {
      expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
      expect(Object.values(template.toJSON().Outputs ?? {}).some((o) => (o as { Export?: unknown }).Export)).toBe(false);
    }
    expect(stacks.decrypt.dependencies).toEqual([]);
    expect(stacks.edge.dependencies).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions over the whole app', () => {
  function report(outdir: string) {
    return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[]; suppressedViolations: { ruleName: string; reason: string }[] }[];
    };
  }

  it.each([
    ['defaults', {}],
    [
      'custom domain, WAF, no access logs',
      {
        'edge-fle:domainNames': 'api.example.org',
        'edge-fle:certificateArn': 'arn:aws:acm:us-east-1:111122223333:certificate/abc',
        'edge-fle:webAclArn': 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/edge/1234',
        'edge-fle:accessLogging': false,
      },
    ],
    ['with the rotation stack', { 'edge-fle:rotationBucket': 'lake', 'edge-fle:rotationPrefix': 'exports/', 'edge-fle:rotationTo': '02' }],
  ])('leaves no unacknowledged finding, and every acknowledgement has a reason (%s)', (_name, context) => {
    const { outdir } = synth(context, twoKeyConfig);
    const nag = report(outdir).pluginReports.find((p) => p.pluginName === 'AwsSolutions')!;
    expect(nag.violations).toEqual([]);
    expect(nag.suppressedViolations.length).toBeGreaterThan(0);
    for (const suppressed of nag.suppressedViolations) {
      expect(suppressed.reason.length, suppressed.ruleName).toBeGreaterThan(60);
      expect(suppressed.ruleName).toMatch(
        /^AwsSolutions-(IAM5\[Resource::(arn:<AWS::Partition>:(logs|s3|states):|<Worker[0-9A-F]+\.Arn>:\*\]|\*\])|L1$|CFR1$|CFR2$|CFR3$|CFR4$|S1$)/,
      );
    }
  });

  it('acknowledges CFR2 and CFR4 only while WAF and a custom certificate are absent', () => {
    const ids = (context: Record<string, unknown>) => {
      const { stacks } = synth(context);
      return acknowledgements(stacks, params(context)).map((a) => a.id);
    };
    expect(ids({})).toEqual(expect.arrayContaining(['AwsSolutions::AwsSolutions-CFR2', 'AwsSolutions::AwsSolutions-CFR4']));
    const hardened = ids({
      'edge-fle:domainNames': 'api.example.org',
      'edge-fle:certificateArn': 'arn:aws:acm:us-east-1:111122223333:certificate/abc',
      'edge-fle:webAclArn': 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/edge/1234',
    });
    expect(hardened).not.toContain('AwsSolutions::AwsSolutions-CFR2');
    expect(hardened).not.toContain('AwsSolutions::AwsSolutions-CFR4');
  });
});

describe('parameters and keys for synthesis', () => {
  it('reports every bad parameter', () => {
    expect(() =>
      readParams(
        (key) =>
          ({
            'edge-fle:dataRegion': 'mars',
            'edge-fle:domainNames': 'a.example',
            'edge-fle:invokers': 'bob',
            'edge-fle:logRetentionDays': 8,
          })[key],
      ),
    ).toThrow(/dataRegion[\s\S]*certificateArn[\s\S]*logRetentionDays[\s\S]*invokers/);
  });

  it('loads a generated stand-in for a missing public key file, of the configured size, and refuses without one', () => {
    const ws = makeWorkspace();
    rmSync(join(ws.dir, 'keys', '01.pem'));
    const cwd = process.cwd();
    process.chdir(ws.dir);
    try {
      const { config: devConfig, devKeyIds, sources } = loadDeployConfig(ws.configFile, 'build');
      expect(devKeyIds).toEqual(['01']);
      expect(sources.get('01')?.kind).toBe('stand-in');
      expect(existsSync(join(ws.dir, '.build', 'dev-keys', '01.pem'))).toBe(true);
      expect(existsSync(join(ws.dir, 'keys', '01.pem'))).toBe(false);
      expect(devConfig.keys[0]!.publicKeyPem).toContain('BEGIN PUBLIC KEY');
      expect(() => loadDeployConfig(ws.configFile, 'none')).toThrow(ConfigError);
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses the old allowDevKeys switch, pointing at the README', () => {
    expect(() => readParams((key) => ({ 'edge-fle:allowDevKeys': true })[key])).toThrow(/allowDevKeys is gone/);
  });
});

describe('what synthesis embeds (infra/synth.ts)', () => {
  async function define(ws: { dir: string; configFile: string }, context: Record<string, unknown> = {}) {
    const warnings: string[] = [];
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'cdk-out-')), context: FLAGS });
    const stacks = await defineApp(
      app,
      readParams((key) => ({ 'edge-fle:config': ws.configFile, ...context })[key]),
      join(ws.dir, '.build'),
      (line) => warnings.push(line),
    );
    const template = Template.fromStack(stacks.edge).toJSON();
    return { manifest: template.Metadata[PUBLIC_KEYS_METADATA], gated: 'NotDeployable' in (template.Rules ?? {}), warnings };
  }

  it('embeds keys fetched from KMS, and nothing else without edge-fle:unsafeDevKeys', async () => {
    // A dev pair as npm start leaves it: refused, the edge is a placeholder.
    const ws = makeWorkspace();
    const local = await define(ws);
    expect(local.manifest.status).toBe('placeholder');
    expect(local.warnings.join('\n')).toMatch(/NOT DEPLOYABLE[\s\S]*keys\/01\.pem[\s\S]*private key/);
    await expect(define(ws, { 'edge-fle:requireKmsKeys': true })).rejects.toThrow(/keys\/01\.pem.*Fix: run npm run deploy/);
    const unsafe = await define(ws, { 'edge-fle:unsafeDevKeys': true });
    expect(unsafe.manifest.status).toBe('dev');
    expect(unsafe.gated).toBe(false);
    expect(local.gated).toBe(true);
    expect(unsafe.warnings.join('\n')).toContain('UNSAFE');
    // As fle fetch-public-key leaves it: the record matches the PEM, no private key beside it.
    rmSync(ws.privateKeyFile);
    const pem = readFileSync(join(ws.dir, 'keys', '01.pem'), 'utf8');
    writeKmsRecord(join(ws.dir, 'keys', '01.pem'), { keyArn: KEY_ARN, keySpec: 'RSA_2048', fingerprint: fingerprintOf(pem) });
    const fetched = await define(ws, { 'edge-fle:requireKmsKeys': true });
    expect(fetched.manifest).toEqual({ status: 'kms', keys: [{ id: '01', fingerprint: fingerprintOf(pem), source: 'kms' }] });
    expect(fetched.gated).toBe(false);
    // A record proves nothing by itself (it may be a sandbox's, copied): only the deploy, which
    // compares with KMS next, synthesises an edge CloudFormation accepts.
    const plain = await define(ws);
    expect(plain.manifest.status).toBe('kms');
    expect(plain.gated).toBe(true);
    expect(plain.warnings).toEqual([]);
    // A PEM swapped after the fetch is local again.
    writeFileSync(join(ws.dir, 'keys', '01.pem'), testKeyPair(2048, 3).publicKeyPem);
    await expect(define(ws, { 'edge-fle:requireKmsKeys': true })).rejects.toThrow(/changed since it was fetched/);
  });

  it('makes a fresh clone (no key files) synthesise, with the placeholder edge', async () => {
    const ws = makeWorkspace();
    rmSync(join(ws.dir, 'keys', '01.pem'));
    const { manifest, warnings } = await define(ws);
    expect(manifest.status).toBe('placeholder');
    expect(warnings.join('\n')).toContain('the file is missing');
  });
});

describe('the edge secret (searchable fields and marker proofs)', () => {
  const SECRET_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/mrk-5ec7e75ec7e75ec7e75ec7e75ec7e75e';
  let secretConfig: FleConfig;
  let secretBundles: Bundles;
  beforeAll(async () => {
    const ws = makeWorkspace();
    const raw = JSON.parse(readFileSync(ws.configFile, 'utf8'));
    raw.routes[0].json.push({ path: '$[*].login', index: 'email' });
    raw.indexes = [{ name: 'email', normalize: ['trim', 'lowercase'] }];
    raw.edgeSecret = { kmsKeyId: SECRET_KEY_ARN, current: 1, versions: [{ version: 1, file: 'keys/edge-secret.kms.1.json' }] };
    writeFileSync(
      join(ws.dir, 'keys', 'edge-secret.kms.1.json'),
      JSON.stringify({
        version: 1,
        kmsKeyId: SECRET_KEY_ARN,
        ciphertextBlobs: { '01': Buffer.alloc(184, 3).toString('base64'), '02': Buffer.alloc(184, 4).toString('base64') },
      }),
    );
    writeFileSync(ws.configFile, JSON.stringify(raw));
    secretConfig = loadConfigFile(ws.configFile);
    const fingerprint = fingerprintOf(secretConfig.keys[0]!.publicKeyPem);
    const edge = await buildEdgeBundle(
      secretConfig,
      join(ws.dir, 'edge'),
      new Map([['01', { kind: 'kms', keyArn: KEY_ARN, fingerprint }]]),
    );
    secretBundles = { ...bundles, edgeAssetDir: edge.directory, edgeKeys: edge.manifest };
  });

  it('makes a retained, multi-Region, rotating symmetric key only the edge and decrypt roles may unwrap with, with its context', () => {
    const { keys } = synth({}, secretConfig, secretBundles);
    keys.hasResourceProperties('AWS::KMS::Key', { MultiRegion: true, EnableKeyRotation: true, KeySpec: Match.absent() });
    keys.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/edgefle/edge-secret' });
    const [, key] = Object.entries(keys.findResources('AWS::KMS::Key', { Properties: { MultiRegion: true } }))[0]!;
    const statements = (key as { Properties: { KeyPolicy: { Statement: PolicyStatementJson[] } } }).Properties.KeyPolicy.Statement;
    const sid = (name: string) =>
      statements.find((s) => s.Sid === name) as PolicyStatementJson & { Condition: Record<string, Record<string, unknown>> };
    const unwrap = sid('UnwrapByEdgeAndRotation');
    expect(unwrap.Action).toBe('kms:Decrypt');
    expect(unwrap.Condition.StringEquals).toEqual({ 'kms:EncryptionContext:edge-fle:purpose': 'edge-secret' });
    expect(JSON.stringify(unwrap.Condition.ArnEquals)).toContain('role/EdgeFle-edge-protect');
    const audience = sid('UnwrapByAudienceall');
    expect(audience.Condition.StringEquals).toEqual({
      'kms:EncryptionContext:edge-fle:purpose': 'edge-secret',
      'kms:EncryptionContext:edge-fle:key-id': ['01'],
    });
    expect(JSON.stringify(audience.Condition.ArnEquals)).toContain('DecryptRoleall');
    expect(sid('DenyUnwrapButByReaders').Effect).toBe('Deny');
    expect(sid('DenyUnwrapForOtherPurposes').Condition.StringNotEquals).toEqual({
      'kms:EncryptionContext:edge-fle:purpose': 'edge-secret',
    });
    expect(sid('DenyChoosingOrLearningSecrets').Action).toEqual(
      expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom']),
    );
    expect(sid('MakeSecretVersions').Action).toBe('kms:GenerateDataKeyWithoutPlaintext');
  });

  it('lets the edge role (a fixed name) kms:Decrypt only the baked version, only with its encryption context', () => {
    const { edge } = synth({}, secretConfig, secretBundles);
    edge.hasResourceProperties('AWS::IAM::Role', { RoleName: 'EdgeFle-edge-protect' });
    edge.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'kms:Decrypt',
            Effect: 'Allow',
            Resource: SECRET_KEY_ARN,
            Condition: {
              StringEquals: {
                'kms:EncryptionContext:edge-fle:purpose': 'edge-secret',
                'kms:EncryptionContext:edge-fle:secret-version': '1',
                'kms:EncryptionContext:edge-fle:key-id': ['01'],
              },
              'ForAllValues:StringEquals': {
                'kms:EncryptionContextKeys': ['edge-fle:purpose', 'edge-fle:secret-version', 'edge-fle:key-id'],
              },
            },
          },
        ]),
      },
    });
    // The bundle carries the secret only as KMS ciphertext.
    const bundle = readFileSync(join(secretBundles.edgeAssetDir, 'index.js'), 'utf8');
    expect(bundle).toContain(Buffer.alloc(184, 3).toString('base64'));
  });

  it('gives each decrypt function the KMS-wrapped versions in FLE_SECRET, and its role the unwrap', () => {
    const { decrypt, keys } = synth({}, secretConfig, secretBundles);
    const fn = Object.values(decrypt.findResources('AWS::Lambda::Function'))[0] as {
      Properties: { Environment: { Variables: Record<string, string> } };
    };
    const variable = JSON.parse(fn.Properties.Environment.Variables.FLE_SECRET ?? '{}');
    expect(variable).toMatchObject({ current: 1, acceptUnproven: false, versions: [{ version: 1, kmsKeyId: SECRET_KEY_ARN }] });
    expect(variable.indexes).toEqual([{ name: 'email', key: '01', version: 1, normalize: ['trim', 'lowercase'] }]);
    keys.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Condition: Match.objectLike({ StringEquals: { 'kms:EncryptionContext:edge-fle:purpose': 'edge-secret' } }),
          }),
        ]),
      },
    });
  });

  it('gives each audience only the secrets of its own key ids: billing (key 02) cannot unwrap those of key 01', () => {
    // Prepare: the two-audience config, with the secret and an index under key 01.
    const config: FleConfig = {
      ...twoKeyConfig,
      indexes: secretConfig.indexes,
      ...(secretConfig.edgeSecret ? { edgeSecret: secretConfig.edgeSecret } : {}),
    };
    // Act
    const { decrypt, keys } = synth({}, config, secretBundles);
    // Assert
    const variables = Object.values(decrypt.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn as { Properties: { FunctionName: string; Environment: { Variables: Record<string, string> } } }).Properties,
    );
    const billing = JSON.parse(variables.find((v) => v.FunctionName.endsWith('billing'))?.Environment.Variables.FLE_SECRET ?? '{}');
    const orders = JSON.parse(variables.find((v) => v.FunctionName.endsWith('orders'))?.Environment.Variables.FLE_SECRET ?? '{}');
    expect(Object.keys(billing.versions[0].ciphertextBlobs)).toEqual(['02']);
    expect(billing.indexes).toEqual([]);
    expect(Object.keys(orders.versions[0].ciphertextBlobs)).toEqual(['01']);
    expect(orders.indexes.map((i: { name: string }) => i.name)).toEqual(['email']);
    const [, key] = Object.entries(keys.findResources('AWS::KMS::Key', { Properties: { MultiRegion: true } }))[0]!;
    const statements = (
      key as { Properties: { KeyPolicy: { Statement: (PolicyStatementJson & { Condition: Record<string, Record<string, unknown>> })[] } } }
    ).Properties.KeyPolicy.Statement;
    expect(statements.find((st) => st.Sid === 'UnwrapByAudiencebilling')?.Condition.StringEquals).toMatchObject({
      'kms:EncryptionContext:edge-fle:key-id': ['02'],
    });
  });

  it('keeps cdk-nag clean', () => {
    const { outdir } = synth({}, secretConfig, secretBundles);
    const nag = (
      JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: { pluginName: string; violations: unknown[] }[];
      }
    ).pluginReports.find((p) => p.pluginName === 'AwsSolutions');
    expect(nag?.violations).toEqual([]);
  });
});
