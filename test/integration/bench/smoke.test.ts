import { describe, expect, it } from 'vitest';
import { formatResults, runBench } from '../../../bench/run-bench';

/** A tiny run of the whole harness, so `npm run bench` cannot rot. Asserts shape and sense, never speed. */
describe('npm run bench (smoke)', () => {
  it('measures every figure and formats the table', async () => {
    const results = await runBench({ quick: true });
    expect(results.edge.map((e) => e.mode)).toEqual(['rsa', 'envelope', 'e2']);
    expect(results.markerSizes[0]!.e2).toBeLessThan(results.markerSizes[0]!.e1);
    expect(results.e2PerField.e2Us.median).toBeGreaterThan(0);
    // rsa costs a KMS call per distinct value, an envelope one per stored request.
    const [rsa, envelope] = results.rewrap;
    expect(rsa!.kmsCallsPerRecord).toBeGreaterThan(envelope!.kmsCallsPerRecord);
    expect(rsa!.recordsPerSecond).toBeGreaterThan(0);
    for (const e of results.edge) {
      expect(e.fields).toBe(e.records * 6);
      expect(e.outputBytes).toBeGreaterThan(e.inputBytes);
      expect(e.transform.median).toBeGreaterThan(0);
      expect(e.floor.median).toBeGreaterThan(0);
      expect(e.transform.min).toBeLessThanOrEqual(e.transform.max);
    }
    expect(results.bundle.gzipBytes).toBeLessThan(results.bundle.bytes);
    expect(results.coldStart.withBundle.median).toBeGreaterThan(0);
    const byMode = Object.fromEntries(results.decrypt.map((d) => [d.mode, d]));
    expect(byMode.rsa!.kmsCalls).toBe(byMode.rsa!.markers);
    expect(byMode.envelope!.kmsCalls).toBe(1);
    expect(results.memory.every((m) => m.peakMb > 0)).toBe(true);
    // Searchable fields: the SIV floor is part of the searchable cost; one KMS call per container.
    expect(results.searchable.d1Us.median).toBeGreaterThan(0);
    expect(results.searchable.sivFloorUs.median).toBeGreaterThan(0);
    expect(results.secretColdStart.kmsCallsPerContainer).toBe(1);
    expect(results.secretColdStart.firstRequestMs.median).toBeGreaterThan(results.secretColdStart.laterRequestMs.median);
    expect(results.searchableBundle.bytes).toBeGreaterThan(results.bundle.bytes);
    const table = formatResults(results);
    expect(table).toContain('| target | wanted | measured | met |');
    expect(table).toContain('QUICK');
  });
});
