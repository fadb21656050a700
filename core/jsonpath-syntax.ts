import { JSONPath } from 'jsonpath-plus';

/**
 * Checks a JSONPath for the subset edge-fle supports, and returns a problem text or undefined.
 *
 * jsonpath-plus accepts almost any string and silently selects nothing for a typo such as
 * `$[*.ssn`, which would leave a field unprotected. So paths are checked strictly here, once, when
 * the config is loaded:
 *
 * - it starts with `$` and has at least one segment (the root itself cannot be replaced);
 * - segments are `.name`, `.*`, `..name`, `..*`, `..[…]` and `[…]`;
 * - a bracket holds `*`, an index or a union of indexes, a slice `a:b:c`, quoted names
 *   (`'a'`, `"a"`, unions of them), a filter `?(…)` or a script `(…)` with balanced parentheses;
 * - filters and scripts must parse (they are trial-run on a probe document).
 *
 * @example checkJsonPathSyntax('$[*].ssn') // undefined
 * @example checkJsonPathSyntax('$[*.ssn')  // 'unclosed "[" at 1'
 */
export function checkJsonPathSyntax(path: string): string | undefined {
  if (!path.startsWith('$')) return 'must start with "$"';
  let i = 1;
  let segments = 0;
  const expressions: string[] = [];
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      const recursive = path[i + 1] === '.';
      i += recursive ? 2 : 1;
      if (recursive && path[i] === '[') continue; // `..[…]`: the bracket is read next round
      if (path[i] === '*') {
        i += 1;
      } else {
        const name = /^[A-Za-z0-9_$-]+/.exec(path.slice(i));
        if (!name) return `expected a name or "*" at ${i}`;
        i += name[0].length;
      }
      segments += 1;
    } else if (c === '[') {
      const close = findBracketEnd(path, i);
      if (close < 0) return `unclosed "[" at ${i}`;
      const inner = path.slice(i + 1, close).trim();
      const problem = checkBracket(inner, expressions);
      if (problem) return `${problem} in "[${inner}]" at ${i}`;
      i = close + 1;
      segments += 1;
    } else {
      return `unexpected "${c}" at ${i}`;
    }
  }
  if (segments === 0) return 'selects the whole document; name a field inside it';
  for (const expression of expressions) {
    try {
      // Filters parse lazily, when first applied: give them an element to apply to.
      JSONPath({ path: `$[${expression}]`, json: [{}], wrap: true });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!message.includes('Cannot read properties')) return `bad expression "${expression}"`;
    }
  }
  return undefined;
}

const INDEX_UNION = /^-?\d+(\s*,\s*-?\d+)*$/;
const SLICE = /^(-?\d+)?:(-?\d+)?(:(-?\d+)?)?$/;
const QUOTED = /^('([^'\\]|\\.)*'|"([^"\\]|\\.)*")(\s*,\s*('([^'\\]|\\.)*'|"([^"\\]|\\.)*"))*$/;

function checkBracket(inner: string, expressions: string[]): string | undefined {
  if (inner === '*' || INDEX_UNION.test(inner) || SLICE.test(inner) || QUOTED.test(inner)) return undefined;
  if ((inner.startsWith('?(') || inner.startsWith('(')) && inner.endsWith(')')) {
    if (!parenthesesBalance(inner)) return 'unbalanced parentheses';
    expressions.push(inner);
    return undefined;
  }
  return 'unsupported selector';
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
