/** A figure measured over repeated runs: its median and spread. */
export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/** The median and spread of samples. */
export function figure(samples: readonly number[]): Figure {
  if (samples.length === 0) throw new RangeError('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, runs: sorted.length };
}

/** Times `run` (ms) after `warmup` unmeasured calls. */
export function time(run: () => unknown, runs: number, warmup = 2): Figure {
  for (let i = 0; i < warmup; i += 1) run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return figure(samples);
}

/** Times an async `run` (ms). */
export async function timeAsync(run: () => Promise<unknown>, runs: number, warmup = 1): Promise<Figure> {
  for (let i = 0; i < warmup; i += 1) await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return figure(samples);
}

/** `1.23 ms (1.10–1.40)`. */
export function show(f: Figure, unit = 'ms', digits = 2): string {
  return `${f.median.toFixed(digits)} ${unit} (${f.min.toFixed(digits)}–${f.max.toFixed(digits)})`;
}
