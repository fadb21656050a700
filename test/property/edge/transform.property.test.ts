import fc from 'fast-check';
import { JSONPath } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import { createMarkerMatcher, isRsaPayload } from '../../../core/format/marker';
import { evaluateJsonPath, parseJsonPath } from '../../../core/jsonpath';
import { createDecryptor } from '../../../decrypt/decryptor';
import { EdgeError } from '../../../edge/errors';
import { decodeFormComponent } from '../../../edge/form-transform';
import { protectRequest } from '../../../edge/transform';
import { compiled, route, rsaDecrypt, testKeyPair } from '../../helpers/keys';

const markers = createMarkerMatcher(['01']);
const CANDIDATE_PATHS = ['$[*].ssn', '$..email', '$[*].card.number', '$..notes', "$[*]['first name']"];
const FIELD_NAMES = ['ssn', 'email', 'card', 'notes', 'first name', 'id', 'number'];

/** Short strings (≤ 190 UTF-8 bytes) over the whole Unicode range, quotes, backslashes and controls included. */
/** Any code points, and now and then an unpaired surrogate (legal in JSON text, not in UTF-8). */
const text = fc.oneof(
  { weight: 9, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 0xd800, max: 0xdfff })).map(([s, c]) => s + String.fromCharCode(c)),
  },
);
const scalar = fc.oneof(text, text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...FIELD_NAMES), scalar, { maxKeys: 3 }) },
);
/** Mostly strings (some longer than one RSA block), sometimes null, sometimes another JSON value. */
const selectable = fc.oneof(
  { weight: 20, arbitrary: text },
  { weight: 3, arbitrary: fc.string({ minLength: 150, maxLength: 300 }) },
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 5, arbitrary: value },
);
/** Records that often hold the selected names (so most runs encrypt something), and other members. */
const record = fc
  .tuple(
    fc.record(
      {
        ssn: selectable,
        email: selectable,
        card: fc.oneof(selectable, fc.record({ number: selectable })),
        notes: selectable,
        'first name': selectable,
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('^', '~', '@string()', '__proto__', '/')), value, { maxKeys: 3 }),
  )
  .map(([known, other]) => ({ ...other, ...known }));
const documents = fc.array(record, { maxLength: 6 });
const pathSets = fc.subarray(CANDIDATE_PATHS, { minLength: 1 });

const escapeSegment = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const isContainer = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Every (pointer, value) under `node`, itself included. */
function descendants(node: unknown, pointer: string, out: [string, unknown][] = []): [string, unknown][] {
  out.push([pointer, node]);
  if (isContainer(node)) for (const [key, child] of Object.entries(node)) descendants(child, `${pointer}/${escapeSegment(key)}`, out);
  return out;
}

/**
 * An oracle for the candidate paths, written without jsonpath-plus (whose own pointers drop
 * members named "~" and "^"): what each path selects, by JSON Pointer.
 */
function selectedPointers(doc: unknown, paths: readonly string[]): Map<string, unknown> {
  const selected = new Map<string, unknown>();
  const elements = Array.isArray(doc) ? doc.map((v, i) => [`/${i}`, v] as [string, unknown]) : [];
  const member = (entries: [string, unknown][], name: string): [string, unknown][] =>
    entries.flatMap(([p, v]) =>
      isContainer(v) && Object.hasOwn(v, name) ? [[`${p}/${escapeSegment(name)}`, v[name]] as [string, unknown]] : [],
    );
  for (const path of paths) {
    const found =
      path === '$[*].ssn'
        ? member(elements, 'ssn')
        : path === '$..email'
          ? member(descendants(doc, ''), 'email')
          : path === '$[*].card.number'
            ? member(member(elements, 'card'), 'number')
            : path === '$..notes'
              ? member(descendants(doc, ''), 'notes')
              : path === "$[*]['first name']"
                ? member(elements, 'first name')
                : [];
    for (const [pointer, value] of found) selected.set(pointer, value);
  }
  return selected;
}

function at(doc: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, segment) => (node as Record<string, unknown>)[segment], doc);
}

/** The locations a set of paths selects, minus nulls and anything inside another selected value. */
function effectiveSelection(doc: unknown, paths: readonly string[]): Map<string, unknown> {
  const selected = selectedPointers(doc, paths);
  for (const [pointer, value] of selected) if (value === null) selected.delete(pointer);
  for (const pointer of [...selected.keys()]) {
    if ([...selected.keys()].some((other) => other !== pointer && pointer.startsWith(`${other}/`))) selected.delete(pointer);
  }
  return selected;
}

const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }] });

describe('JSON transform properties', () => {
  it('seals exactly the selected values, of any type, keeps everything else, and the output parses and decrypts back', async () => {
    await fc.assert(
      fc.asyncProperty(
        documents,
        pathSets,
        fc.boolean(),
        fc.constantFrom('rsa', 'envelope') as fc.Arbitrary<'rsa' | 'envelope'>,
        async (doc, paths, pretty, mode) => {
          const config = compiled({ routes: [route({ json: paths, mode })] });
          const body = JSON.stringify(doc, null, pretty ? 2 : undefined);
          const selected = effectiveSelection(doc, paths);
          const outcome = protectRequest(config, {
            method: 'POST',
            uri: '/api/people',
            contentType: 'application/json',
            body: Buffer.from(body),
          });
          if (selected.size === 0) {
            expect(outcome.action).toBe('forward');
            return;
          }
          expect(outcome.action).toBe('replace');
          if (outcome.action !== 'replace') return;
          const out = JSON.parse(outcome.body);
          // No selected plaintext survives: each selected location holds exactly one whole marker,
          // post-compatible only for a short string in rsa mode.
          for (const [pointer, plaintext] of selected) {
            const protectedValue = at(out, pointer) as string;
            const found = markers.find(protectedValue);
            expect(found).toHaveLength(1);
            expect(found[0]!.start === 0 && found[0]!.end === protectedValue.length).toBe(true);
            const fits = typeof plaintext === 'string' && !/\p{Cs}/u.test(plaintext) && Buffer.byteLength(plaintext) <= 190;
            expect(isRsaPayload(found[0]!.payload)).toBe(mode === 'rsa' && fits);
            if (isRsaPayload(found[0]!.payload)) expect(rsaDecrypt(found[0]!.payload)).toBe(plaintext);
          }
          expect(outcome.fields).toBe(selected.size);
          // Every unselected value is unchanged, and the selected ones come back as the same values.
          const { text } = await decryptor.decrypt(outcome.body, { contentType: 'application/json' });
          // Compared with the body as sent: JSON itself turns -0 into 0.
          expect(JSON.parse(text)).toEqual(JSON.parse(body));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('only EdgeErrors escape, whatever the body and content type', () => {
    const config = compiled({ routes: [route({ json: CANDIDATE_PATHS })], limits: { maxDepth: 8, maxValues: 200 } });
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.json({ depthSize: 'large' }).map((s) => Buffer.from(s)),
      fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify([v, { ssn: v, notes: [v] }]))),
      fc.nat({ max: 40 }).map((n) => Buffer.from('['.repeat(n) + '{"ssn":"x"}' + ']'.repeat(n))),
    );
    const contentTypes = fc.constantFrom(
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      undefined,
      'application/ld+json',
    );
    fc.assert(
      fc.property(bodies, contentTypes, fc.boolean(), (body, contentType, truncated) => {
        try {
          const outcome = protectRequest(config, { method: 'POST', uri: '/api/people', contentType, body, truncated });
          if (outcome.action === 'replace') expect(() => contentType?.includes('json') && JSON.parse(outcome.body)).not.toThrow();
        } catch (error) {
          expect(error).toBeInstanceOf(EdgeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('form transform properties', () => {
  const names = fc.oneof(fc.constantFrom('card_number', 'plan', 'x'), fc.string({ unit: 'grapheme', maxLength: 5 }));
  const pairs = fc.array(fc.tuple(names, fc.string({ unit: 'grapheme', maxLength: 20 })), { maxLength: 8 });

  it('encrypts every configured field, keeps the other pairs byte for byte, in order', () => {
    const config = compiled();
    fc.assert(
      fc.property(pairs, (entries) => {
        const raw = entries.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`);
        const body = raw.join('&');
        try {
          const outcome = protectRequest(config, {
            method: 'POST',
            uri: '/api/people',
            contentType: 'application/x-www-form-urlencoded',
            body: Buffer.from(body),
          });
          const expectedFields = entries.filter(([n]) => n === 'card_number').length;
          expect(outcome.fields).toBe(expectedFields);
          const out = outcome.action === 'replace' ? outcome.body.split('&') : raw;
          expect(out).toHaveLength(raw.length);
          entries.forEach(([name, plaintext], i) => {
            const pair = out[i]!;
            if (name === 'card_number') {
              const protectedValue = decodeFormComponent(pair.slice(pair.indexOf('=') + 1));
              expect(rsaDecrypt(markers.find(protectedValue)[0]!.payload)).toBe(plaintext);
            } else {
              expect(pair).toBe(raw[i]);
            }
          });
        } catch (error) {
          // Only a value that happens to spell a marker may be refused.
          expect(error).toBeInstanceOf(EdgeError);
          expect((error as EdgeError).code).toBe('MarkerInjection');
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('the edge JSONPath evaluator agrees with jsonpath-plus', () => {
  // Constructs on which jsonpath-plus is right: names, wildcards, non-negative indexes and slices, descent.
  const segment = fc.oneof(
    fc.constantFrom(
      '.a',
      '.b',
      '.ssn',
      '[*]',
      '.*',
      '[0]',
      '[1]',
      '[0,1]',
      '[1:]',
      '[:2]',
      '[::2]',
      "['a']",
      '["b"]',
      '..a',
      '..ssn',
      '..*',
      '..[0]',
    ),
  );
  const paths = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `$${parts.join('')}`);
  const key = fc.constantFrom('a', 'b', 'ssn', 'c', '0');
  const tree = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)),
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(key, tie('node'), { maxKeys: 4 }),
    ),
  })).node;

  it('selects the same values at the same places', () => {
    fc.assert(
      // The edge evaluates paths on objects and arrays only (a scalar body has no fields).
      fc.property(fc.oneof(fc.dictionary(key, tree, { maxKeys: 4 }), fc.array(tree, { maxLength: 3 })), paths, (doc, path) => {
        const parsed = parseJsonPath(path);
        if (typeof parsed === 'string') throw new Error(parsed);
        const ours = evaluateJsonPath(doc, parsed);
        const theirs = (
          (JSONPath({ path, json: doc as object, resultType: 'all', wrap: true }) ?? []) as { parent: unknown; parentProperty: unknown }[]
        ).filter((t) => typeof t.parent === 'object' && t.parent !== null);
        // The same (parent object, property) pairs, compared by identity; order aside.
        expect(ours.length).toBe(theirs.length);
        for (const m of ours) expect(theirs.some((t) => t.parent === m.parent && String(t.parentProperty) === m.property)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
