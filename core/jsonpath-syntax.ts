import { JSONPath } from 'jsonpath-plus';
import { parseJsonPath } from './jsonpath';

/**
 * Checks a configured JSONPath, once, when the config is loaded; returns a problem text or
 * undefined. The grammar is `parseJsonPath`'s; filter and script expressions must also parse in
 * jsonpath-plus (they are trial-run on a probe document, since they parse lazily).
 *
 * @example checkJsonPathSyntax('$[*].ssn') // undefined
 * @example checkJsonPathSyntax('$[*.ssn')  // 'unclosed "[" at 1'
 */
export function checkJsonPathSyntax(path: string): string | undefined {
  const parsed = parseJsonPath(path);
  if (typeof parsed === 'string') return parsed;
  for (const step of parsed.steps) {
    if (step.selector.type !== 'expression') continue;
    const expression = step.selector.source;
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
