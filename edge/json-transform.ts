import { JSONPath } from 'jsonpath-plus';
import type { Limits } from '../core/config';
import type { MarkerMatcher } from '../core/marker';
import type { FieldEncryptor } from './encryptor';
import {
  BodyLimitError,
  MalformedBodyError,
  MarkerInjectionError,
  PathEvaluationError,
  UnsupportedValueTypeError,
  ValueTooLargeError,
} from './errors';
import { decodeJsonString, scanJson, type JsonTokenVisitor } from '../core/json-scan';
import { spliceFields, type FieldEdit } from './splice';

/** What a body transform needs besides the body: all made once per container. */
export interface FieldContext {
  readonly encryptor: FieldEncryptor;
  readonly markers: MarkerMatcher;
  readonly limits: Limits;
}

/** A transformed body: the new text, or undefined when nothing was selected (forward as is). */
export interface BodyResult {
  readonly text: string | undefined;
  readonly fields: number;
}

/**
 * Encrypts every string selected by `paths` in a JSON text, in place: everything else in the text
 * (numbers, spacing, key order, unselected strings) is kept byte for byte. `null` stays `null`.
 *
 * Throws an EdgeError when the text is malformed, too deep or too large, holds a marker already,
 * has a duplicate member name, or a selected value cannot be protected in this mode.
 */
export function protectJson(text: string, paths: readonly string[], context: FieldContext): BodyResult {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The SyntaxError's message quotes the input: do not keep it as a cause.
    throw new MalformedBodyError('MalformedJson', 'the body is not valid JSON');
  }
  inspectJson(text, context);
  const selected = selectStrings(document, paths, context.encryptor.maxPlaintextBytes);
  if (selected.size === 0) return { text: undefined, fields: 0 };
  const edits = locateStrings(text, selected);
  // Every selected value must be found in the text, or a plaintext would be forwarded.
  if (edits.length !== selected.size) throw new Error('internal: a selected value was not located in the body');
  return { text: spliceFields(text, edits, context.encryptor), fields: edits.length };
}

/**
 * One pass over the text enforcing the limits, refusing duplicate member names (an origin that
 * keeps the first of two would read a value the edge never saw) and refusing markers in any name
 * or string (a replayed ciphertext would be revealed by the decrypt service).
 */
function inspectJson(text: string, { limits, markers }: FieldContext): void {
  // Without a '#' (or an escape that could spell one) no string can hold a marker.
  const markersPossible = text.includes('#') || text.includes('\\');
  const names: Set<string>[] = [];
  let depth = 0;
  let values = 0;
  const countValue = (): void => {
    values += 1;
    if (values > limits.maxValues) {
      throw new BodyLimitError('TooManyValues', `the body has more than ${limits.maxValues} values`);
    }
  };
  const checkMarker = (start: number, end: number, escaped: boolean): string | undefined => {
    if (!markersPossible) return undefined;
    const decoded = decodeJsonString(text, start, end, escaped);
    if (markers.test(decoded)) {
      throw new MarkerInjectionError('the body already contains an edge-fle ciphertext marker');
    }
    return decoded;
  };
  scanJson(text, {
    open(isArray) {
      countValue();
      depth += 1;
      if (depth > limits.maxDepth) {
        throw new BodyLimitError('TooDeep', `the body nests deeper than ${limits.maxDepth} levels`);
      }
      names.push(isArray ? EMPTY : new Set<string>());
    },
    close() {
      depth -= 1;
      names.pop();
    },
    key(start, end, escaped) {
      const name = checkMarker(start, end, escaped) ?? decodeJsonString(text, start, end, escaped);
      const seen = names[names.length - 1];
      if (seen === undefined || seen === EMPTY) return;
      if (seen.has(name)) throw new MalformedBodyError('DuplicateKey', 'an object in the body repeats a member name');
      seen.add(name);
    },
    string(start, end, escaped) {
      countValue();
      checkMarker(start, end, escaped);
    },
    scalar: countValue,
  });
}

/** Placeholder for arrays in the member-name stack (arrays have no names). */
const EMPTY: Set<string> = new Set();

/**
 * Applies every path to the parsed document and returns the selected strings by JSON Pointer
 * (a location selected by two paths is encrypted once). Null values are left alone; any other
 * non-string, or a string over one RSA block, is refused naming the configured path.
 */
function selectStrings(document: unknown, paths: readonly string[], maxBytes: number): Map<string, string> {
  const selected = new Map<string, string>();
  if (typeof document !== 'object' || document === null) return selected;
  for (const path of paths) {
    let results: { pointer: string; value: unknown }[];
    try {
      results = JSONPath({ path, json: document, resultType: 'all', wrap: true, eval: 'safe' }) as {
        pointer: string;
        value: unknown;
      }[];
    } catch {
      // The library's message may quote document values: keep only the configured path.
      throw new PathEvaluationError(`the configured path "${path}" could not be evaluated on this body`);
    }
    for (const { pointer, value } of results) {
      if (value === null || selected.has(pointer)) continue;
      if (typeof value !== 'string') {
        const kind = Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
        throw new UnsupportedValueTypeError(
          `a value selected by "${path}" is ${kind}; only strings (or null) can be protected in rsa mode`,
        );
      }
      if (Buffer.byteLength(value, 'utf8') > maxBytes) {
        throw new ValueTooLargeError(
          `a value selected by "${path}" is longer than ${maxBytes} bytes, the most one RSA block holds`,
        );
      }
      selected.set(pointer, value);
    }
  }
  return selected;
}

/** A trie of JSON Pointer segments; `target` marks a selected location. */
interface PointerNode {
  target: boolean;
  readonly children: Map<string, PointerNode>;
}

function pointerTrie(pointers: Iterable<string>): PointerNode {
  const root: PointerNode = { target: false, children: new Map() };
  for (const pointer of pointers) {
    let node = root;
    for (const raw of pointer.split('/').slice(1)) {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      let child = node.children.get(segment);
      if (!child) {
        child = { target: false, children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.target = true;
  }
  return root;
}

interface Frame {
  readonly node: PointerNode | undefined;
  readonly isArray: boolean;
  index: number;
  pendingKey: string | undefined;
}

/**
 * Finds where each selected string sits in the text. Subtrees holding no selected location are
 * walked without decoding a single name.
 */
function locateStrings(text: string, selected: Map<string, string>): FieldEdit[] {
  const edits: FieldEdit[] = [];
  const stack: Frame[] = [];
  // The root value has no parent frame: its node is the trie's root.
  const root = pointerTrie(selected.keys());
  const childNode = (): PointerNode | undefined => {
    const frame = stack[stack.length - 1];
    if (frame === undefined) return root;
    if (frame.isArray) {
      const index = frame.index;
      frame.index += 1;
      return frame.node?.children.get(String(index));
    }
    const key = frame.pendingKey;
    frame.pendingKey = undefined;
    return key === undefined ? undefined : frame.node?.children.get(key);
  };
  const visitor: JsonTokenVisitor = {
    open(isArray) {
      stack.push({ node: childNode(), isArray, index: 0, pendingKey: undefined });
    },
    close() {
      stack.pop();
    },
    key(start, end, escaped) {
      const frame = stack[stack.length - 1];
      if (frame?.node && frame.node.children.size > 0) frame.pendingKey = decodeJsonString(text, start, end, escaped);
    },
    string(start, end, escaped) {
      const node = childNode();
      if (node?.target) edits.push({ start, end, plaintext: decodeJsonString(text, start, end, escaped) });
    },
    scalar() {
      childNode();
    },
  };
  scanJson(text, visitor);
  return edits;
}
