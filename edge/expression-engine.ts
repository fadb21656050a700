import { JSONPath } from 'jsonpath-plus';
import { type ParsedPath, type PathMatch, parseJsonPath } from '../core/jsonpath';
import { refuseRespelledFilterNames } from './member-spelling';

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

/**
 * The edge's engine: jsonpath-plus compares member names exactly, so a body holding a member that
 * binders read as a name the path selects or its filter reads, spelled otherwise, is refused first
 * (see `refuseRespelledFilterNames`). Bundled, with that check, only where expressions are.
 */
export const edgeExpressionEngine: ExpressionEngine = (path, document) => {
  let parsed = parsedPaths.get(path);
  if (!parsed) {
    const result = parseJsonPath(path);
    if (typeof result === 'string') throw new RangeError('a configured path does not parse');
    parsed = result;
    parsedPaths.set(path, parsed);
  }
  refuseRespelledFilterNames(document, [parsed]);
  return jsonPathPlusEngine(path, document);
};

const parsedPaths = new Map<string, ParsedPath>();
