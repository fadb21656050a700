import { emfMembers } from '../core/emf';
import { isKeyId } from '../core/format/marker';
import type { DecryptKey, Decryptor } from './decryptor';
import { DecryptError, InvalidRequestError } from './errors';

/** The decrypt Lambda's event: invoked directly by an app allowed to see the data. */
export interface DecryptEvent {
  readonly body: string;
  readonly contentType?: string;
  /**
   * Leave markers of the deployment's other keys (FLE_KNOWN_KEY_IDS) as they are instead of failing
   * with UnknownKey: an audience reading a record that also holds fields for another audience.
   */
  readonly leaveOtherKeys?: boolean;
}

/**
 * Reads `FLE_KNOWN_KEY_IDS`: a JSON list of every key id the deployment configures (the
 * infrastructure sets it). Marker-shaped text of any other id is plain text. Absent: the keyring's ids.
 */
export function parseKnownKeyIds(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new InvalidRequestError('FLE_KNOWN_KEY_IDS is not valid JSON');
  }
  if (!Array.isArray(raw) || !raw.every((id) => typeof id === 'string' && isKeyId(id))) {
    throw new InvalidRequestError('FLE_KNOWN_KEY_IDS must be a JSON list of key ids');
  }
  return raw as string[];
}

/** The decrypt Lambda's result. */
export interface DecryptResponse {
  readonly body: string;
}

/**
 * Reads `FLE_KEYS`: a JSON list of `{id, kmsKeyId}`. Throws InvalidRequest naming what is wrong,
 * never echoing the variable.
 */
export function parseKeysVariable(value: string | undefined): DecryptKey[] {
  if (!value) throw new InvalidRequestError('FLE_KEYS is not set');
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new InvalidRequestError('FLE_KEYS is not valid JSON');
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new InvalidRequestError('FLE_KEYS must be a non-empty JSON list of {id, kmsKeyId}');
  return raw.map((entry: unknown, index) => {
    const { id, kmsKeyId } = (entry ?? {}) as { id?: unknown; kmsKeyId?: unknown };
    if (typeof id !== 'string' || !isKeyId(id) || typeof kmsKeyId !== 'string' || kmsKeyId === '') {
      throw new InvalidRequestError(`FLE_KEYS[${index}] must be {"id": "<1-8 letters or digits>", "kmsKeyId": "<KMS key ARN>"}`);
    }
    return { id, kmsKeyId };
  });
}

/**
 * The decrypt Lambda handler for a decryptor (or for a decryptor that could not be made: every call
 * then fails with that error). Logs one line per call, counts and key ids only.
 */
export function createDecryptHandler(
  decryptor: Decryptor | DecryptError,
  log: (line: string) => void = (line) => console.log(line),
  wallClock: () => number = Date.now,
): (event: DecryptEvent) => Promise<DecryptResponse> {
  return async (event) => {
    const started = performance.now();
    const entry = (fields: Record<string, unknown>, metrics: Record<string, unknown>): void => {
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      log(JSON.stringify({ service: 'edge-fle-decrypt', ...fields, durationMs, ...metrics }));
    };
    try {
      if (decryptor instanceof DecryptError) throw decryptor;
      if (typeof event?.body !== 'string') throw new InvalidRequestError('the event must be {"body": "<text>", "contentType": "<type>"}');
      if (event.contentType !== undefined && typeof event.contentType !== 'string')
        throw new InvalidRequestError('contentType must be a string');
      if (event.leaveOtherKeys !== undefined && typeof event.leaveOtherKeys !== 'boolean')
        throw new InvalidRequestError('leaveOtherKeys must be true or false');
      const { text, stats } = await decryptor.decrypt(event.body, {
        contentType: event.contentType,
        ...(event.leaveOtherKeys !== undefined ? { leaveUnknown: event.leaveOtherKeys } : {}),
      });
      entry(
        { level: 'INFO', outcome: 'decrypted', bytesIn: Buffer.byteLength(event.body), bytesOut: Buffer.byteLength(text), ...stats },
        emfMembers(
          [
            {
              dimensions: [['Outcome']],
              metrics: [
                { name: 'Decrypts', unit: 'Count' },
                { name: 'Markers', unit: 'Count' },
                { name: 'KmsCalls', unit: 'Count' },
                { name: 'DecryptDuration', unit: 'Milliseconds' },
              ],
            },
          ],
          {
            Outcome: 'decrypted',
            Decrypts: 1,
            Markers: stats.markers,
            KmsCalls: stats.kmsCalls,
            DecryptDuration: performance.now() - started,
          },
          wallClock(),
        ),
      );
      return { body: text };
    } catch (error) {
      const failure = error instanceof DecryptError ? error : new InvalidRequestError('the request could not be decrypted');
      // Failures by code; throttling also on its own, undimensioned, for one alarm across functions.
      const throttled = failure.code === 'Throttled' ? 1 : 0;
      entry(
        { level: 'ERROR', outcome: 'failed', code: failure.code },
        emfMembers(
          [
            { dimensions: [['Code'], []], metrics: [{ name: 'DecryptFailures', unit: 'Count' }] },
            { dimensions: [[]], metrics: [{ name: 'KmsThrottles', unit: 'Count' }] },
          ],
          { Code: failure.code, DecryptFailures: 1, KmsThrottles: throttled },
          wallClock(),
        ),
      );
      throw failure;
    }
  };
}
