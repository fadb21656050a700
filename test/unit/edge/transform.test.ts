import { describe, expect, it } from 'vitest';
import { createMarkerMatcher } from '../../../core/format/marker';
import { EdgeError } from '../../../edge/errors';
import { decodeFormComponent } from '../../../edge/form-transform';
import { decodeBody } from '../../../edge/handler';
import { MAX_BODY_BYTES, MAX_REPLACED_BODY_BYTES } from '../../../edge/limits';
import { toRejection } from '../../../edge/rejection';
import { type ProtectInput, protectRequest } from '../../../edge/transform';
import { compiled, revealMarkers, route, rsaDecrypt } from '../../helpers/keys';

const config = compiled();
const markers = createMarkerMatcher(['01']);

function json(body: string | object, overrides: Partial<ProtectInput> = {}): ProtectInput {
  return {
    method: 'POST',
    uri: '/api/people',
    contentType: 'application/json',
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    ...overrides,
  };
}

function form(body: string, overrides: Partial<ProtectInput> = {}): ProtectInput {
  return json(body, { contentType: 'application/x-www-form-urlencoded', ...overrides });
}

function replaced(input: ProtectInput, cfg = config): string {
  const outcome = protectRequest(cfg, input);
  if (outcome.action !== 'replace') throw new Error(`expected a replaced body, got ${outcome.action}`);
  return outcome.body;
}

/** The rejection a request gets; fails the test when it is not refused with an EdgeError. */
function rejectionOf(input: ProtectInput, cfg = config): ReturnType<typeof toRejection> {
  try {
    protectRequest(cfg, input);
  } catch (error) {
    expect(error).toBeInstanceOf(EdgeError);
    return toRejection(error);
  }
  throw new Error('expected the request to be refused');
}

describe('JSON bodies', () => {
  const people = [
    { id: 1, fname: 'Alejandro', ssn: '123-45-6789', email: 'a@example.com', card: { number: '4111', cvc: '123' } },
    { id: 2, fname: 'Nikki', ssn: '987-65-4321', email: null, card: null },
  ];

  it('encrypts every selected string and leaves structure and other values unchanged', () => {
    const out = replaced(json(people));
    const parsed = JSON.parse(out);
    for (const [i, person] of parsed.entries()) {
      expect(markers.find(person.ssn)).toHaveLength(1);
      expect(person.ssn).toMatch(/^#01#[A-Za-z0-9+/]{342}==#10#$/);
      expect(rsaDecrypt(markers.find(person.ssn)[0]!.payload)).toBe(people[i]!.ssn);
      expect(person.fname).toBe(people[i]!.fname);
      expect(person.id).toBe(people[i]!.id);
    }
    expect(rsaDecrypt(markers.find(parsed[0].card.number)[0]!.payload)).toBe('4111');
    expect(parsed[0].card.cvc).toBe('123');
    expect(JSON.parse(revealMarkers(out))).toEqual(people);
  });

  it('keeps null as null', () => {
    const parsed = JSON.parse(replaced(json(people)));
    expect(parsed[1].email).toBeNull();
    expect(parsed[1].card).toBeNull();
  });

  it('keeps the original text outside protected values: big numbers, spacing, key order', () => {
    const text = '[ {"id": 9007199254740993, "ssn" :  "1", "n": 1.50e3,\n "z": 0, "a": -0 } ]';
    const out = replaced(json(text));
    expect(out.startsWith('[ {"id": 9007199254740993, "ssn" :  "#01#')).toBe(true);
    expect(out.endsWith('#10#", "n": 1.50e3,\n "z": 0, "a": -0 } ]')).toBe(true);
    expect(revealMarkers(out)).toBe(text);
  });

  it('round-trips hostile strings: escapes, quotes, control characters, astral characters', () => {
    const hostile = ['quote " and \\ backslash', 'line\nbreak\u0000nul', '\u2028\u2029</script>', '😀 emoji', 'lone #01# mention', ''];
    const doc = hostile.map((ssn) => ({ ssn }));
    const out = replaced(json(doc));
    expect(JSON.parse(revealMarkers(out))).toEqual(doc);
    for (const value of hostile.filter((v) => v.length > 3)) expect(out).not.toContain(JSON.stringify(value).slice(1, -1));
  });

  it('encrypts a location selected by two paths once', () => {
    const cfg = compiled({ routes: [route({ json: ['$[*].ssn', '$..ssn', '$[0].ssn'] })] });
    const out = replaced(json([{ ssn: 'x' }]), cfg);
    expect(markers.find(out)).toHaveLength(1);
    expect(protectRequest(cfg, json([{ ssn: 'x' }]))).toMatchObject({ fields: 1 });
  });

  it('finds members whose names are escaped in the text', () => {
    const out = replaced(json('[{"\\u0073sn": "secret", "s\\"sn": "other"}]'));
    expect(out).not.toContain('secret');
    expect(out).toContain('"s\\"sn": "other"');
  });

  it.each(['^', '~', '@string()', '~1', '/'])(
    'finds values under a member named %j, which jsonpath-plus leaves out of its pointers',
    (name) => {
      const cfg = compiled({ routes: [route({ json: ['$..ssn'] })] });
      // Were "${name}" dropped from the pointer, both values would share "/ssn" and one would pass in clear.
      const body = JSON.stringify({ [name]: { ssn: 'nested-secret' }, ssn: 'top-secret' });
      const out = replaced(json(body), cfg);
      expect(out).not.toContain('nested-secret');
      expect(out).not.toContain('top-secret');
      expect(markers.find(out)).toHaveLength(2);
    },
  );

  it('encrypts a __proto__ member as data, not as a prototype', () => {
    const cfg = compiled({ routes: [route({ json: ['$..ssn'] })] });
    const out = replaced(json('{"__proto__": {"ssn": "secret"}}'), cfg);
    expect(out).not.toContain('secret');
    expect(JSON.parse(revealMarkers(out))).toEqual(JSON.parse('{"__proto__": {"ssn": "secret"}}'));
  });

  it('forwards a body with nothing selected untouched', () => {
    expect(protectRequest(config, json([{ fname: 'x' }]))).toEqual({ action: 'forward', route: 'people', fields: 0 });
  });

  it('accepts +json media types with parameters, case-insensitively', () => {
    const out = replaced(json([{ ssn: 'x' }], { contentType: 'Application/Merge-Patch+JSON; charset=utf-8' }));
    expect(markers.find(out)).toHaveLength(1);
  });

  it('applies to a root object as well as a root array', () => {
    const cfg = compiled({ routes: [route({ json: ['$.person.ssn'] })] });
    const out = replaced(json({ person: { ssn: 'x' } }), cfg);
    expect(JSON.parse(out).person.ssn).toMatch(/^#01#/);
  });
});

describe('form bodies', () => {
  it('encrypts every occurrence of a configured name and keeps other pairs in order', () => {
    const body = 'plan=gold&card_number=4111+1111&x=%20y&card%5Fnumber=5500&card_number=';
    const out = replaced(form(body));
    const pairs = out.split('&');
    expect(pairs[0]).toBe('plan=gold');
    expect(pairs[2]).toBe('x=%20y');
    expect(pairs.map((p) => p.split('=')[0])).toEqual(['plan', 'card_number', 'x', 'card%5Fnumber', 'card_number']);
    const values = [1, 3, 4].map((i) => decodeFormComponent(pairs[i]!.split('=')[1]!));
    expect(values.map((v) => rsaDecrypt(markers.find(v)[0]!.payload))).toEqual(['4111 1111', '5500', '']);
  });

  it('gives a bare name an encrypted empty value', () => {
    const out = replaced(form('card_number&plan=gold'));
    expect(out).toMatch(/^card_number=%2301%23[^&]+%2310%23&plan=gold$/);
  });

  it('round-trips UTF-8 and reserved characters', () => {
    const value = 'María & "Ünïcode" + 😀 = 100%';
    const out = replaced(form(`card_number=${encodeURIComponent(value)}`));
    expect(revealMarkers(decodeFormComponent(out.split('=').slice(1).join('=')), (p) => p)).toBe(value);
  });

  it('forwards a form with no configured field untouched', () => {
    expect(protectRequest(config, form('plan=gold'))).toMatchObject({ action: 'forward', fields: 0 });
  });
});

describe('requests the edge forwards untouched', () => {
  it('forwards a body no route names only when the unmatched policy says "forward", and says so', () => {
    const open = compiled({ unmatched: 'forward' });
    expect(protectRequest(open, json('not json', { uri: '/health' }))).toEqual({
      action: 'forward',
      route: undefined,
      fields: 0,
      unprotected: true,
    });
    expect(protectRequest(open, json('x', { uri: '/other', truncated: true }))).toMatchObject({ action: 'forward', unprotected: true });
  });

  it('inspects a body on a path no route names under the default policy, and any method on a route', () => {
    expect(() => protectRequest(config, json('not json', { uri: '/health' }))).toThrow(expect.objectContaining({ code: 'MalformedJson' }));
    expect(() => protectRequest(config, json('x', { uri: '/other', truncated: true }))).toThrow(
      expect.objectContaining({ code: 'BodyTruncated' }),
    );
    expect(() => protectRequest(config, json('not json', { method: 'DELETE' }))).toThrow(
      expect.objectContaining({ code: 'MalformedJson' }),
    );
    expect(protectRequest(config, json([{ ssn: 'x' }], { method: 'DELETE' }))).toMatchObject({ action: 'replace', fields: 1 });
  });

  it('refuses every body on a path no route names under the "reject" policy', () => {
    const closed = compiled({ unmatched: 'reject' });
    expect(() => protectRequest(closed, json([{ a: 1 }], { uri: '/health' }))).toThrow(
      expect.objectContaining({ code: 'RouteNotConfigured' }),
    );
    expect(protectRequest(closed, json('', { uri: '/health' }))).toMatchObject({ action: 'forward' });
  });

  it('forwards an empty body on a matched route, whatever its content type', () => {
    expect(protectRequest(config, json('', { contentType: undefined }))).toEqual({ action: 'forward', route: 'people', fields: 0 });
  });
});

describe('rejections', () => {
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

  it.each<[string, ProtectInput, number, string]>([
    ['another content type', json('{"ssn":"x"}', { contentType: 'text/plain' }), 415, 'UnsupportedMediaType'],
    ['no content type', json('{"ssn":"x"}', { contentType: undefined }), 415, 'UnsupportedMediaType'],
    ['multipart', json('--x', { contentType: 'multipart/form-data; boundary=x' }), 415, 'UnsupportedMediaType'],
    ['a compressed body', json('{"ssn":"x"}', { contentEncoding: 'gzip' }), 415, 'UnsupportedMediaType'],
    ['malformed JSON', json('[{"ssn": "x"'), 400, 'MalformedJson'],
    ['a byte order mark', json('\uFEFF[]'), 400, 'MalformedJson'],
    [
      'invalid UTF-8',
      json(Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]).toString('latin1'), {
        body: Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]),
      }),
      400,
      'InvalidUtf8',
    ],
    ['a malformed form escape', form('card_number=%E0%A4%A'), 400, 'MalformedForm'],
    ['form bytes that are not UTF-8', form('card_number=%C3%28'), 400, 'MalformedForm'],
    ['nesting deeper than the limit', json(deep(65)), 400, 'TooDeep'],
    ['nesting of a million levels', json(deep(1_000_000)), 400, 'TooDeep'],
    ['a duplicate member name', json('[{"ssn": "a", "ssn": "b"}]'), 400, 'DuplicateKey'],
    ['a duplicate name spelled with an escape', json('{"p": {"ssn": "a"}, "\\u0070": {}}'), 400, 'DuplicateKey'],
    ['a marker in a JSON value', json([{ notes: 'see #01#QUJD#10#' }]), 400, 'MarkerInjection'],
    ['a marker in a JSON member name', json([{ '#01#QUJD#10#': 1 }]), 400, 'MarkerInjection'],
    ['a marker spelled with JSON escapes', json('[{"notes": "\\u002301#QUJD\\u002310#"}]'), 400, 'MarkerInjection'],
    ['a marker hidden behind another marker shape and an escape', json('[{"notes": "\\u002310#x#01#QUJD#10#"}]'), 400, 'MarkerInjection'],
    ['a marker in a selected value', json([{ ssn: '#01#QUJD#10#' }]), 400, 'MarkerInjection'],
    ['a marker in a form value', form('plan=%2301%23QUJD%2310%23'), 400, 'MarkerInjection'],
    ['a marker in a form name', form('%2301%23QUJD%2310%23=1'), 400, 'MarkerInjection'],
    ['a truncated body', json('[{"ssn": "x"}', { truncated: true }), 413, 'BodyTruncated'],
    ['a JSON body on a form-only route', json('{"card_number":"4111"}', { uri: '/forms' }), 415, 'UnsupportedMediaType'],
  ])('refuses %s with %i %s', (_name, input, status, code) => {
    const cfg = compiled({ routes: [route(), route({ name: 'forms', path: '/forms', json: [], form: ['card_number'] })] });
    expect(rejectionOf(input, cfg)).toMatchObject({ status, code });
  });

  it('keeps exactly 190 bytes, the RSA-2048 limit, in the post-compatible payload', () => {
    const out = replaced(json([{ ssn: 'x'.repeat(190) }]));
    expect(rsaDecrypt(markers.find(out)[0]!.payload)).toBe('x'.repeat(190));
  });

  it('refuses more values than the limit, and accepts the limit itself', () => {
    const cfg = compiled({ limits: { maxValues: 5 } });
    expect(rejectionOf(json([1, 2, 3, 4, 5]), cfg)).toMatchObject({ status: 400, code: 'TooManyValues' });
    expect(protectRequest(cfg, json([1, 2, 3, 4]))).toMatchObject({ action: 'forward' });
    expect(rejectionOf(form('a=1&b=2&c=3&d=4&e=5&f=6'), cfg)).toMatchObject({ status: 400, code: 'TooManyValues' });
  });

  it('accepts nesting at the depth limit', () => {
    const cfg = compiled({ limits: { maxDepth: 3 } });
    expect(protectRequest(cfg, json('[[[]]]'))).toMatchObject({ action: 'forward' });
    expect(rejectionOf(json('[[[[]]]]'), cfg)).toMatchObject({ code: 'TooDeep' });
  });

  it('refuses, before encrypting, a result over the 1 MB CloudFront forwards', () => {
    // 3,000 short values become 3,000 markers of 352 characters: over 1 MB.
    const body = JSON.stringify(Array.from({ length: 3000 }, () => ({ ssn: 'x' })));
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_BODY_BYTES);
    expect(rejectionOf(json(body))).toMatchObject({ status: 413, code: 'ResultTooLarge' });
  });

  it('reads "1 MB" for a replaced body as 1,000,000 bytes: between that and 1 MiB is refused', () => {
    const records = (n: number): string => JSON.stringify(Array.from({ length: n }, () => ({ ssn: 'x' })));
    // Each record grows to 363 characters: 2,700 records give about 980,100 bytes, 2,800 about 1,016,400.
    const fits = protectRequest(config, json(records(2700)));
    expect(fits.action === 'replace' && Buffer.byteLength(fits.body)).toBeLessThanOrEqual(MAX_REPLACED_BODY_BYTES);
    expect(rejectionOf(json(records(2800)))).toMatchObject({ status: 413, code: 'ResultTooLarge' });
    expect(2800 * 363).toBeLessThan(MAX_BODY_BYTES);
  });

  it('reports a filter that fails on this body as PathEvaluationFailed, naming only the path', () => {
    const cfg = compiled({ routes: [route({ json: ['$[?(@.a.b.c == "secret-value")].ssn'] })] });
    const rejection = rejectionOf(json([{ a: 1, ssn: 'x' }]), cfg);
    expect(rejection).toMatchObject({ status: 422, code: 'PathEvaluationFailed' });
  });

  it('never quotes a value in a message', () => {
    const secret = 'SECRET-4111-1111';
    const inputs = [
      json(`[{"ssn": "${secret}"`),
      json([{ notes: `#01#QUJD#10# ${secret}` }]),
      json(`[{"ssn": "${secret}", "ssn": "${secret}"}]`),
      form(`card_number=${secret}%ZZ`),
      json(`{"ssn": "x", "big": "${secret.repeat(40_000)}"}`, { truncated: true }),
    ];
    for (const input of inputs) {
      const rejection = rejectionOf(input);
      expect(rejection.message).not.toContain('SECRET');
      expect(rejection.message).not.toContain('4111');
    }
  });
});

describe('decodeBody', () => {
  it('decodes canonical base64 and text', () => {
    expect(decodeBody(Buffer.from('{"a":1}').toString('base64'), 'base64').toString()).toBe('{"a":1}');
    expect(decodeBody('{"a":1}', 'text').toString()).toBe('{"a":1}');
  });

  it.each(['abc', 'ab$=', 'YW Jj', 'YWJj=', '====' + 'YWJj'])('refuses %j with InvalidBase64', (data) => {
    expect(() => decodeBody(data, 'base64')).toThrow(expect.objectContaining({ code: 'InvalidBase64' }));
  });
});
