import type { DataKey } from '../core/format/e1';
import type { E2Key } from '../core/format/e2';

/** A request's key, ready to open its values: an E1 data key or an E2 key. */
export type RequestKey = DataKey | E2Key;

/** Limits of the optional data-key cache. */
export interface DataKeyCacheOptions {
  /** How long an unwrapped data key may be reused, in ms. */
  readonly maxAgeMs: number;
  /** How many decrypt calls may reuse one unwrapped data key. */
  readonly maxUses: number;
  /** Most data keys held at once (oldest dropped first). Default 1000. */
  readonly maxEntries?: number;
}

/**
 * Unwrapped data keys kept across decrypt calls, keyed by their wrapped form, so that reading the
 * same request's fields again costs no KMS call. Off unless the caller asks for it: a cached key
 * decrypts without KMS seeing (or auditing, or denying) the use until it expires.
 */
export class DataKeyCache {
  private readonly entries = new Map<string, { dataKey: RequestKey; expires: number; uses: number }>();

  constructor(
    private readonly options: DataKeyCacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** A cached data key, counting one use, or undefined when absent, expired or used up. */
  take(wrapped: string): RequestKey | undefined {
    const entry = this.entries.get(wrapped);
    if (!entry) return undefined;
    if (entry.expires <= this.now() || entry.uses >= this.options.maxUses) {
      this.entries.delete(wrapped);
      return undefined;
    }
    entry.uses += 1;
    return entry.dataKey;
  }

  put(wrapped: string, dataKey: RequestKey): void {
    this.entries.delete(wrapped);
    this.entries.set(wrapped, { dataKey, expires: this.now() + this.options.maxAgeMs, uses: 1 });
    const max = this.options.maxEntries ?? 1000;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
  }
}
