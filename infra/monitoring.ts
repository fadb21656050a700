import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { NAMESPACE } from '../core/emf';

/** Where alarms notify: the SNS topic ARN of the alarm's Region, if the deployer named one. */
function notify(scope: Construct, alarms: readonly cloudwatch.Alarm[], topicArns: readonly string[]): void {
  const region = Stack.of(scope).region;
  const arn = topicArns.find((t) => t.split(':')[3] === region);
  if (!arn) return;
  const topic = sns.Topic.fromTopicArn(scope, 'AlarmTopic', arn);
  for (const alarm of alarms) alarm.addAlarmAction(new actions.SnsAction(topic));
}

const metric = (name: string, options: Partial<cloudwatch.MetricProps> = {}): cloudwatch.Metric =>
  new cloudwatch.Metric({ namespace: NAMESPACE, metricName: name, statistic: 'Sum', period: Duration.minutes(1), ...options });

/** A CloudFront distribution rate (percent of viewer requests): global, always in us-east-1. */
function cloudFrontRate(distributionId: string, name: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/CloudFront',
    metricName: name,
    dimensionsMap: { DistributionId: distributionId, Region: 'Global' },
    statistic: 'Average',
    period: Duration.minutes(1),
  });
}

export interface EdgeAlarmsProps {
  readonly distributionId: string;
  /** Alarm when more than this percentage of viewer requests get a 4xx (edge-fle's refusals included). */
  readonly rejectionRatePercent: number;
  /** The unmatched policy: with `forward`, any body forwarded unprotected alarms. */
  readonly forwardsUnprotected: boolean;
  readonly topicArns: readonly string[];
}

/**
 * The edge's alarms, in us-east-1: CloudFront's own rates (global: they count every edge location)
 * and edge-fle's metrics for the edge locations that report to us-east-1.
 */
export class EdgeAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: EdgeAlarmsProps) {
    super(scope, id);
    const cloudfront = (name: string): cloudwatch.Metric => cloudFrontRate(props.distributionId, name);
    this.alarms.push(
      new cloudwatch.Alarm(this, 'RejectionRate', {
        alarmDescription:
          'edge-fle: more viewer requests than usual answered 4xx. After a config change, check the edge log lines (outcome "rejected", code) in the Regions serving traffic: a new rule may refuse legitimate bodies.',
        metric: cloudfront('4xxErrorRate'),
        threshold: props.rejectionRatePercent,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'EdgeErrors', {
        alarmDescription:
          'edge-fle: viewer requests answered 5xx: the edge function failing closed (InternalError), timing out, or the origin failing. Check the edge logs (level ERROR) and the origin.',
        metric: cloudfront('5xxErrorRate'),
        threshold: 1,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    if (props.forwardsUnprotected) {
      this.alarms.push(
        new cloudwatch.Alarm(this, 'ForwardedUnprotected', {
          alarmDescription:
            'edge-fle: a body on a path no route names reached the origin unprotected (unmatched: "forward"). Name the path in a route, or change the policy to protect or reject.',
          metric: metric('ForwardedUnprotected'),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    notify(this, this.alarms, props.topicArns);
  }
}

/** The decrypt service's alarms, in the data region: failures and KMS throttling. */
export class DecryptAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: { readonly topicArns: readonly string[] }) {
    super(scope, id);
    this.alarms.push(
      new cloudwatch.Alarm(this, 'DecryptFailures', {
        alarmDescription:
          'edge-fle: decrypt calls failing. The decrypt log lines carry the code (AccessDenied, InvalidCiphertext, LocationMismatch, KmsUnavailable, …); a burst of InvalidCiphertext or LocationMismatch means tampered data.',
        metric: metric('DecryptFailures'),
        threshold: 5,
        evaluationPeriods: 5,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'KmsThrottling', {
        alarmDescription:
          "edge-fle: KMS kept throttling decrypt after retries. The account shares one RSA (or ECC) request quota: lower the callers' concurrency, move fields to E2, or request a quota increase.",
        metric: metric('KmsThrottles'),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    notify(this, this.alarms, props.topicArns);
  }
}

export interface DashboardProps {
  readonly prefix: string;
  readonly distributionId: string;
  readonly edgeRegions: readonly string[];
  /** Where the decrypt functions run (their metrics are there). */
  readonly dataRegion: string;
  readonly functionNames: readonly string[];
}

/**
 * The one dashboard, beside the distribution in us-east-1 (a dashboard shows any Region): the edge
 * in every listed Region (cross-Region widgets over edge-fle's metrics), CloudFront's global rates,
 * and the decrypt service in the data region. It names everything by value, so it imports nothing.
 */
export class EdgeFleDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const perRegion = (name: string, label: string): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({
        title: `${label} (edge, by Region)`,
        width: 12,
        left: props.edgeRegions.map((region) => metric(name, { region, label: region })),
      });
    const data = (name: string, options: Partial<cloudwatch.MetricProps> = {}): cloudwatch.Metric =>
      metric(name, { region: props.dataRegion, ...options });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.prefix}-edge-fle`,
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# edge-fle\nEdge metrics are per Region (Lambda@Edge reports where it runs); CloudFront's rates are global. Decrypt (${props.dataRegion}): ${props.functionNames.join(', ')}.`,
            width: 24,
            height: 2,
          }),
        ],
        [perRegion('Requests', 'Requests'), perRegion('FieldsProtected', 'Fields protected')],
        [perRegion('Rejections', 'Rejections'), perRegion('ForwardedUnprotected', 'Bodies forwarded unprotected')],
        [
          new cloudwatch.GraphWidget({
            title: 'CloudFront 4xx and 5xx rates (global, %)',
            width: 24,
            left: ['4xxErrorRate', '5xxErrorRate'].map((name) => cloudFrontRate(props.distributionId, name)),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Decrypt calls, markers, KMS calls',
            width: 12,
            left: ['Decrypts', 'Markers', 'KmsCalls'].map((name) => data(name, { dimensionsMap: { Outcome: 'decrypted' } })),
          }),
          new cloudwatch.GraphWidget({
            title: 'Decrypt failures and KMS throttles',
            width: 12,
            left: [data('DecryptFailures'), data('KmsThrottles')],
          }),
        ],
      ],
    });
  }
}
