/** The body formats the edge can protect. */
export type BodyFormat = 'json' | 'form';

/** A Content-Type header as the edge reads it. */
export interface MediaType {
  /** `json`, `form`, or undefined for any other media type (or none). */
  readonly format: BodyFormat | undefined;
  /** The media type, lower case, without parameters ('' when the header is absent). */
  readonly essence: string;
  /** The `charset` parameter, lower case, unquoted; undefined when absent. */
  readonly charset: string | undefined;
}

const TOKEN = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/**
 * Reads a Content-Type header: `application/json` and any `+json` type are JSON,
 * `application/x-www-form-urlencoded` is a form, anything else is neither. The media type is
 * compared case-insensitively. Returns undefined for a value that is not one well-formed media
 * type (a comma-separated list, for one), which origins would read differently.
 *
 * @example parseMediaType('Application/JSON; charset=utf-8') // { format: 'json', essence: 'application/json', charset: 'utf-8' }
 * @example parseMediaType('application/vnd.api+json')?.format // 'json'
 */
export function parseMediaType(contentType: string | undefined): MediaType | undefined {
  if (contentType === undefined) return { format: undefined, essence: '', charset: undefined };
  const [type = '', ...parameters] = contentType.split(';');
  const essence = type.trim().toLowerCase();
  if (!TOKEN.test(essence)) return undefined;
  let charset: string | undefined;
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    if (parameter.trim() === '') continue;
    if (equals < 0) return undefined;
    const name = parameter.slice(0, equals).trim().toLowerCase();
    const value = parameter
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (name === 'charset') {
      // Two charsets are two readings.
      if (charset !== undefined) return undefined;
      charset = value;
    }
  }
  return { format: formatOf(essence), essence, charset };
}

function formatOf(essence: string): BodyFormat | undefined {
  if (essence === 'application/json' || essence.endsWith('+json')) return 'json';
  if (essence === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}

/**
 * The body format a Content-Type names, or undefined for any other (or none, or a malformed one).
 *
 * @example bodyFormatOf('application/x-www-form-urlencoded') // 'form'
 */
export function bodyFormatOf(contentType: string | undefined): BodyFormat | undefined {
  return parseMediaType(contentType)?.format;
}
