/**
 * The decrypt Lambda's entry point (`dist/decrypt/index.js`). The keyring (FLE_KEYS), the edge
 * secret's versions (FLE_SECRET) and the KMS clients are made once per container; a bad FLE_KEYS fails every invocation with InvalidRequest.
 */
import { createDecryptor, type Decryptor } from './decryptor';
import { DecryptError } from './errors';
import { createDecryptHandler, parseKeysVariable, parseKnownKeyIds } from './handler';
import { parseSecretVariable } from './secret-variable';

function init(): Decryptor | DecryptError {
  try {
    const concurrency = process.env.FLE_CONCURRENCY ? Number(process.env.FLE_CONCURRENCY) : undefined;
    // The decryptor makes one KMS client per key region, here, once per container.
    const knownKeyIds = parseKnownKeyIds(process.env.FLE_KNOWN_KEY_IDS);
    // The edge secret (FLE_SECRET), when the config declares one: unwrapped with KMS on first need.
    const secret = parseSecretVariable(process.env.FLE_SECRET);
    return createDecryptor({
      keys: parseKeysVariable(process.env.FLE_KEYS),
      concurrency,
      ...(knownKeyIds ? { knownKeyIds } : {}),
      ...(secret ? { secret } : {}),
    });
  } catch (error) {
    if (error instanceof DecryptError) return error;
    throw error;
  }
}

export const handler = createDecryptHandler(init());
