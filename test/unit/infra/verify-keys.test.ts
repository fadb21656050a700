import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../cli/key-provenance';
import { verifyEdgeKeys } from '../../../infra/verify-keys';
import { testKeyPair } from '../../helpers/keys';

const der = (pem: string): Uint8Array => createPublicKey(pem).export({ type: 'spki', format: 'der' });
const held = testKeyPair(2048, 0).publicKeyPem;
const other = testKeyPair(2048, 1).publicKeyPem;
const arns = new Map([['01', 'arn:aws:kms:us-east-1:111122223333:key/a']]);

describe('verifyEdgeKeys', () => {
  it('passes when every embedded fingerprint is the one KMS holds', async () => {
    const manifest = { status: 'kms' as const, keys: [{ id: '01', fingerprint: fingerprintOf(held), source: 'kms' as const }] };
    expect(await verifyEdgeKeys(manifest, arns, async () => der(held))).toEqual([]);
  });

  it('refuses a key KMS does not hold, a dev or placeholder bundle, a key without a KMS key, a template without a record', async () => {
    const manifest = { status: 'kms' as const, keys: [{ id: '01', fingerprint: fingerprintOf(other), source: 'kms' as const }] };
    expect(await verifyEdgeKeys(manifest, arns, async () => der(held))).toEqual([
      expect.stringMatching(/key 01: the bundle embeds sha256:\w+ but KMS key .* holds sha256:\w+/),
    ]);
    expect(await verifyEdgeKeys({ ...manifest, status: 'dev' }, arns, async () => der(held))).toEqual([expect.stringContaining('dev')]);
    expect(await verifyEdgeKeys({ status: 'placeholder', keys: [] }, arns, async () => der(held))).toEqual([
      expect.stringContaining('placeholder'),
    ]);
    expect(await verifyEdgeKeys(manifest, new Map(), async () => der(held))).toEqual([expect.stringContaining('no KMS key')]);
    expect(await verifyEdgeKeys(undefined, arns, async () => der(held))).toEqual([expect.stringContaining('records no public keys')]);
  });
});
