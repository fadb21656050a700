import type { FieldRule, JsonField, Limits } from '../core/config';
import type { MarkerMatcher } from '../core/format/marker';
import type { RequestSealer } from '../core/format/sealer';
import { decodeJsonString, escapePointer, pointerSegments, scanJson } from '../core/json-scan';
import { evaluateJsonPath, type ParsedPath, type PathMatch } from '../core/jsonpath';
import type { NameMatcher } from '../core/names';
import { refuseEmbeddedNames } from './embedded';
import { BodyLimitError, EdgeError, MalformedBodyError, MarkerInjectionError, PathEvaluationError, SearchableValueError } from './errors';
import type { ExpressionEngine } from './expression-engine';
import { selectPatchValues } from './json-patch';
import { bindingFold } from './member-spelling';
import { type FieldEdit, spliceFields } from './splice';

/** What a body transform needs besides the body: all made once per container, but the sealer. */
export interface FieldContext {
  readonly sealer: RequestSealer;
  readonly markers: MarkerMatcher;
  readonly limits: Limits;
  /** Evaluates paths with filter or script expressions (absent when the config has none). */
  readonly expressions?: ExpressionEngine | undefined;
}

/** A configured JSON field with its path parsed once, at compile time. */
export interface CompiledJsonField extends JsonField {
  readonly parsed: ParsedPath;
}

/** A transformed body: the new text, or undefined when nothing was selected (forward as is). */
export interface BodyResult {
  readonly text: string | undefined;
  readonly fields: number;
}

/**
 * Encrypts every value selected by `fields` in a JSON text, in place: everything else in the text
 * (numbers, spacing, key order, unselected values) is kept byte for byte. `null` stays `null`.
 * A string is sealed as a string; any other value (number, boolean, object, array) as its exact
 * JSON text, in a JSON string. A value inside another selected value is sealed with it.
 *
 * Throws an EdgeError when the text is malformed, too deep or too large, holds a marker already,
 * or has a duplicate member name.
 */
export function protectJson(
  text: string,
  fields: readonly CompiledJsonField[],
  names: NameMatcher<FieldRule>,
  context: FieldContext,
): BodyResult {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The SyntaxError's message quotes the input: do not keep it as a cause.
    throw new MalformedBodyError('MalformedJson', 'the body is not valid JSON');
  }
  inspectJson(text, context);
  const selected = selectValues(document, fields, context.expressions);
  if (!names.empty) selectNames(document, names, selected);
  selectPatchValues(document, names, (landed) => selectValues(landed, fields, context.expressions), selected);
  if (selected.size > 0) refuseFoldedTwins(document, selected);
  const targets = pointerTrie(selected);
  if (targets.count === 0) return { text: undefined, fields: 0 };
  const edits = locateValues(text, targets.root, context.sealer);
  // Every selected value must be found in the text, or a plaintext would be forwarded.
  if (edits.length !== targets.count) throw new Error('internal: a selected value was not located in the body');
  return { text: spliceFields(text, edits), fields: edits.length };
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
 * Applies every configured path to the parsed document: JSON Pointer → the rule of the first path
 * that selected it. Null values are left alone.
 */
function selectValues(
  document: unknown,
  fields: readonly CompiledJsonField[],
  expressions: ExpressionEngine | undefined,
): Map<string, FieldRule> {
  const selected = new Map<string, FieldRule>();
  if (typeof document !== 'object' || document === null) return selected;
  let pointers: Map<object, string> | undefined;
  for (const field of fields) {
    let results: PathMatch[];
    try {
      // Member names as binders read them: `FNAME` alone is `fname` to Go and ASP.NET.
      if (!field.parsed.hasExpressions) results = evaluateJsonPath(document, field.parsed, bindingFold);
      else if (expressions) results = expressions(field.path, document);
      else throw new Error('no expression engine');
    } catch (error) {
      // The engine's own refusals (a respelled member) stand; any other message may quote document
      // values: keep only the configured path.
      if (error instanceof EdgeError) throw error;
      throw new PathEvaluationError(`the configured path "${field.path}" could not be evaluated on this body`);
    }
    for (const { parent, property, value } of results) {
      if (value === null) continue;
      // Pointers are built here from each value's parent (jsonpath-plus's own drop members named
      // "~", "^" or "@…()", so two locations could share one and one of them pass in clear).
      pointers ??= containerPointers(document);
      const base = pointers.get(parent);
      if (base === undefined) throw new Error('internal: a selected value has no known parent');
      const pointer = `${base}/${escapePointer(property)}`;
      if (!selected.has(pointer)) selected.set(pointer, field);
    }
  }
  return selected;
}

/**
 * Adds every member, at any depth, whose name an origin would read as a configured sensitive name
 * (see core/names.ts). A location a path already selected keeps the path's rule.
 */
function selectNames(document: unknown, names: NameMatcher<FieldRule>, selected: Map<string, FieldRule>): void {
  // A body that is one string may hold a document of its own (double-serialised JSON).
  if (typeof document === 'string') refuseEmbeddedNames(document, names);
  if (typeof document !== 'object' || document === null) return;
  const pending: [object, string][] = [[document, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [container, base] = next;
    const isArray = Array.isArray(container);
    for (const [key, child] of Object.entries(container)) {
      const pointer = `${base}/${escapePointer(key)}`;
      const rule = isArray || child === null ? undefined : memberRule(names, key, child);
      if (rule) {
        if (!selected.has(pointer)) selected.set(pointer, rule);
      } else if (typeof child === 'object' && child !== null) {
        pending.push([child, pointer]);
      } else if (typeof child === 'string') {
        refuseEmbeddedNames(child, names);
      }
    }
  }
}

/**
 * The rule for a member: by its whole name, else by a run of its segments (`profile.ssn`). A
 * segment match of a searchable name on a value that is not a string (`{"notifications.email":
 * true}`, a settings flag) is sealed randomised rather than refused: the member is most likely not
 * the searchable value itself, and a whole-name match still refuses it (`SearchableNotString`).
 */
function memberRule(names: NameMatcher<FieldRule>, key: string, value: unknown): FieldRule | undefined {
  const whole = names.member(key);
  if (whole !== undefined) return whole;
  const rule = names.field(key);
  if (rule?.index === undefined || typeof value === 'string') return rule;
  const { index: _searchable, ...randomised } = rule;
  return randomised;
}

/**
 * Refuses an object in which a selected member has an unselected twin that an origin would read as
 * the same name (`{"notes": "x", "NOTES": "…"}` on a route protecting `$[*].notes`): a
 * case-insensitive binder (ASP.NET, Go) could take the twin's value, which would pass in clear.
 */
function refuseFoldedTwins(document: unknown, selected: ReadonlyMap<string, FieldRule>): void {
  const parents = new Set<string>();
  for (const pointer of selected.keys()) parents.add(pointer.slice(0, pointer.lastIndexOf('/')));
  const pending: [unknown, string][] = [[document, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [container, base] = next;
    if (typeof container !== 'object' || container === null) continue;
    const isArray = Array.isArray(container);
    const entries = Object.entries(container);
    if (!isArray && parents.has(base) && entries.length > 1) {
      const byFold = new Map<string, boolean>();
      for (const [key] of entries) {
        const folded = bindingFold(key);
        const isSelected = selected.has(`${base}/${escapePointer(key)}`);
        const seen = byFold.get(folded);
        if (seen !== undefined && seen !== isSelected) {
          throw new MalformedBodyError('DuplicateKey', 'an object in the body holds two members an origin may read as one protected name');
        }
        byFold.set(folded, seen === undefined ? isSelected : seen);
      }
    }
    for (const [key, child] of entries) {
      if (typeof child === 'object' && child !== null) pending.push([child, `${base}/${escapePointer(key)}`]);
    }
  }
}

/** The JSON Pointer of every object and array in a parsed document (iteratively: depth is bounded but deep). */
function containerPointers(document: object): Map<object, string> {
  const pointers = new Map<object, string>([[document, '']]);
  const pending: object[] = [document];
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    const base = pointers.get(container) as string;
    for (const [key, child] of Object.entries(container)) {
      if (typeof child === 'object' && child !== null) {
        pointers.set(child, `${base}/${escapePointer(key)}`);
        pending.push(child);
      }
    }
  }
  return pointers;
}

/** A trie of JSON Pointer segments; `rule` marks a selected location. */
interface PointerNode {
  rule: FieldRule | undefined;
  readonly children: Map<string, PointerNode>;
}

/**
 * Builds the trie of selected locations. A location under another selected one is dropped: the
 * outer value is sealed whole, with everything in it.
 */
function pointerTrie(selected: ReadonlyMap<string, FieldRule>): { root: PointerNode; count: number } {
  const root: PointerNode = { rule: undefined, children: new Map() };
  // Shorter pointers first, so an ancestor is in place before its descendants arrive.
  const entries = [...selected].map(([pointer, rule]) => ({ segments: pointerSegments(pointer), rule }));
  entries.sort((a, b) => a.segments.length - b.segments.length);
  let count = 0;
  for (const { segments, rule } of entries) {
    let node = root;
    let covered = false;
    for (const segment of segments) {
      if (node.rule) {
        covered = true;
        break;
      }
      let child = node.children.get(segment);
      if (!child) {
        child = { rule: undefined, children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    if (covered || node.rule) continue;
    node.rule = rule;
    count += 1;
  }
  return { root, count };
}

interface Frame {
  readonly node: PointerNode | undefined;
  readonly isArray: boolean;
  index: number;
  pendingKey: string | undefined;
  /** Set when this container is itself a selected value: its span starts here. */
  readonly selected: { readonly rule: FieldRule; readonly start: number; readonly pointer: string } | undefined;
  readonly pointer: string;
}

/** An unpaired UTF-16 surrogate (in `u` mode, a well-formed pair is one code point and does not match). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Finds where each selected value sits in the text and plans its sealing. Subtrees holding no
 * selected location are walked without decoding a single name.
 */
function locateValues(text: string, root: PointerNode, sealer: RequestSealer): FieldEdit[] {
  const edits: FieldEdit[] = [];
  const stack: Frame[] = [];
  /** The trie node and pointer of the value starting now (advancing the parent's index). */
  const next = (): { node: PointerNode | undefined; pointer: string } => {
    const frame = stack[stack.length - 1];
    if (frame === undefined) return { node: root, pointer: '' };
    let segment: string | undefined;
    if (frame.isArray) {
      segment = String(frame.index);
      frame.index += 1;
    } else {
      segment = frame.pendingKey;
      frame.pendingKey = undefined;
    }
    const node = segment === undefined || frame.selected ? undefined : frame.node?.children.get(segment);
    return { node, pointer: node ? `${frame.pointer}/${escapePointer(segment as string)}` : '' };
  };
  const sealJson = (rule: FieldRule, pointer: string, start: number, end: number): void => {
    // Equality search is over strings: a number or object here would need its own normalisation.
    if (rule.index !== undefined) throw new SearchableValueError('a searchable field holds a value that is not a string');
    const raw = Buffer.from(text.slice(start, end), 'utf8');
    edits.push({ start, end, prefix: '"', suffix: '"', plan: sealer.plan(rule, 'j', raw, `json:${pointer}`) });
  };
  scanJson(text, {
    open(isArray, start) {
      const { node, pointer } = next();
      const selected = node?.rule ? { rule: node.rule, start, pointer } : undefined;
      stack.push({ node, isArray, index: 0, pendingKey: undefined, selected, pointer });
    },
    close(end) {
      const frame = stack.pop();
      if (frame?.selected) sealJson(frame.selected.rule, frame.selected.pointer, frame.selected.start, end);
    },
    key(start, end, escaped) {
      const frame = stack[stack.length - 1];
      if (frame?.node && !frame.selected && frame.node.children.size > 0) frame.pendingKey = decodeJsonString(text, start, end, escaped);
    },
    string(start, end, escaped) {
      const { node, pointer } = next();
      if (!node?.rule) return;
      const decoded = decodeJsonString(text, start, end, escaped);
      // JSON may spell an unpaired surrogate (\ud800), which UTF-8 cannot carry: such a string is
      // sealed as its exact JSON text instead, so it comes back unchanged.
      if (LONE_SURROGATE.test(decoded)) sealJson(node.rule, pointer, start - 1, end + 1);
      else edits.push({ start, end, plan: sealer.plan(node.rule, 's', Buffer.from(decoded, 'utf8'), `json:${pointer}`) });
    },
    scalar(start, end) {
      const { node, pointer } = next();
      if (node?.rule) sealJson(node.rule, pointer, start, end);
    },
  });
  return edits;
}
