/**
 * Deployment parameters, read from CDK context (`cdk.json`, or `-c edge-fle:<name>=<value>`).
 * Every one has a default that synthesises offline; `npm run deploy` needs a real origin.
 */
export interface DeployParams {
  /** The field config (default `config/fields.json`). */
  readonly configFile: string;
  /** Where the KMS keys and the decrypt functions live (the data region). */
  readonly dataRegion: string;
  /** The account to deploy to; unset means the CLI's current credentials decide. */
  readonly account: string | undefined;
  /** Prefix of stack and resource names. */
  readonly prefix: string;
  /** The origin's domain name (HTTPS only). */
  readonly originDomain: string;
  /** Alternate domain names for the distribution; need `certificateArn`. */
  readonly domainNames: readonly string[];
  /** ACM certificate in us-east-1 covering `domainNames`. */
  readonly certificateArn: string | undefined;
  /** WAF web ACL (CLOUDFRONT scope, us-east-1) to attach. */
  readonly webAclArn: string | undefined;
  /** CloudFront standard access logs to a bucket this app creates (default true). */
  readonly accessLogging: boolean;
  /** Retention of the decrypt functions' logs, in days. */
  readonly logRetentionDays: number;
  /** Principals allowed to invoke the decrypt function when the config names no audiences. */
  readonly invokers: readonly string[];
  /**
   * Embed public keys KMS is not known to hold (local dev keys, generated stand-ins) in the edge
   * bundle: `-c edge-fle:unsafeDevKeys=true`, for a sandbox account only. Without it, such keys
   * give an undeployable edge stack (a keyless bundle and a CloudFormation rule that fails).
   */
  readonly unsafeDevKeys: boolean;
  /** Fail synthesis unless KMS is known to hold every key (`npm run deploy` sets it). */
  readonly requireKmsKeys: boolean;
  /**
   * The principal that deploys the stacks (CloudFormation's execution role): the only one besides
   * the account's root user that may change the key policies. Default: CDK's bootstrap role
   * `cdk-hnb659fds-cfn-exec-role-<account>-<region>`.
   */
  readonly deployRoleArn: string | undefined;
  /** Principals (rotation jobs) allowed kms:Decrypt on every key besides the decrypt functions. */
  readonly rewrapPrincipals: readonly string[];
  /** SNS topics the alarms notify: one per Region (us-east-1 for the edge, the data region for decrypt). */
  readonly alarmTopicArns: readonly string[];
  /** Alarm when more than this percentage of viewer requests get a 4xx. */
  readonly rejectionAlarmPercent: number;
  /** The Regions whose edge metrics the dashboard shows. */
  readonly edgeRegions: readonly string[];
  /** The data-lake rotation (a `<prefix>-Rotation` stack), when `edge-fle:rotationBucket` is set. */
  readonly rotation: RotationParams | undefined;
}

/** Where and how the Step Functions rotation rewraps stored objects. */
export interface RotationParams {
  readonly bucket: string;
  readonly prefix: string;
  /** The key id every marker is rewrapped to. */
  readonly to: string;
  /** Write rewrapped objects under this prefix instead of in place. */
  readonly destinationPrefix: string | undefined;
  /** The account's KMS request quota for the keys' kind, per second (RSA: 500 by default). */
  readonly kmsQuotaRps: number;
  /** The share of that quota the rotation may use, leaving the rest to live decrypts. */
  readonly quotaShare: number;
}

/** The Regions whose edge metrics the dashboard shows by default: where CloudFront's Regional edge caches run Lambda@Edge. */
export const DEFAULT_EDGE_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
];

/** Thrown with every parameter problem. */
export class ParamsError extends Error {
  override readonly name = 'ParamsError';
}

const CONTEXT = 'edge-fle:';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Reads and checks the parameters; `get` is `(key) => app.node.tryGetContext(key)`. */
export function readParams(get: (key: string) => unknown): DeployParams {
  const problems: string[] = [];
  const text = (name: string, fallback?: string): string | undefined => {
    const value = get(CONTEXT + name);
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value !== 'string') problems.push(`${CONTEXT}${name} must be a string`);
    return typeof value === 'string' ? value : fallback;
  };
  const list = (name: string): string[] => {
    const value = get(CONTEXT + name);
    if (value === undefined || value === null || value === '') return [];
    // `-c name=a,b` arrives as a string; cdk.json may hold a list.
    const items = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(items) || !items.every((v) => typeof v === 'string')) {
      problems.push(`${CONTEXT}${name} must be a list of strings`);
      return [];
    }
    return items.map((v) => v.trim()).filter((v) => v !== '');
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const value = get(CONTEXT + name);
    if (value === undefined || value === null || value === '') return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    problems.push(`${CONTEXT}${name} must be true or false`);
    return fallback;
  };

  const dataRegion = text('dataRegion', 'us-east-1') as string;
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(dataRegion)) problems.push(`${CONTEXT}dataRegion "${dataRegion}" is not a Region name`);
  const account = text('account');
  if (account !== undefined && !/^\d{12}$/.test(account)) problems.push(`${CONTEXT}account must be a 12-digit account id`);
  const originDomain = text('originDomain', 'origin.example.com') as string;
  if (!/^[a-z0-9.-]+$/i.test(originDomain) || originDomain.includes('://'))
    problems.push(`${CONTEXT}originDomain must be a domain name, without scheme or path`);
  const domainNames = list('domainNames');
  for (const name of domainNames) {
    if (!/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(name))
      problems.push(`${CONTEXT}domainNames: "${name}" is not a domain name`);
  }
  const certificateArn = text('certificateArn');
  if (domainNames.length > 0 && certificateArn === undefined)
    problems.push(`${CONTEXT}domainNames need ${CONTEXT}certificateArn (an ACM certificate in us-east-1)`);
  if (certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/.+$/.test(certificateArn)) {
    problems.push(`${CONTEXT}certificateArn must be an ACM certificate ARN in us-east-1`);
  }
  const webAclArn = text('webAclArn');
  if (webAclArn !== undefined && !/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+$/.test(webAclArn)) {
    problems.push(`${CONTEXT}webAclArn must be a WAFv2 web ACL ARN of CLOUDFRONT scope (us-east-1, global/webacl/…)`);
  }
  const retention = get(`${CONTEXT}logRetentionDays`) ?? 90;
  const logRetentionDays = typeof retention === 'number' || typeof retention === 'string' ? Number(retention) : Number.NaN;
  if (!RETENTION_DAYS.includes(logRetentionDays)) problems.push(`${CONTEXT}logRetentionDays must be one of ${RETENTION_DAYS.join(', ')}`);
  const principals = (name: string, pattern: RegExp, what: string): string[] => {
    const arns = list(name);
    for (const arn of arns) if (!pattern.test(arn)) problems.push(`${CONTEXT}${name}: "${arn}" is not ${what}`);
    return arns;
  };
  const invokers = principals('invokers', /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+|user\/.+)$/, 'an IAM principal ARN');
  // Roles only: KMS evaluates aws:PrincipalArn of an assumed role as the role's ARN.
  const rewrapPrincipals = principals('rewrapPrincipals', ROLE_ARN, 'an IAM role ARN');
  const alarmTopicArns = principals('alarmTopicArns', /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'an SNS topic ARN');
  const rejectionRaw = get(`${CONTEXT}rejectionAlarmPercent`) ?? 5;
  const rejectionAlarmPercent = typeof rejectionRaw === 'number' || typeof rejectionRaw === 'string' ? Number(rejectionRaw) : Number.NaN;
  if (!(rejectionAlarmPercent > 0 && rejectionAlarmPercent <= 100))
    problems.push(`${CONTEXT}rejectionAlarmPercent must be a percentage above 0`);
  const edgeRegionList = list('edgeRegions');
  for (const region of edgeRegionList)
    if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) problems.push(`${CONTEXT}edgeRegions: "${region}" is not a Region name`);
  const rotationBucket = text('rotationBucket');
  let rotation: RotationParams | undefined;
  if (rotationBucket !== undefined) {
    const number = (name: string, fallback: number, ok: (n: number) => boolean, what: string): number => {
      const raw = get(CONTEXT + name) ?? fallback;
      const n = typeof raw === 'number' || typeof raw === 'string' ? Number(raw) : Number.NaN;
      if (!ok(n)) problems.push(`${CONTEXT}${name} must be ${what}`);
      return n;
    };
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(rotationBucket)) problems.push(`${CONTEXT}rotationBucket must be an S3 bucket name`);
    const to = text('rotationTo');
    if (to === undefined) problems.push(`${CONTEXT}rotationTo must name the key id to rewrap to`);
    rotation = {
      bucket: rotationBucket,
      prefix: text('rotationPrefix', '') as string,
      to: to ?? '',
      destinationPrefix: text('rotationDestPrefix'),
      kmsQuotaRps: number('kmsQuotaRps', 500, (n) => Number.isInteger(n) && n >= 1, 'a whole number of requests per second'),
      quotaShare: number('rotationQuotaShare', 0.5, (n) => n > 0 && n <= 1, 'a fraction above 0 and at most 1'),
    };
  }
  const deployRoleArn = text('deployRoleArn');
  if (deployRoleArn !== undefined && !ROLE_ARN.test(deployRoleArn)) problems.push(`${CONTEXT}deployRoleArn must be an IAM role ARN`);
  const params: DeployParams = {
    configFile: text('config', 'config/fields.json') as string,
    dataRegion,
    account,
    prefix: text('prefix', 'EdgeFle') as string,
    originDomain,
    domainNames,
    certificateArn,
    webAclArn,
    accessLogging: flag('accessLogging', true),
    logRetentionDays,
    invokers,
    unsafeDevKeys: flag('unsafeDevKeys', false),
    requireKmsKeys: flag('requireKmsKeys', false),
    deployRoleArn,
    rewrapPrincipals,
    alarmTopicArns,
    rejectionAlarmPercent,
    edgeRegions: edgeRegionList.length > 0 ? edgeRegionList : DEFAULT_EDGE_REGIONS,
    rotation,
  };
  if (get(`${CONTEXT}allowDevKeys`) !== undefined) {
    problems.push(`${CONTEXT}allowDevKeys is gone: dev keys never reach a deployable template (see README, "Dev keys and deployment")`);
  }
  if (params.unsafeDevKeys && params.requireKmsKeys)
    problems.push(`${CONTEXT}unsafeDevKeys and ${CONTEXT}requireKmsKeys contradict each other`);
  if (!/^[A-Za-z][A-Za-z0-9]{0,19}$/.test(params.prefix))
    problems.push(`${CONTEXT}prefix must be 1 to 20 letters or digits, starting with a letter`);
  if (problems.length > 0) throw new ParamsError(`invalid deployment parameters:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  return params;
}
