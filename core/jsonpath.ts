/**
 * The JSONPath subset edge-fle supports: a strict parser (a typo is a config error, never a silent
 * no-op) and an evaluator for every path without filter or script expressions. Those, the rare
 * case, run on jsonpath-plus (see `PathEngine`), which then travels in the edge bundle; without
 * them the bundle carries only this small module.
 *
 * Semantics follow jsonpath-plus, except where it would select nothing or something that is not
 * a JSON value: quoted-name unions (`['a','b']`) select both members, and a name never selects an
 * array's `length`.
 */

/** What one step selects. */
export type Selector =
  | { readonly type: 'names'; readonly names: readonly string[] }
  | { readonly type: 'wildcard' }
  | { readonly type: 'indexes'; readonly indexes: readonly number[] }
  | { readonly type: 'slice'; readonly start?: number; readonly end?: number; readonly step?: number }
  | { readonly type: 'expression'; readonly source: string };

/** One step: among the children (`child`) or the node and all its descendants (`descendant`). */
export interface Step {
  readonly axis: 'child' | 'descendant';
  readonly selector: Selector;
}

/** A parsed path. */
export interface ParsedPath {
  readonly steps: readonly Step[];
  /** True when a step is a filter `?(…)` or script `(…)` expression: jsonpath-plus evaluates it. */
  readonly hasExpressions: boolean;
}

/** One selected value and where it hangs. */
export interface PathMatch {
  readonly parent: object;
  readonly property: string;
  readonly value: unknown;
}

const INDEX_UNION = /^-?\d+(\s*,\s*-?\d+)*$/;
const SLICE = /^(-?\d+)?:(-?\d+)?(:(-?\d+)?)?$/;
const QUOTED = /^('([^'\\]|\\.)*'|"([^"\\]|\\.)*")(\s*,\s*('([^'\\]|\\.)*'|"([^"\\]|\\.)*"))*$/;
const QUOTED_ITEM = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
const NAME = /^[A-Za-z0-9_$-]+/;

/**
 * Parses a path, or returns the problem with it.
 *
 * @example parseJsonPath('$[*].ssn') // { steps: [child wildcard, child names ['ssn']], hasExpressions: false }
 * @example parseJsonPath('$[*.ssn')  // 'unclosed "[" at 1'
 */
export function parseJsonPath(path: string): ParsedPath | string {
  if (!path.startsWith('$')) return 'must start with "$"';
  const steps: Step[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      const axis = path[i + 1] === '.' ? 'descendant' : 'child';
      i += axis === 'descendant' ? 2 : 1;
      if (axis === 'descendant' && path[i] === '[') {
        const bracket = readBracket(path, i);
        if (typeof bracket === 'string') return bracket;
        steps.push({ axis, selector: bracket.selector });
        i = bracket.next;
      } else if (path[i] === '*') {
        steps.push({ axis, selector: { type: 'wildcard' } });
        i += 1;
      } else {
        const name = NAME.exec(path.slice(i));
        if (!name) return `expected a name or "*" at ${i}`;
        steps.push({ axis, selector: { type: 'names', names: [name[0]] } });
        i += name[0].length;
      }
    } else if (c === '[') {
      const bracket = readBracket(path, i);
      if (typeof bracket === 'string') return bracket;
      steps.push({ axis: 'child', selector: bracket.selector });
      i = bracket.next;
    } else {
      return `unexpected "${c}" at ${i}`;
    }
  }
  if (steps.length === 0) return 'selects the whole document; name a field inside it';
  return { steps, hasExpressions: steps.some((s) => s.selector.type === 'expression') };
}

function readBracket(path: string, open: number): { selector: Selector; next: number } | string {
  const close = findBracketEnd(path, open);
  if (close < 0) return `unclosed "[" at ${open}`;
  const inner = path.slice(open + 1, close).trim();
  const next = close + 1;
  if (inner === '*') return { selector: { type: 'wildcard' }, next };
  if (INDEX_UNION.test(inner)) return { selector: { type: 'indexes', indexes: inner.split(',').map((n) => Number(n.trim())) }, next };
  const slice = SLICE.exec(inner);
  if (slice) {
    const number = (text: string | undefined): number | undefined => (text === undefined || text === '' ? undefined : Number(text));
    return { selector: { type: 'slice', start: number(slice[1]), end: number(slice[2]), step: number(slice[4]) } as Selector, next };
  }
  if (QUOTED.test(inner)) {
    const names = [...inner.matchAll(QUOTED_ITEM)].map((m) => (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
    return { selector: { type: 'names', names }, next };
  }
  if ((inner.startsWith('?(') || inner.startsWith('(')) && inner.endsWith(')')) {
    if (!parenthesesBalance(inner)) return `unbalanced parentheses in "[${inner}]" at ${open}`;
    return { selector: { type: 'expression', source: inner }, next };
  }
  return `unsupported selector in "[${inner}]" at ${open}`;
}

/** Index of the `]` closing the bracket opened at `open`, skipping quoted text and nested brackets. */
function findBracketEnd(path: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < path.length; i += 1) {
    const c = path[i];
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '[') {
      depth += 1;
    } else if (c === ']') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function parenthesesBalance(text: string): boolean {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '(') {
      depth += 1;
    } else if (c === ')') {
      depth -= 1;
      if (depth < 0) return false;
    }
  }
  return depth === 0 && !quote;
}

function isContainer(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const CANONICAL_INDEX = /^(0|[1-9]\d*)$/;

/** Applies one selector to one node; with `fold`, a name selects every member whose fold is the name's. */
function select(node: unknown, selector: Selector, out: PathMatch[], fold: ((name: string) => string) | undefined): void {
  if (!isContainer(node)) return;
  const take = (property: string): void => {
    if (Array.isArray(node)) {
      if (CANONICAL_INDEX.test(property) && Number(property) < node.length)
        out.push({ parent: node, property, value: node[Number(property)] });
    } else if (Object.hasOwn(node, property)) {
      out.push({ parent: node, property, value: node[property] });
    }
  };
  switch (selector.type) {
    case 'names':
      if (fold && !Array.isArray(node)) {
        const wanted = new Set(selector.names.map(fold));
        for (const key of Object.keys(node)) if (wanted.has(fold(key))) take(key);
      } else {
        for (const name of selector.names) take(name);
      }
      return;
    case 'wildcard':
      for (const key of Object.keys(node)) take(key);
      return;
    case 'indexes':
      for (const index of selector.indexes) if (index >= 0) take(String(index));
      return;
    case 'slice': {
      if (!Array.isArray(node)) return;
      const length = node.length;
      const step = selector.step ?? 1;
      if (step <= 0) return;
      const clamp = (n: number): number => (n < 0 ? Math.max(0, n + length) : Math.min(length, n));
      for (let i = clamp(selector.start ?? 0); i < clamp(selector.end ?? length); i += step) take(String(i));
      return;
    }
    case 'expression':
      throw new RangeError('expressions are evaluated by jsonpath-plus');
  }
}

/** Every container from `node` down, node first (iteratively: depth is bounded, but may be large). */
function selfAndDescendants(node: unknown): unknown[] {
  const out: unknown[] = [];
  const pending: unknown[] = [node];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    if (!isContainer(current)) continue;
    out.push(current);
    const children = Object.values(current);
    for (let i = children.length - 1; i >= 0; i -= 1) pending.push(children[i]);
  }
  return out;
}

/**
 * Evaluates a parsed path without expressions on a parsed document. A value reached twice (say by
 * `..` over nested matches) is listed once per way it was reached; callers dedupe by location.
 * With `fold`, member names are compared by their fold (the edge passes how binders compare names,
 * so `$[*].fname` also selects `FNAME`, which Go and ASP.NET bind to `fname`).
 */
export function evaluateJsonPath(document: unknown, path: ParsedPath, fold?: (name: string) => string): PathMatch[] {
  let nodes: unknown[] = [document];
  let matches: PathMatch[] = [];
  for (const step of path.steps) {
    matches = [];
    for (const node of nodes) {
      for (const target of step.axis === 'descendant' ? selfAndDescendants(node) : [node]) select(target, step.selector, matches, fold);
    }
    nodes = matches.map((m) => m.value);
  }
  return matches;
}

/**
 * The member names of a path's last step that selects by name, past trailing index, wildcard and
 * slice steps (`$[*].notes` → `notes`, `$.phones[*]` → `phones`); none when no step does.
 */
export function lastMemberNames(path: ParsedPath): readonly string[] {
  for (let i = path.steps.length - 1; i >= 0; i -= 1) {
    const selector = path.steps[i]?.selector;
    if (selector?.type === 'names') return selector.names;
    if (selector?.type === 'expression') return [];
  }
  return [];
}
