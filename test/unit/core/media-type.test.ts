import { describe, expect, it } from 'vitest';
import { bodyFormatOf } from '../../../core/media-type';

describe('bodyFormatOf', () => {
  it.each([
    ['application/json', 'json'],
    ['Application/JSON; charset=UTF-8', 'json'],
    ['application/vnd.api+json', 'json'],
    ['application/merge-patch+json;charset=utf-8', 'json'],
    ['application/x-www-form-urlencoded', 'form'],
    ['APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8', 'form'],
    ['text/plain', undefined],
    ['multipart/form-data; boundary=x', undefined],
    ['application/jsonp', undefined],
    ['application/json-seq', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s is %s', (contentType, format) => {
    expect(bodyFormatOf(contentType)).toBe(format);
  });
});
