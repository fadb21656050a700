/**
 * CloudWatch Embedded Metric Format for the edge's per-request log line: the line stays one JSON
 * document, and CloudWatch Logs extracts metrics from it with no library, agent or API call on the
 * hot path. Lambda@Edge writes it in the Region that served the request, so the metrics land there
 * too (namespace {@link EDGE_NAMESPACE}); the dashboard reads every Region.
 *
 * Dimensions are only values the edge chose itself, never anything from the request: the outcome,
 * a stable error code, the config's route name and the unmatched policy.
 */

/** The CloudWatch namespace of every edge-fle metric. */
export const EDGE_NAMESPACE = 'EdgeFle';

/** What one request came to, as the handler logs it. */
export interface RequestOutcome {
  readonly outcome: 'protected' | 'forwarded' | 'forwarded-unprotected' | 'rejected';
  /** The config's route name, or null when no route named the path. */
  readonly route: string | null;
  readonly fields: number;
  readonly bytesIn: number;
  readonly bytesOut?: number;
  readonly durationMs: number;
  /** A rejection's stable code. */
  readonly code?: string;
  /** The unmatched policy that let a body through unprotected. */
  readonly policy?: string;
}

/**
 * The EMF members to merge into a log line: the `_aws` directive and the metric and dimension
 * members it names. Every request counts in `Requests`, `FieldsProtected`, `BytesIn`, `BytesOut`
 * and `Duration` by `Outcome`; a rejection adds `Rejections` by `Code`; a body forwarded without
 * protection adds `ForwardedUnprotected` by `Route` and `Policy`.
 *
 * @example
 * log(JSON.stringify({ ...line, ...emf({ outcome: 'rejected', code: 'MalformedJson', ... }, Date.now()) }));
 */
export function emf(request: RequestOutcome, timestamp: number): Record<string, unknown> {
  const directives: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] = [
    {
      Namespace: EDGE_NAMESPACE,
      Dimensions: [['Outcome']],
      Metrics: [
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'FieldsProtected', Unit: 'Count' },
        { Name: 'BytesIn', Unit: 'Bytes' },
        { Name: 'BytesOut', Unit: 'Bytes' },
        { Name: 'Duration', Unit: 'Milliseconds' },
      ],
    },
  ];
  const members: Record<string, unknown> = {
    Outcome: request.outcome,
    Requests: 1,
    FieldsProtected: request.fields,
    BytesIn: request.bytesIn,
    BytesOut: request.bytesOut ?? 0,
    Duration: request.durationMs,
  };
  if (request.outcome === 'rejected') {
    directives.push({ Namespace: EDGE_NAMESPACE, Dimensions: [['Code']], Metrics: [{ Name: 'Rejections', Unit: 'Count' }] });
    Object.assign(members, { Code: request.code ?? 'InternalError', Rejections: 1 });
  }
  if (request.outcome === 'forwarded-unprotected') {
    directives.push({
      Namespace: EDGE_NAMESPACE,
      Dimensions: [['Route', 'Policy']],
      Metrics: [{ Name: 'ForwardedUnprotected', Unit: 'Count' }],
    });
    Object.assign(members, { Route: request.route ?? '(none)', Policy: request.policy ?? 'forward', ForwardedUnprotected: 1 });
  }
  return { _aws: { Timestamp: timestamp, CloudWatchMetrics: directives }, ...members };
}
