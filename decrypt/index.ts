/**
 * The decrypt library, for apps that decrypt in their own compute:
 *
 * ```ts
 * import { createDecryptor } from 'edge-fle/decrypt';
 * const decryptor = createDecryptor({ keys: [{ id: '01', kmsKeyId: 'arn:aws:kms:…' }] });
 * const { text } = await decryptor.decrypt(body, { contentType: 'application/json' });
 * ```
 */

export type { DecryptCallOptions, DecryptKey, Decryptor, DecryptorOptions, DecryptResult, DecryptStats } from './decryptor';
export { createDecryptor, DEFAULT_CONCURRENCY } from './decryptor';
export * from './errors';
export type { DecryptEvent, DecryptResponse } from './handler';
export { createDecryptHandler, parseKeysVariable } from './handler';
