/**
 * The loopback KMS endpoint in its own process, so its RSA work does not share the measured
 * process's CPU. Reads the private key from FLE_BENCH_KEY_FILE, the key ARN from FLE_BENCH_KEY_ARN,
 * the latency from FLE_BENCH_LATENCY_MS; prints its URL; stops when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { startFakeKms } from '../test/helpers/kms-server';

const kms = await startFakeKms([
  { arn: process.env.FLE_BENCH_KEY_ARN ?? '', privateKeyPem: readFileSync(process.env.FLE_BENCH_KEY_FILE ?? '', 'utf8') },
]);
kms.latencyMs = Number(process.env.FLE_BENCH_LATENCY_MS ?? '0');
process.stdout.write(`${kms.url}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void kms.close().then(() => process.exit(0));
});
