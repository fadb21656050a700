import { describe, expect, it } from 'vitest';
import { evaluateJsonPath, type ParsedPath, parseJsonPath } from '../../../core/jsonpath';

function select(doc: unknown, path: string): [string, unknown][] {
  const parsed = parseJsonPath(path) as ParsedPath;
  expect(typeof parsed).toBe('object');
  return evaluateJsonPath(doc, parsed).map((m) => [m.property, m.value]);
}

const doc = {
  a: [10, 11, 12, 13],
  b: { c: { d: 1 }, 'x,y': 2, k: 3 },
  '0': 'zero',
  people: [{ ssn: 'a' }, { ssn: 'b', kids: [{ ssn: 'c' }] }],
};

describe('evaluateJsonPath', () => {
  it.each<[string, [string, unknown][]]>([
    [
      '$.a[0,2]',
      [
        ['0', 10],
        ['2', 12],
      ],
    ],
    [
      '$.a[1:3]',
      [
        ['1', 11],
        ['2', 12],
      ],
    ],
    [
      '$.a[-2:]',
      [
        ['2', 12],
        ['3', 13],
      ],
    ],
    [
      '$.a[::2]',
      [
        ['0', 10],
        ['2', 12],
      ],
    ],
    ['$.a[3:1]', []],
    ['$.a[::-1]', []],
    ['$.a[-1]', []],
    ['$.a[4]', []],
    ['$.a.0', [['0', 10]]],
    ["$.b['x,y']", [['x,y', 2]]],
    [
      "$.b['c','k']",
      [
        ['c', { d: 1 }],
        ['k', 3],
      ],
    ],
    [
      '$.b.*',
      [
        ['c', { d: 1 }],
        ['x,y', 2],
        ['k', 3],
      ],
    ],
    ['$[0]', [['0', 'zero']]],
    [
      '$.people[*].ssn',
      [
        ['ssn', 'a'],
        ['ssn', 'b'],
      ],
    ],
    [
      '$..ssn',
      [
        ['ssn', 'a'],
        ['ssn', 'b'],
        ['ssn', 'c'],
      ],
    ],
    ['$..d', [['d', 1]]],
  ])('%s', (path, expected) => {
    expect(select(doc, path)).toEqual(expected);
  });

  it('never selects an array length or an inherited property', () => {
    expect(select(doc, '$.a.length')).toEqual([]);
    expect(select({ a: {} }, '$.a.constructor')).toEqual([]);
    expect(select(JSON.parse('{"__proto__": {"x": 1}}'), '$.__proto__.x')).toEqual([['x', 1]]);
  });

  it('walks a document nested far deeper than the call stack allows', () => {
    let deep: unknown = { ssn: 'bottom' };
    for (let i = 0; i < 100_000; i += 1) deep = { n: deep };
    expect(select(deep, '$..ssn')).toEqual([['ssn', 'bottom']]);
  });
});

describe('parseJsonPath', () => {
  it('marks paths with filter or script expressions for jsonpath-plus', () => {
    expect((parseJsonPath('$[?(@.t=="x")].n') as ParsedPath).hasExpressions).toBe(true);
    expect((parseJsonPath('$[*].n') as ParsedPath).hasExpressions).toBe(false);
  });

  it('unescapes quoted names', () => {
    expect(select({ "it's": 1, 'a"b': 2 }, `$['it\\'s']`)).toEqual([["it's", 1]]);
    expect(select({ "it's": 1, 'a"b': 2 }, '$["a\\"b"]')).toEqual([['a"b', 2]]);
  });
});

describe('evaluateJsonPath with a name fold', () => {
  it('selects every member whose fold is the name, exact spelling included, and never array indexes by fold', () => {
    // Prepare
    const parsed = parseJsonPath('$[*].fname') as ParsedPath;
    const fold = (name: string): string => name.toLowerCase();
    const doc = [
      { FNAME: 'a', other: 'b' },
      { fname: 'c', Fname: 'd' },
    ];
    // Act
    const selected = evaluateJsonPath(doc, parsed, fold).map((m) => [m.property, m.value]);
    // Assert
    expect(selected).toEqual([
      ['FNAME', 'a'],
      ['fname', 'c'],
      ['Fname', 'd'],
    ]);
    expect(evaluateJsonPath(doc, parsed).map((m) => m.property)).toEqual(['fname']);
  });
});
