import type { FieldRule } from '../core/config';
import type { NameMatcher } from '../core/names';
import { EmbeddedNameError } from './errors';

/** GraphQL executable documents start with one of these (or `{`, the query shorthand). */
const GRAPHQL_START = /^\s*(?:#[^\n]*\n\s*)*(?:query|mutation|subscription|fragment)\b/;
/** A GraphQL argument, input-object field or alias: `name:`. */
const GRAPHQL_NAME = /([_A-Za-z][_0-9A-Za-z]*)\s*:/g;

/**
 * Refuses a string value that is a document of its own holding a sensitive name, which an origin
 * parses again: JSON serialised into a string (`{"payload": "{\"ssn\": …}"}`, webhook `data`, SNS
 * and SQS envelopes) or a GraphQL operation with inline arguments
 * (`mutation { createPerson(ssn: "…") }`, which Apollo, graphql-js, Hot Chocolate and graphql-java
 * all accept). The edge cannot protect a value inside such a string without changing the string,
 * so it refuses the request; GraphQL variables are protected as any JSON member is.
 */
export function refuseEmbeddedNames(value: string, names: NameMatcher<FieldRule>, depth = 0): void {
  if (names.empty || depth > 4) return;
  const first = value.trimStart()[0];
  if (first === '{' || first === '[') {
    let inner: unknown;
    try {
      inner = JSON.parse(value);
    } catch {
      inner = undefined;
    }
    if (inner !== undefined) {
      refuseInDocument(inner, names, depth);
      return;
    }
  }
  if (first === '{' || GRAPHQL_START.test(value)) {
    for (const m of value.matchAll(GRAPHQL_NAME)) {
      if (names.field(m[1] ?? '')) refuse();
    }
  }
}

function refuseInDocument(document: unknown, names: NameMatcher<FieldRule>, depth: number): void {
  const pending: unknown[] = [document];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node === 'string') refuseEmbeddedNames(node, names, depth + 1);
    if (typeof node !== 'object' || node === null) continue;
    const isArray = Array.isArray(node);
    for (const [key, child] of Object.entries(node)) {
      if (!isArray && names.field(key)) refuse();
      pending.push(child);
    }
  }
}

function refuse(): never {
  throw new EmbeddedNameError(
    'a string value is a JSON or GraphQL document naming a sensitive field; send it as a member (GraphQL: as a variable)',
  );
}
