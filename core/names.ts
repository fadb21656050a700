/**
 * Sensitive names, matched as origin frameworks match member and field names. An origin may read a
 * name case-insensitively (ASP.NET, Go's encoding/json), through Unicode case folding (`ſ` is `s`
 * to Go, the Kelvin sign is `k`), through compatibility forms (full-width letters), with PHP's
 * rewriting of `.` and spaces to `_`, or with relaxed binding that ignores `_` and `-` (Spring
 * Boot, many mappers between snake_case and camelCase). So a name is compared in a folded form that
 * erases every one of those differences at once: NFKC, full case folding, then only letters and
 * digits kept. The fold over-matches on purpose: protecting a field no origin would have read is
 * harmless; missing one an origin reads is a leak.
 *
 * Nested names (`person[ssn]`, `ssn[]`, `person.ssn`) are split into segments and each segment is
 * compared too, because PHP, Rails, qs (Express) and Spring bind those form fields to a member
 * `ssn`, and MongoDB (`$set` with dot notation), ASP.NET MVC's JSON value provider and "flat" PATCH
 * handlers read a JSON member `profile.ssn` the same way. A NUL ends a name for PHP.
 */

/**
 * The folded form of a name: NFKC, upper then lower case (full folding: `ſ`→`s`, `ß`→`ss`), and
 * only letters and digits kept (combining marks, `_`, `-`, `.`, spaces and controls dropped).
 *
 * @example foldName('Card-Number') === foldName('card_number') // true
 * @example foldName('ſsn') === 'ssn' // true
 */
export function foldName(name: string): string {
  return name
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * The segments of a nested form or query name: `a[b][]` → `a`, `b`; `a.b` → `a`, `b`. PHP keeps
 * `a[b.c]` as one key `b.c`, Spring and qs (`allowDots`) read `a.b.c` as a path: matching every
 * contiguous run of segments (see {@link NameMatcher.field}) covers both readings.
 */
export function nameSegments(name: string): string[] {
  return name.split(/[[\].]/).filter((s) => s !== '');
}

const NESTED = /[[\].]/;

/** Finds which configured sensitive name, if any, a member or field name is read as. */
export interface NameMatcher<T> {
  /** The rule of the configured name `name` is read as, by its whole folded form. */
  member(name: string): T | undefined;
  /**
   * Like {@link NameMatcher.member}, also matching any contiguous run of the segments of a nested
   * name (`person[ssn]`, `person.card.number` for `card_number`) and the part before a NUL.
   */
  field(name: string): T | undefined;
  /** True when no name is configured. */
  readonly empty: boolean;
}

/**
 * Prepares a matcher over configured names (folded once). Folding results are cached per matcher,
 * bounded, since bodies repeat the same member names record after record.
 */
export function createNameMatcher<T>(entries: readonly (readonly [name: string, rule: T])[]): NameMatcher<T> {
  const rules = new Map<string, T>();
  for (const [name, rule] of entries) {
    const folded = foldName(name);
    if (folded !== '' && !rules.has(folded)) rules.set(folded, rule);
  }
  const cache = new Map<string, T | null>();
  const member = (name: string): T | undefined => {
    if (rules.size === 0) return undefined;
    let hit = cache.get(name);
    if (hit === undefined) {
      hit = rules.get(foldName(name)) ?? null;
      if (cache.size < 4096) cache.set(name, hit);
    }
    return hit ?? undefined;
  };
  const field = (name: string): T | undefined => {
    const whole = member(name);
    if (whole !== undefined || rules.size === 0) return whole;
    // PHP reads a name only up to its first NUL (`ssn\0x` is `ssn`).
    const nul = name.indexOf('\u0000');
    if (nul >= 0) {
      const cut = field(name.slice(0, nul));
      if (cut !== undefined) return cut;
    }
    if (!NESTED.test(name)) return undefined;
    const segments = nameSegments(name).map(foldName);
    for (let i = 0; i < segments.length; i += 1) {
      let run = '';
      for (let j = i; j < segments.length; j += 1) {
        run += segments[j];
        const hit = rules.get(run);
        if (hit !== undefined) return hit;
      }
    }
    return undefined;
  };
  return {
    member,
    field,
    empty: rules.size === 0,
  };
}
