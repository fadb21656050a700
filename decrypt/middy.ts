import type { Decryptor } from './decryptor';

/**
 * A middy middleware over {@link Decryptor}: decrypts an API Gateway / Lambda function URL event's
 * body before the handler (`request: true`) and the handler's response body after it
 * (`response: true`). All or nothing: a failure throws the DecryptError (its `name` is the code),
 * which middy's error handling turns into the error response; no partial body is ever passed on.
 *
 * @example
 * import middy from '@middy/core';
 * import { createDecryptor } from 'edge-fle/decrypt';
 * import { decryptMiddleware } from 'edge-fle/decrypt/middy';
 * const decryptor = createDecryptor({ keys: [{ id: '01', kmsKeyId: 'arn:aws:kms:…' }] });
 * export const handler = middy(baseHandler).use(decryptMiddleware({ decryptor, response: true }));
 */

/** Options for {@link decryptMiddleware}. */
export interface MiddyDecryptOptions {
  /** Made once per container with `createDecryptor`. */
  readonly decryptor: Decryptor;
  /** Decrypt the event's body before the handler (default true). */
  readonly request?: boolean;
  /** Decrypt the response's body after the handler (default false). */
  readonly response?: boolean;
  /** Leave markers of the deployment's other keys as they are instead of failing (default false). */
  readonly leaveOtherKeys?: boolean;
}

/** The parts of an HTTP-shaped event or response the middleware reads and writes. */
interface HttpShaped {
  body?: string | null;
  headers?: Record<string, string | undefined> | null;
  isBase64Encoded?: boolean;
}

function contentTypeOf(message: HttpShaped): string | undefined {
  for (const [name, value] of Object.entries(message.headers ?? {})) if (name.toLowerCase() === 'content-type') return value;
  return undefined;
}

/** The middy middleware object (`before` and `after`), typed loosely so any middy version fits. */
export function decryptMiddleware(options: MiddyDecryptOptions): {
  before: (request: { event: unknown }) => Promise<void>;
  after: (request: { response: unknown }) => Promise<void>;
} {
  const open = async (message: HttpShaped): Promise<void> => {
    if (typeof message.body !== 'string' || message.body === '') return;
    const text = message.isBase64Encoded ? Buffer.from(message.body, 'base64').toString('utf8') : message.body;
    const { text: plain } = await options.decryptor.decrypt(text, {
      contentType: contentTypeOf(message),
      ...(options.leaveOtherKeys !== undefined ? { leaveUnknown: options.leaveOtherKeys } : {}),
    });
    message.body = plain;
    if (message.isBase64Encoded) message.isBase64Encoded = false;
  };
  return {
    before: async (request) => {
      if (options.request === false || typeof request.event !== 'object' || request.event === null) return;
      await open(request.event as HttpShaped);
    },
    after: async (request) => {
      if (options.response !== true || typeof request.response !== 'object' || request.response === null) return;
      await open(request.response as HttpShaped);
    },
  };
}
