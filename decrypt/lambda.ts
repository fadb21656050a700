/**
 * The decrypt Lambda's entry point (`dist/decrypt/index.js`). The keyring (FLE_KEYS) and the KMS
 * client are made once per container; a bad FLE_KEYS fails every invocation with InvalidRequest.
 */
import { createDecryptor, type Decryptor } from './decryptor';
import { DecryptError } from './errors';
import { createDecryptHandler, parseKeysVariable, parseKnownKeyIds } from './handler';

function init(): Decryptor | DecryptError {
  try {
    const concurrency = process.env.FLE_CONCURRENCY ? Number(process.env.FLE_CONCURRENCY) : undefined;
    // The decryptor makes one KMS client per key region, here, once per container.
    const knownKeyIds = parseKnownKeyIds(process.env.FLE_KNOWN_KEY_IDS);
    return createDecryptor({ keys: parseKeysVariable(process.env.FLE_KEYS), concurrency, ...(knownKeyIds ? { knownKeyIds } : {}) });
  } catch (error) {
    if (error instanceof DecryptError) return error;
    throw error;
  }
}

export const handler = createDecryptHandler(init());
