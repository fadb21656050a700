import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { RouteMode } from '../core/config';
import { createDecryptor } from '../decrypt/decryptor';
import { protectRequest } from '../edge/transform';
import { rewrapPrefix } from '../rewrap/worker';
import { loopbackKmsClient } from '../test/helpers/decrypt';
import { startFakeKms } from '../test/helpers/kms-server';
import { startS3 } from '../test/helpers/s3';
import { edgeConfig } from './edge-bench';
import { peopleBody } from './records';

/** Rewrap throughput of one mode: `fle rewrap-s3`'s worker against s3rver and the loopback KMS. */
export interface RewrapResult {
  readonly mode: RouteMode;
  readonly objects: number;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  /** KMS requests the loopback endpoint answered, per record. */
  readonly kmsCallsPerRecord: number;
}

/** Days to rotate `records` at `quota × share` KMS calls per second, `callsPerRecord` each. */
export function rotationDays(records: number, callsPerRecord: number, quotaRps: number, share: number): number {
  return (records * callsPerRecord) / (quotaRps * share) / 86_400;
}

/**
 * Puts `objects` stored requests of `recordsPerObject` person records (as the edge protected them)
 * under a prefix, then rewraps them all to key 02, in each mode.
 */
export async function benchRewrap(
  keys: { publicKeyPem: string; privateKeyFile: string; targetPublicKeyPem: string },
  modes: readonly RouteMode[],
  objects: number,
  recordsPerObject: number,
): Promise<RewrapResult[]> {
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/bench-rewrap';
  const kms = await startFakeKms([{ arn, privateKeyPem: readFileSync(keys.privateKeyFile, 'utf8') }]);
  const s3 = await startS3(['lake']);
  try {
    const results: RewrapResult[] = [];
    for (const mode of modes) {
      const outcome = protectRequest(edgeConfig(keys.publicKeyPem, mode), {
        method: 'POST',
        uri: '/api/people',
        contentType: 'application/json',
        body: peopleBody(recordsPerObject),
      });
      if (outcome.action !== 'replace') throw new Error('expected a protected body');
      for (let i = 0; i < objects; i += 1) {
        await s3.client.send(
          new PutObjectCommand({ Bucket: 'lake', Key: `${mode}/part-${i}.json`, Body: outcome.body, ContentType: 'application/json' }),
        );
      }
      kms.reset();
      const client = loopbackKmsClient(kms.url);
      const decryptor = createDecryptor({ keys: [{ id: '01', kmsKeyId: arn }], kmsClient: client, knownKeyIds: ['01', '02'] });
      const started = performance.now();
      const summary = await rewrapPrefix(s3.client, decryptor, {
        bucket: 'lake',
        prefix: `${mode}/`,
        to: { id: '02', publicKeyPem: keys.targetPublicKeyPem },
        knownKeyIds: ['01', '02'],
        concurrency: 4,
      });
      const seconds = (performance.now() - started) / 1000;
      client.destroy();
      if (summary.failed.length > 0 || summary.rewrapped !== objects)
        throw new Error(`rewrap bench: ${summary.failed.length} objects failed`);
      const records = objects * recordsPerObject;
      results.push({
        mode,
        objects,
        records,
        seconds,
        recordsPerSecond: records / seconds,
        mbPerSecond: (Buffer.byteLength(outcome.body) * objects) / seconds / 1_048_576,
        kmsCallsPerRecord: kms.requests.length / records,
      });
    }
    return results;
  } finally {
    await s3.close();
    await kms.close();
  }
}
