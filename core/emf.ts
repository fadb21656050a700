/**
 * CloudWatch Embedded Metric Format: the one JSON shape edge and decrypt both log. CloudWatch Logs
 * extracts the metrics from the log line itself: no library, agent or API call on the hot path.
 */

/** The CloudWatch namespace of every edge-fle metric. */
export const NAMESPACE = 'EdgeFle';

/** A CloudWatch unit edge-fle uses. */
export type MetricUnit = 'Count' | 'Bytes' | 'Milliseconds';

/** One metric directive: these metrics, reported under these dimension sets. */
export interface MetricDirective {
  /** Each inner list is one dimension set; `[[]]` reports the metrics with no dimension. */
  readonly dimensions: readonly (readonly string[])[];
  readonly metrics: readonly { readonly name: string; readonly unit: MetricUnit }[];
}

/**
 * The members to merge into a log line: `_aws` naming the directives, and `values` (the metric and
 * dimension members they read). Dimension values must be values edge-fle chose (outcomes, codes,
 * route names), never request data: each is a CloudWatch metric of its own.
 *
 * @example
 * emfMembers([{ dimensions: [['Code']], metrics: [{ name: 'Rejections', unit: 'Count' }] }], { Code: 'MalformedJson', Rejections: 1 }, Date.now());
 */
export function emfMembers(
  directives: readonly MetricDirective[],
  values: Readonly<Record<string, string | number>>,
  timestamp: number,
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: directives.map((d) => ({
        Namespace: NAMESPACE,
        Dimensions: d.dimensions.map((set) => [...set]),
        Metrics: d.metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
      })),
    },
    ...values,
  };
}
