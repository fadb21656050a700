import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from '../../../core/json-error-offset';

describe('jsonErrorOffset', () => {
  it('agrees with JSON.parse on what is JSON, and points inside the text otherwise', () => {
    const json = fc.json({ maxDepth: 4 });
    const mutated = fc.tuple(json, fc.nat(), fc.constantFrom(',', '}', ']', ':', '"', 'x', '', ' ')).map(([text, at, c]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + c + text.slice(i + 1);
    });
    fc.assert(
      fc.property(fc.oneof(json, mutated), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const offset = jsonErrorOffset(text);
        if (valid) expect(offset).toBeUndefined();
        else {
          expect(offset).toBeGreaterThanOrEqual(0);
          expect(offset).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('points at the first character a parser refuses', () => {
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('[1, 2')).toBe(5);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('[1] x')).toBe(4);
  });
});
