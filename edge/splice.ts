import type { SealPlan } from '../core/format/sealer';
import { ResultTooLargeError } from './errors';
import { MAX_REPLACED_BODY_BYTES } from './limits';

/** One value to replace: the text range it occupies and how it is sealed. */
export interface FieldEdit {
  readonly start: number;
  readonly end: number;
  readonly plan: SealPlan;
  /** Text written before the encoded marker (a form name without `=` needs one; a JSON non-string, a quote). */
  readonly prefix?: string;
  /** Text written after it (a JSON non-string becomes a string: the closing quote). */
  readonly suffix?: string;
}

/**
 * Replaces each edit's range with prefix + `encode(marker)` + suffix and returns the new text.
 * Refuses, before any encryption, a result that cannot fit CloudFront's replaced-body limit, and
 * checks the exact size again at the end (form encoding lengthens some markers).
 */
export function spliceFields(text: string, edits: readonly FieldEdit[], encode: (marker: string) => string = (marker) => marker): string {
  // Edits arrive in text order from both transforms; sort only if one does not.
  const ordered = edits.every((edit, i) => i === 0 || (edits[i - 1] as FieldEdit).start <= edit.start)
    ? edits
    : [...edits].sort((a, b) => a.start - b.start);
  let lowerBound = Buffer.byteLength(text, 'utf8');
  for (const edit of ordered) {
    const added = (edit.prefix?.length ?? 0) + edit.plan.markerLength + (edit.suffix?.length ?? 0);
    lowerBound += added - Buffer.byteLength(text.slice(edit.start, edit.end), 'utf8');
  }
  if (lowerBound > MAX_REPLACED_BODY_BYTES) throw tooLarge();
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of ordered) {
    parts.push(text.slice(cursor, edit.start), edit.prefix ?? '', encode(edit.plan.seal()), edit.suffix ?? '');
    cursor = edit.end;
  }
  parts.push(text.slice(cursor));
  const result = parts.join('');
  if (Buffer.byteLength(result, 'utf8') > MAX_REPLACED_BODY_BYTES) throw tooLarge();
  return result;
}

function tooLarge(): ResultTooLargeError {
  return new ResultTooLargeError(`the protected body would exceed ${MAX_REPLACED_BODY_BYTES} bytes, the most CloudFront forwards`);
}
