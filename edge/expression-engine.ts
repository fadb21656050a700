import { JSONPath } from 'jsonpath-plus';
import type { PathMatch } from '../core/jsonpath';

/** Evaluates a path holding filter or script expressions, on a parsed document. */
export type ExpressionEngine = (path: string, document: object) => PathMatch[];

/**
 * jsonpath-plus, with its safe evaluator (no `eval`): only bundled into the edge function when the
 * config has a path with a filter or script expression.
 */
export const jsonPathPlusEngine: ExpressionEngine = (path, document) =>
  (
    JSONPath({ path, json: document, resultType: 'all', wrap: true, eval: 'safe' }) as {
      parent: unknown;
      parentProperty: unknown;
      value: unknown;
    }[]
  )
    .filter((r) => typeof r.parent === 'object' && r.parent !== null)
    .map((r) => ({ parent: r.parent as object, property: String(r.parentProperty), value: r.value }));
