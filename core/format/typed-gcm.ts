import { createDecipheriv, type KeyObject } from 'node:crypto';

/** What an encrypted value was: a JSON string (`s`, its UTF-8 bytes) or any other JSON value (`j`, its JSON text). */
export type ValueKind = 's' | 'j';

const TAG_BYTES = 16;

/**
 * Opens AES-256-GCM ciphertext ‖ tag whose plaintext starts with its {@link ValueKind}: the shared
 * last step of E1 and E2. Returns why it failed instead of throwing, so each payload kind reports
 * in its own error class.
 */
export function openTypedGcm(
  key: KeyObject,
  iv: Buffer,
  additionalData: Buffer,
  sealed: Buffer,
): { kind: ValueKind; value: Buffer } | 'unauthentic' | 'unknown-kind' {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(additionalData);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return 'unauthentic';
  }
  const kind = String.fromCharCode(plain[0] ?? 0);
  if (kind !== 's' && kind !== 'j') return 'unknown-kind';
  return { kind, value: plain.subarray(1) };
}
