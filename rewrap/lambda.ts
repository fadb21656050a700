/**
 * The rotation worker Lambda: one Distributed Map batch of S3 objects per invocation, the same
 * `rewrapObject` as `fle rewrap-s3`. Its settings come from `FLE_REWRAP` (set by the rotation
 * stack), the edge secret's from `FLE_SECRET`; the S3 and KMS clients and the decryptor are made
 * once per container.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createDecryptor } from '../decrypt/decryptor';
import { parseSecretVariable } from '../decrypt/secret-variable';
import { type RewrapJob, rewrapBatch } from './batch';

const job = JSON.parse(process.env.FLE_REWRAP ?? '{}') as RewrapJob;
const s3 = new S3Client({});
// The edge secret (FLE_SECRET), when declared: searchable values and proofs move to its current version.
const secret = parseSecretVariable(process.env.FLE_SECRET);
const decryptor = createDecryptor({
  keys: job.keys,
  knownKeyIds: job.knownKeyIds,
  ...(job.kmsInFlight ? { concurrency: job.kmsInFlight } : {}),
  ...(secret ? { secret } : {}),
});

export const handler = (event: { Items?: { Key?: string }[] }) => rewrapBatch(s3, decryptor, job, event);
