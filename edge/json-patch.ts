import type { FieldRule } from '../core/config';
import { escapePointer } from '../core/json-scan';
import type { NameMatcher } from '../core/names';
import { SensitivePatchMoveError } from './errors';
import { bindingFold } from './member-spelling';

/**
 * JSON Patch (RFC 6902): an operation names the member it sets in a JSON Pointer *value*
 * (`{"op": "replace", "path": "/ssn", "value": "123-45-6789"}`), and ASP.NET Core's
 * `JsonPatchDocument`, fast-json-patch, Java's json-patch and Python's jsonpatch apply it to the
 * stored record. So wherever an object reads as an operation (members `op` and `path`, spelled as
 * binders read them), its `path` is matched like a member name, segment by segment, and against
 * the member names the route's JSON paths end with; on a match its `value` is selected with that
 * rule. A `move` or `copy` into a protected path would carry a clear value there from elsewhere in
 * the record: refused. Whatever the media type says, since origins often apply a patch from any
 * JSON body.
 *
 * @param leaf The rule of a route path ending with this member name (`$[*].notes` for `/0/notes`).
 */
export function selectPatchValues(
  document: unknown,
  names: NameMatcher<FieldRule>,
  leaf: (member: string) => FieldRule | undefined,
  selected: Map<string, FieldRule>,
): void {
  if (typeof document !== 'object' || document === null) return;
  const pending: [object, string][] = [[document, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [container, base] = next;
    const entries = Object.entries(container);
    if (!Array.isArray(container)) {
      const member = (name: string) => entries.find(([key]) => bindingFold(key) === name);
      const op = member('op');
      const path = member('path');
      if (op && path && typeof path[1] === 'string') {
        const rule = pointerRule(path[1], names, leaf);
        if (rule) {
          if (typeof op[1] !== 'string' || ['move', 'copy'].includes(op[1].toLowerCase())) {
            throw new SensitivePatchMoveError('a JSON Patch operation moves or copies a value into a protected member');
          }
          const value = member('value');
          const pointer = value && `${base}/${escapePointer(value[0])}`;
          if (value && value[1] !== null && pointer !== undefined && !selected.has(pointer)) selected.set(pointer, rule);
        }
      }
    }
    for (const [key, child] of entries) {
      if (typeof child === 'object' && child !== null) pending.push([child, `${base}/${escapePointer(key)}`]);
    }
  }
}

/** The rule a JSON Pointer's member reads as: any run of its segments as a name, or its last one as a route path's member. */
function pointerRule(
  pointer: string,
  names: NameMatcher<FieldRule>,
  leaf: (member: string) => FieldRule | undefined,
): FieldRule | undefined {
  const segments = pointer
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = segments.at(-1);
  if (last === undefined) return undefined;
  return names.field(segments.join('.')) ?? leaf(last);
}
