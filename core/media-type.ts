/** The body formats the edge can protect. */
export type BodyFormat = 'json' | 'form';

/**
 * Classifies a Content-Type header: `application/json` and any `+json` type are JSON,
 * `application/x-www-form-urlencoded` is a form, anything else (or none) is undefined.
 * The media type is compared case-insensitively; parameters such as `charset` are ignored.
 *
 * @example bodyFormatOf('Application/JSON; charset=utf-8') // 'json'
 * @example bodyFormatOf('application/vnd.api+json')       // 'json'
 */
export function bodyFormatOf(contentType: string | undefined): BodyFormat | undefined {
  if (contentType === undefined) return undefined;
  const mediaType = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  if (mediaType === 'application/json') return 'json';
  if (/^[a-z0-9!#$&^_.-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(mediaType)) return 'json';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}
