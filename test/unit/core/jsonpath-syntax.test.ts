import { describe, expect, it } from 'vitest';
import { checkJsonPathSyntax } from '../../../core/jsonpath-syntax';

describe('checkJsonPathSyntax', () => {
  it.each([
    '$[*].ssn',
    '$..card.number',
    '$.people[0].email',
    "$['first name']",
    '$["a","b"]',
    '$[0,2,-1]',
    '$[1:3]',
    '$..*',
    '$..[0]',
    '$.items[?(@.type === "card")].number',
    '$.user-id',
  ])('accepts %s', (path) => {
    expect(checkJsonPathSyntax(path)).toBeUndefined();
  });

  it.each([
    ['ssn', 'must start with "$"'],
    ['$', 'selects the whole document'],
    ['$[*.ssn', 'unclosed "["'],
    ['$.a.b)', 'unexpected ")"'],
    ['$.', 'expected a name'],
    ['$..', 'expected a name'],
    ['$[foo]', 'unsupported selector'],
    ['$[?(@.a ==)]', 'bad expression'],
    ['$[?(@.a == (1)]', 'unbalanced parentheses'],
    ['$.a^', 'unexpected "^"'],
  ])('rejects %s', (path, problem) => {
    expect(checkJsonPathSyntax(path)).toContain(problem);
  });
});
