import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createMarkerMatcher } from '../core/format/marker';
import type { Decryptor } from '../decrypt/decryptor';
import { DecryptError } from '../decrypt/errors';
import { type ObjectKind, objectKind } from './object-kind';

/** What rewrapping one object came to; `code` says why it failed (a stable code, never content). */
export interface ObjectResult {
  readonly key: string;
  readonly outcome: 'rewrapped' | 'skipped' | 'failed';
  readonly code?: string;
  /** Markers re-encrypted. */
  readonly markers?: number;
}

/** The end of a run: counts, and every failed object with its code (the manifest). */
export interface RewrapSummary {
  readonly objects: number;
  readonly rewrapped: number;
  readonly skipped: number;
  readonly markers: number;
  readonly failed: readonly ObjectResult[];
}

export interface RewrapTarget {
  readonly bucket: string;
  readonly prefix: string;
  /** The key id every marker is re-encrypted to, with its public key. */
  readonly to: { readonly id: string; readonly publicKeyPem: string };
  /** Every key id the config knows: markers of these others are rewrapped, text shaped like others is not. */
  readonly knownKeyIds: readonly string[];
  /** Write rewrapped objects under this prefix instead of in place. */
  readonly destinationPrefix?: string;
  /** Objects processed at once (KMS concurrency is the decryptor's, per object). */
  readonly concurrency?: number;
}

const CONTENT_TYPES: Readonly<Record<ObjectKind, string>> = {
  json: 'application/json',
  jsonl: 'application/json',
  form: 'application/x-www-form-urlencoded',
};

/**
 * The text markers are looked for in: a form's markers are percent-encoded (`#` is `%23`), so the
 * form is decoded first; undecodable text is searched as it is (the rewrap then reports it).
 */
function readable(text: string, kind: ObjectKind): string {
  if (kind !== 'form') return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Finds markers of every known key but the target; made once per target, not per object. */
const matchers = new WeakMap<RewrapTarget, ReturnType<typeof createMarkerMatcher>>();
function otherKeysMatcher(target: RewrapTarget): ReturnType<typeof createMarkerMatcher> {
  let matcher = matchers.get(target);
  if (!matcher) {
    matcher = createMarkerMatcher(target.knownKeyIds.filter((id) => id !== target.to.id));
    matchers.set(target, matcher);
  }
  return matcher;
}

/** Rewraps one object's text, all or nothing; JSON Lines line by line. */
async function rewrapText(decryptor: Decryptor, text: string, kind: ObjectKind, to: RewrapTarget['to']): Promise<string> {
  const contentType = CONTENT_TYPES[kind];
  if (kind !== 'jsonl') return (await decryptor.rewrap(text, to, { contentType })).text;
  const lines = text.split('\n');
  const out: string[] = [];
  for (const line of lines) out.push(line.trim() === '' ? line : (await decryptor.rewrap(line, to, { contentType })).text);
  return out.join('\n');
}

/**
 * Rewraps one object: read it with its ETag, skip it when no marker of another known key is left
 * (a rerun resumes), rewrap it whole in memory, then write it once. In place, the write happens
 * only if the object is unchanged: HeadObject compares the ETag, and `If-Match` makes S3 itself
 * refuse a write over a newer version. A failure writes nothing, so no object is ever half rewrapped.
 */
export async function rewrapObject(s3: S3Client, decryptor: Decryptor, target: RewrapTarget, key: string): Promise<ObjectResult> {
  const others = otherKeysMatcher(target);
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
    const kind = objectKind(key, got.ContentType);
    if (!kind) return { key, outcome: 'failed', code: 'UnsupportedObject' };
    const text = (await got.Body?.transformToString('utf8')) ?? '';
    const markers = others.find(readable(text, kind)).length;
    if (markers === 0) return { key, outcome: 'skipped' };
    const rewrapped = await rewrapText(decryptor, text, kind, target.to);
    const destination = target.destinationPrefix === undefined ? key : target.destinationPrefix + key.slice(target.prefix.length);
    if (destination === key) {
      const now = await s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }));
      if (now.ETag !== got.ETag) return { key, outcome: 'failed', code: 'ObjectChanged' };
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: destination,
        Body: rewrapped,
        ContentType: got.ContentType ?? CONTENT_TYPES[kind],
        ...(destination === key && got.ETag ? { IfMatch: got.ETag } : {}),
      }),
    );
    return { key, outcome: 'rewrapped', markers };
  } catch (error) {
    if (error instanceof DecryptError) return { key, outcome: 'failed', code: error.code };
    const name = error instanceof Error ? error.name : 'Error';
    return { key, outcome: 'failed', code: name === 'PreconditionFailed' ? 'ObjectChanged' : `S3:${name}` };
  }
}

/** Every key under a prefix (ListObjectsV2, page by page). */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const item of page.Contents ?? []) if (item.Key && !item.Key.endsWith('/')) keys.push(item.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Rewraps every object under a prefix, `concurrency` objects at a time, calling `progress` after
 * each. Objects already under the target key are skipped, so running it again finishes the job.
 */
export async function rewrapPrefix(
  s3: S3Client,
  decryptor: Decryptor,
  target: RewrapTarget,
  progress: (done: number, total: number, result: ObjectResult) => void = () => undefined,
): Promise<RewrapSummary> {
  const keys = (await listKeys(s3, target.bucket, target.prefix)).filter(
    (k) => target.destinationPrefix === undefined || !k.startsWith(target.destinationPrefix),
  );
  const results: ObjectResult[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next] as string;
      next += 1;
      const result = await rewrapObject(s3, decryptor, target, key);
      results.push(result);
      progress(results.length, keys.length, result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(target.concurrency ?? 4, keys.length)) }, lane));
  return {
    objects: keys.length,
    rewrapped: results.filter((r) => r.outcome === 'rewrapped').length,
    skipped: results.filter((r) => r.outcome === 'skipped').length,
    markers: results.reduce((sum, r) => sum + (r.markers ?? 0), 0),
    failed: results.filter((r) => r.outcome === 'failed').sort((a, b) => a.key.localeCompare(b.key)),
  };
}
