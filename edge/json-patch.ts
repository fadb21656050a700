import type { FieldRule } from '../core/config';
import { escapePointer } from '../core/json-scan';
import type { NameMatcher } from '../core/names';
import { MalformedBodyError, SensitivePatchMoveError } from './errors';
import { bindingFold } from './member-spelling';

/** Where a route's JSON paths select in a document: JSON Pointer → rule. */
export type RouteSelection = (document: unknown) => ReadonlyMap<string, FieldRule>;

const PATCH_MEMBERS = new Set(['op', 'path', 'from', 'value']);
const PLAIN_OPS = new Set(['add', 'replace', 'test', 'remove']);
/** A pointer segment that names an array position (`-` appends). */
const INDEX_SEGMENT = /^(0|[1-9]\d*|-)$/;

/**
 * JSON Patch (RFC 6902): an operation names the member it sets in a JSON Pointer *value*
 * (`{"op": "replace", "path": "/ssn", "value": "123-45-6789"}`), and ASP.NET Core's
 * `JsonPatchDocument`, fast-json-patch, Java's json-patch and Python's jsonpatch apply it to the
 * stored record. So wherever an object reads as an operation (members `op` and `path`, spelled as
 * binders read them), its value is placed where it would land (nested under the pointer's
 * segments) and protected when that location reads as a sensitive name, segment by segment, or
 * when a route's JSON path selects it, something inside it, or something it lies inside. Whatever
 * the media type says, since origins often apply a patch from any JSON body.
 *
 * Refused: an operation with two spellings of one of its members (binders keep different ones),
 * and any operation on a protected location other than `add`, `replace`, `test` or `remove`
 * exactly (a `move` or `copy` would carry a clear value there; .NET also reads `"4"` or `" copy"`).
 */
export function selectPatchValues(
  document: unknown,
  names: NameMatcher<FieldRule>,
  routeSelects: RouteSelection,
  selected: Map<string, FieldRule>,
): void {
  if (typeof document !== 'object' || document === null) return;
  const pending: [object, string][] = [[document, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [container, base] = next;
    const entries = Object.entries(container);
    if (!Array.isArray(container)) {
      const members = new Map<string, [string, unknown]>();
      for (const entry of entries) {
        const folded = bindingFold(entry[0]);
        if (!PATCH_MEMBERS.has(folded)) continue;
        if (members.has(folded)) throw new MalformedBodyError('DuplicateKey', 'a JSON Patch operation spells one of its members twice');
        members.set(folded, entry);
      }
      const op = members.get('op');
      const path = members.get('path');
      if (op && path) {
        const value = members.get('value');
        const rule = patchRule(path[1], value?.[1], names, routeSelects);
        if (rule) {
          if (typeof op[1] !== 'string' || !PLAIN_OPS.has(op[1].toLowerCase())) {
            throw new SensitivePatchMoveError('a JSON Patch operation on a protected member is not add, replace, test or remove');
          }
          const pointer = value && `${base}/${escapePointer(value[0])}`;
          if (pointer !== undefined && value?.[1] !== null && !selected.has(pointer)) selected.set(pointer, rule);
        }
      }
    }
    for (const [key, child] of entries) {
      if (typeof child === 'object' && child !== null) pending.push([child, `${base}/${escapePointer(key)}`]);
    }
  }
}

/** The rule protecting what an operation on `path` would write, or undefined. A path that is not a string is refused. */
function patchRule(path: unknown, value: unknown, names: NameMatcher<FieldRule>, routeSelects: RouteSelection): FieldRule | undefined {
  if (typeof path !== 'string') throw new MalformedBodyError('MalformedJson', 'a JSON Patch operation has a path that is not a string');
  // Empty segments dropped, a missing leading `/` forgiven: ASP.NET Core's patch reads `ssn` and
  // `//card//number` as `/ssn` and `/card/number`.
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const named = segments.length > 0 ? names.field(segments.join('.')) : undefined;
  if (named) return named;
  // The document the value would land in, its parents made up: arrays for indexes and `-`.
  let landed: unknown = value === undefined ? '' : value;
  for (let i = segments.length - 1; i >= 0; i -= 1) {
    const segment = segments[i] as string;
    landed = INDEX_SEGMENT.test(segment) ? [landed] : { [segment]: landed };
  }
  const at = segments.map((s) => `/${escapePointer(INDEX_SEGMENT.test(s) ? '0' : s)}`).join('');
  for (const [pointer, rule] of routeSelects(landed)) {
    // Selected at, inside or around the value: the value holds or is a protected location.
    if (pointer === at || pointer.startsWith(`${at}/`) || at.startsWith(`${pointer}/`)) return rule;
  }
  return undefined;
}
