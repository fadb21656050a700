import type { S3Client } from '@aws-sdk/client-s3';
import type { Decryptor } from '../decrypt/decryptor';
import { type ObjectResult, type RewrapTarget, rewrapObject } from './worker';

/** What the rotation stack tells each worker (`FLE_REWRAP`). */
export interface RewrapJob extends RewrapTarget {
  /** The keys to open: `{id, kmsKeyId}` (alias ARNs). */
  readonly keys: readonly { readonly id: string; readonly kmsKeyId: string }[];
  /** KMS calls in flight per object. */
  readonly kmsInFlight?: number;
}

/** Thrown when KMS throttled some object of the batch: Step Functions retries the batch with backoff. */
export class BatchThrottledError extends Error {
  override readonly name = 'Throttled';
}

/**
 * Rewraps one Distributed Map batch, object by object. Failures are results (the Map Run's
 * manifest lists them with their codes), except throttling: then the batch throws `Throttled`
 * after finishing what it could, and the state machine's retry (exponential, jittered) runs it
 * again; objects already rewrapped are skipped, so the retry costs only what was left.
 */
export async function rewrapBatch(
  s3: S3Client,
  decryptor: Decryptor,
  job: RewrapJob,
  event: { readonly Items?: readonly { readonly Key?: string }[] },
): Promise<{ results: ObjectResult[] }> {
  const results: ObjectResult[] = [];
  for (const item of event.Items ?? []) {
    if (typeof item.Key !== 'string' || !item.Key.startsWith(job.prefix)) {
      results.push({ key: String(item.Key), outcome: 'failed', code: 'OutsidePrefix' });
      continue;
    }
    results.push(await rewrapObject(s3, decryptor, job, item.Key));
  }
  const throttled = results.filter((r) => r.code === 'Throttled').length;
  if (throttled > 0) throw new BatchThrottledError(`KMS throttled ${throttled} of ${results.length} objects; the batch is retried`);
  return { results };
}
