/** How a stored object's text is read for rewrapping. */
export type ObjectKind = 'json' | 'jsonl' | 'form';

const BY_MEDIA_TYPE: Readonly<Record<string, ObjectKind>> = {
  'application/json': 'json',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/json-lines': 'jsonl',
  'application/x-www-form-urlencoded': 'form',
};

const BY_EXTENSION: Readonly<Record<string, ObjectKind>> = { json: 'json', jsonl: 'jsonl', ndjson: 'jsonl', form: 'form' };

/**
 * The kind of an object, from its content type, else its key's extension; undefined when neither
 * says (the object is then reported, never guessed at: a wrong reading could misplace markers).
 *
 * @example objectKind('exports/2026/part-0001.jsonl', 'binary/octet-stream') // 'jsonl'
 */
export function objectKind(key: string, contentType: string | undefined): ObjectKind | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  const byType = mediaType ? BY_MEDIA_TYPE[mediaType] : undefined;
  if (byType) return byType;
  const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  return extension ? BY_EXTENSION[extension] : undefined;
}
