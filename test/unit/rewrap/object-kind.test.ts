import { describe, expect, it } from 'vitest';
import { objectKind } from '../../../rewrap/object-kind';

describe('objectKind', () => {
  it('reads the content type first, then the extension, and guesses nothing else', () => {
    expect(objectKind('a/b.bin', 'application/json; charset=utf-8')).toBe('json');
    expect(objectKind('a/b.json', 'application/x-www-form-urlencoded')).toBe('form');
    expect(objectKind('a/part-0001.jsonl', 'binary/octet-stream')).toBe('jsonl');
    expect(objectKind('a/part-0001.NDJSON', undefined)).toBe('jsonl');
    expect(objectKind('a/signup.form', undefined)).toBe('form');
    expect(objectKind('a/blob.bin', 'binary/octet-stream')).toBeUndefined();
    expect(objectKind('a/noextension', undefined)).toBeUndefined();
  });
});
