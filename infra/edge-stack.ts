import { Annotations, ArnFormat, CfnOutput, CfnRule, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { EdgeKeyManifest } from '../cli/bundle';
import { edgeRoleName, secretContextConditions } from './edge-secret-key';
import { EdgeAlarms, EdgeFleDashboard } from './monitoring';

/** Template metadata key holding the {@link EdgeKeyManifest}: what `npm run deploy` checks against KMS. */
export const PUBLIC_KEYS_METADATA = 'EdgeFle::PublicKeys';

export interface EdgeStackProps extends StackProps {
  readonly prefix: string;
  /** Folder holding the edge bundle (`index.js`) built for the config. */
  readonly edgeAssetDir: string;
  readonly originDomain: string;
  readonly domainNames: readonly string[];
  readonly certificateArn: string | undefined;
  readonly webAclArn: string | undefined;
  readonly accessLogging: boolean;
  /** The public keys the bundle embeds and where they came from (see `edge-fle-keys.json`). */
  readonly keyManifest: EdgeKeyManifest;
  /** Add the rule that makes CloudFormation refuse this template (not synthesised by the verified deploy). */
  readonly gated: boolean;
  /** Alarms, the dashboard, and where they look. */
  readonly monitoring: {
    readonly topicArns: readonly string[];
    readonly rejectionAlarmPercent: number;
    readonly forwardsUnprotected: boolean;
    readonly edgeRegions: readonly string[];
    readonly dataRegion: string;
    readonly decryptFunctionNames: readonly string[];
  };
}

/** What the function's description says of its keys. */
export const DESCRIPTION_LABEL: Readonly<Record<EdgeKeyManifest['status'], string>> = {
  kms: '',
  dev: ' (UNSAFE DEV KEYS: not for production)',
  placeholder: ' (NOT DEPLOYABLE: no KMS public keys)',
};

/** The Lambda@Edge runtime: Node 22 (the AWS SDK needs Node 22 from 2027). */
export const EDGE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * us-east-1: the edge function (from the pre-built esbuild bundle: no environment, x86_64, Node 22)
 * and a CloudFront distribution in front of the origin. Each route's path gets a behaviour with
 * every method allowed, caching disabled, all viewer headers, cookies and query strings but Host
 * forwarded, HTTPS only (redirect), and the function's numbered version as an origin-request
 * trigger with the body included.
 */
export class EdgeStack extends Stack {
  readonly edgeFunction: lambda.Function;
  readonly edgeFunctionName: string;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { keyManifest } = props;
    const devKeyIds = [
      ...keyManifest.keys.filter((k) => k.source !== 'kms').map((k) => k.id),
      ...(keyManifest.secret?.source === 'local' ? [`edge-secret.${keyManifest.secret.version}`] : []),
    ];
    this.templateOptions.metadata = { ...this.templateOptions.metadata, [PUBLIC_KEYS_METADATA]: keyManifest };
    if (keyManifest.status === 'dev') {
      Annotations.of(this).addWarningV2(
        'edge-fle:dev-keys',
        `UNSAFE: built with DEV key(s) ${devKeyIds.join(', ')} that KMS does not hold (edge-fle:unsafeDevKeys): data encrypted by this function can be lost; sandbox accounts only`,
      );
    }
    if (props.gated) {
      Annotations.of(this).addWarningV2(
        'edge-fle:not-deployable',
        keyManifest.status === 'placeholder'
          ? 'synthesised without public keys fetched from KMS: the edge function is a keyless placeholder and CloudFormation refuses to deploy this stack; use npm run deploy'
          : 'not synthesised by npm run deploy, which compares every embedded key with KMS: CloudFormation refuses to deploy this stack; use npm run deploy',
      );
      // CloudFormation checks rules before it creates or changes anything; this one never holds.
      new CfnRule(this, 'NotDeployable', {
        assertions: [
          {
            assert: Fn.conditionEquals('keys-from-kms', 'placeholder'),
            assertDescription:
              'edge-fle: this edge template was not synthesised by npm run deploy (which verifies every embedded public key against KMS) and must not be deployed; run npm run deploy',
          },
        ],
      });
    }

    const secret = keyManifest.secret?.source === 'kms' ? keyManifest.secret : undefined;
    const role = new iam.Role(this, 'EdgeFunctionRole', {
      // Fixed: the edge secret key's policy names it before this stack exists.
      roleName: edgeRoleName(props.prefix),
      assumedBy: new iam.CompositePrincipal(
        new iam.ServicePrincipal('lambda.amazonaws.com'),
        new iam.ServicePrincipal('edgelambda.amazonaws.com'),
      ),
      description: secret
        ? 'edge-fle Lambda@Edge: writes its logs and unwraps its edge secret version (kms:Decrypt, that key, that context)'
        : 'edge-fle Lambda@Edge: writes its logs, nothing else',
    });
    if (secret?.kmsKeyId) {
      // Once per container, in the key's own Region: the baked version's ciphertext, with its context.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.kmsKeyId],
          conditions: secretContextConditions(
            secret.version,
            keyManifest.keys.map((k) => k.id),
          ),
        }),
      );
    }
    // A fixed name lets the role's log policy name the function without depending on it.
    this.edgeFunctionName = `${props.prefix}-edge-protect`;
    this.edgeFunction = new lambda.Function(this, 'EdgeFunction', {
      functionName: this.edgeFunctionName,
      description: `edge-fle origin-request field encryption${DESCRIPTION_LABEL[keyManifest.status]}`,
      runtime: EDGE_RUNTIME,
      architecture: lambda.Architecture.X86_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.edgeAssetDir),
      role,
      // Origin-request triggers may run up to 30 s; encrypting a full 1 MB body takes well under 1 s.
      timeout: Duration.seconds(5),
      // RSA runs on the CPU, which Lambda scales with memory.
      memorySize: 512,
      // Replicas of an old version keep serving until CloudFront drops them; deleting the version on
      // update fails (DELETE_FAILED) while they exist, so versions are kept.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
    });
    // Lambda@Edge writes to /aws/lambda/us-east-1.<name> in whichever Region serves the request.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          this.formatArn({
            service: 'logs',
            region: '*',
            resource: 'log-group',
            resourceName: `/aws/lambda/us-east-1.${this.edgeFunctionName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );

    const origin = new origins.HttpOrigin(props.originDomain, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    // One behaviour, the default, runs the function for every path. CloudFront's path patterns are
    // literal and case-sensitive (/API/people would miss a /api/people* behaviour), so routing is
    // left to the function, which matches the canonical path and applies the unmatched policy.
    const protectedBehavior: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      edgeLambdas: [
        { functionVersion: this.edgeFunction.currentVersion, eventType: cloudfront.LambdaEdgeEventType.ORIGIN_REQUEST, includeBody: true },
      ],
    };

    const logBucket = props.accessLogging
      ? new s3.Bucket(this, 'AccessLogs', {
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          encryption: s3.BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          // CloudFront standard logging writes with ACLs.
          objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
          lifecycleRules: [{ expiration: Duration.days(365) }],
          removalPolicy: RemovalPolicy.RETAIN,
        })
      : undefined;

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${props.prefix}: field-level encryption at the edge`,
      defaultBehavior: protectedBehavior,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // The TLS policy applies to a custom certificate; CloudFront's default one is fixed at TLSv1.
      ...(props.certificateArn
        ? {
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
            domainNames: [...props.domainNames],
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
      ...(logBucket ? { enableLogging: true, logBucket, logFilePrefix: 'cloudfront/' } : {}),
    });
    const { monitoring } = props;
    new EdgeAlarms(this, 'Alarms', {
      distributionId: this.distribution.distributionId,
      rejectionRatePercent: monitoring.rejectionAlarmPercent,
      forwardsUnprotected: monitoring.forwardsUnprotected,
      topicArns: monitoring.topicArns,
    });
    new EdgeFleDashboard(this, 'Dashboard', {
      prefix: props.prefix,
      distributionId: this.distribution.distributionId,
      edgeRegions: monitoring.edgeRegions,
      dataRegion: monitoring.dataRegion,
      functionNames: monitoring.decryptFunctionNames,
    });
    new CfnOutput(this, 'DistributionDomainName', { value: this.distribution.distributionDomainName });
    new CfnOutput(this, 'EdgeFunctionVersionArn', { value: this.edgeFunction.currentVersion.functionArn });
  }
}
