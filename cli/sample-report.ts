import type { FleConfig } from '../core/config';
import { evaluateJsonPath, parseJsonPath } from '../core/jsonpath';
import type { BodyFormat } from '../core/media-type';
import { createNameMatcher } from '../core/names';
import { jsonPathPlusEngine } from '../edge/expression-engine';
import { decodeFormComponent } from '../edge/form-transform';

/** One sample body for `fle check-config --sample`. */
export interface Sample {
  readonly file: string;
  readonly format: BodyFormat;
  readonly text: string;
}

/** How many values one rule selected over all samples of its format. */
export interface RuleCount {
  /** `routes[0] (people).json "$[*].ssn"`, `names "email"`, … */
  readonly rule: string;
  readonly format: BodyFormat | 'any';
  readonly count: number;
  /** Route rules that select nothing are errors; names, used across many APIs, only warnings. */
  readonly required: boolean;
}

/**
 * Runs every rule of the config over sample bodies and counts what each selects (non-null values,
 * as the edge encrypts them). Pure: the caller reads the files.
 *
 * @example
 * sampleReport(config, [{ file: 'a.json', format: 'json', text: '[{"ssn":"1"}]' }])
 * // [{ rule: 'routes[0] (people).json "$[*].ssn"', format: 'json', count: 1, required: true }, …]
 */
export function sampleReport(config: FleConfig, samples: readonly Sample[]): RuleCount[] {
  const json = samples.filter((s) => s.format === 'json').map((s) => ({ file: s.file, doc: parseSample(s) }));
  const forms = samples.filter((s) => s.format === 'form').map((s) => formNames(s.text));
  const counts: RuleCount[] = [];
  config.routes.forEach((route, r) => {
    const where = `routes[${r}] (${route.name})`;
    for (const field of route.json) {
      const parsed = parseJsonPath(field.path);
      let count = 0;
      for (const { doc } of json) {
        if (typeof doc !== 'object' || doc === null || typeof parsed === 'string') continue;
        const matches = parsed.hasExpressions ? jsonPathPlusEngine(field.path, doc) : evaluateJsonPath(doc, parsed);
        count += matches.filter((m) => m.value !== null).length;
      }
      counts.push({ rule: `${where}.json "${field.path}"`, format: 'json', count, required: json.length > 0 });
    }
    for (const field of route.form) {
      const matcher = createNameMatcher([[field.name, true] as const]);
      const count = forms.reduce((n, names) => n + names.filter((name) => matcher.field(name)).length, 0);
      counts.push({ rule: `${where}.form "${field.name}"`, format: 'form', count, required: forms.length > 0 });
    }
  });
  for (const name of config.names) {
    const matcher = createNameMatcher([[name.name, true] as const]);
    let count = forms.reduce((n, names) => n + names.filter((field) => matcher.field(field)).length, 0);
    for (const { doc } of json) count += countMembers(doc, (member) => matcher.field(member) === true);
    counts.push({ rule: `names "${name.name}"`, format: 'any', count, required: false });
  }
  return counts;
}

/** A sample that is not JSON is a mistake in the samples, reported as such. */
function parseSample(sample: Sample): unknown {
  try {
    return JSON.parse(sample.text) as unknown;
  } catch {
    throw new SampleError(`${sample.file} is not valid JSON`);
  }
}

/** A sample file could not be used. */
export class SampleError extends Error {
  override readonly name = 'SampleError';
}

function formNames(text: string): string[] {
  return text
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => decodeFormComponent(pair.split('=', 1)[0] ?? ''));
}

function countMembers(node: unknown, matches: (name: string) => boolean): number {
  let count = 0;
  const pending: unknown[] = [node];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next !== 'object' || next === null) continue;
    const isArray = Array.isArray(next);
    for (const [key, child] of Object.entries(next)) {
      if (!isArray && child !== null && matches(key)) count += 1;
      else pending.push(child);
    }
  }
  return count;
}
