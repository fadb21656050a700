import { emfMembers, type MetricDirective } from '../core/emf';

/**
 * The edge's per-request metrics, in the Embedded Metric Format of `core/emf.ts`. Lambda@Edge
 * writes its log line in the Region that served the request, so the metrics land there too
 * (namespace `EdgeFle`); the dashboard reads every Region.
 *
 * Dimensions are only values the edge chose itself, never anything from the request: the outcome,
 * a stable error code, the config's route name and the unmatched policy.
 */

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
  const directives: MetricDirective[] = [
    {
      dimensions: [['Outcome']],
      metrics: [
        { name: 'Requests', unit: 'Count' },
        { name: 'FieldsProtected', unit: 'Count' },
        { name: 'BytesIn', unit: 'Bytes' },
        { name: 'BytesOut', unit: 'Bytes' },
        { name: 'Duration', unit: 'Milliseconds' },
      ],
    },
  ];
  const values: Record<string, string | number> = {
    Outcome: request.outcome,
    Requests: 1,
    FieldsProtected: request.fields,
    BytesIn: request.bytesIn,
    BytesOut: request.bytesOut ?? 0,
    Duration: request.durationMs,
  };
  if (request.outcome === 'rejected') {
    // By code for the dashboard, and in total (no dimension) for one alarm.
    directives.push({ dimensions: [['Code'], []], metrics: [{ name: 'Rejections', unit: 'Count' }] });
    Object.assign(values, { Code: request.code ?? 'InternalError', Rejections: 1 });
  }
  if (request.outcome === 'forwarded-unprotected') {
    directives.push({ dimensions: [['Route', 'Policy'], []], metrics: [{ name: 'ForwardedUnprotected', unit: 'Count' }] });
    Object.assign(values, { Route: request.route ?? '(none)', Policy: request.policy ?? 'forward', ForwardedUnprotected: 1 });
  }
  return emfMembers(directives, values, timestamp);
}
