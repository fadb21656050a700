import type { ParsedPath } from '../core/jsonpath';
import { MalformedBodyError } from './errors';

/**
 * How JSON binders compare member names, and the refusals that follow from it. Go's
 * `encoding/json`, ASP.NET Core and Newtonsoft bind `NOTES`, `Notes` or `ｎｏｔｅｓ` to a property
 * `notes`, so a rule that compares names exactly would let another spelling through in clear.
 */

/**
 * How binders compare member names: case- and compatibility-insensitively, ignoring the separators
 * relaxed binding ignores. Milder than `foldName` in core/names.ts (which protects `s"sn` as `ssn`
 * to be safe): refusing a body costs more than protecting one more field.
 *
 * @example bindingFold('No_Tes') === bindingFold('notes') // true
 */
export function bindingFold(name: string): string {
  let folded = folds.get(name);
  if (folded === undefined) {
    folded = name
      .normalize('NFKC')
      .toUpperCase()
      .toLowerCase()
      .replace(/[\s_.-]/g, '');
    // Bodies repeat the same member names record after record, and paths fold every member.
    if (folds.size < 4096 && name.length <= 64) folds.set(name, folded);
  }
  return folded;
}

const folds = new Map<string, string>();

/** The member names a path compares: its name steps, and the `@.x` / `@['x']` its filters read. */
export function namesInPath(path: ParsedPath): string[] {
  const names: string[] = [];
  for (const { selector } of path.steps) {
    if (selector.type === 'names') names.push(...selector.names);
    if (selector.type === 'expression') {
      // `@.a.b`, `@['a']`, `@["a"]`: every member a filter reads, a chain's every link.
      for (const m of selector.source.matchAll(/@((?:\.[A-Za-z_$][\w$-]*)+)|\[\s*(?:'([^']*)'|"([^"]*)")\s*\]/g)) {
        if (m[1] !== undefined) names.push(...m[1].slice(1).split('.'));
        else names.push(m[2] ?? m[3] ?? '');
      }
    }
  }
  return names;
}

/**
 * Refuses a document holding a member spelled differently from a name that a filter path
 * (evaluated by jsonpath-plus, which compares exactly) selects or reads, but that binders read as
 * that name: `[{"type": "person", "NOTES": …}]` for `$[?(@.type=="person")].notes`, or `TYPE` for
 * the filter's `type`. Paths without filters compare by {@link bindingFold} themselves.
 */
export function refuseRespelledFilterNames(document: unknown, paths: readonly ParsedPath[]): void {
  const exact = new Set(paths.flatMap(namesInPath));
  if (exact.size === 0) return;
  const folded = new Set([...exact].map(bindingFold));
  const pending: unknown[] = [document];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node !== 'object' || node === null) continue;
    const isArray = Array.isArray(node);
    for (const [key, child] of Object.entries(node)) {
      if (!isArray && !exact.has(key) && folded.has(bindingFold(key))) {
        throw new MalformedBodyError(
          'DuplicateKey',
          'a member is spelled unlike a name a filter path compares exactly, and origins read it as that name',
        );
      }
      if (typeof child === 'object' && child !== null) pending.push(child);
    }
  }
}
