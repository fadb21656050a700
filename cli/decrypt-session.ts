import { KMSClient } from '@aws-sdk/client-kms';
import type { FleConfig } from '../core/config';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../core/config-file';
import { createDecryptor, type Decryptor, keyringFor } from '../decrypt/decryptor';
import { DecryptError } from '../decrypt/errors';
import { decryptSecretOptions } from '../decrypt/provenance';
import { positiveInt, readPrivateKeys } from './args';
import { EXIT } from './errors';
import type { CliIo } from './io';

/** Options shared by `decrypt` and `rewrap`: where the keys are and how the input is read. */
export const DECRYPT_OPTIONS = {
  config: { type: 'string' },
  'private-key': { type: 'string', multiple: true },
  'kms-endpoint': { type: 'string' },
  region: { type: 'string' },
  'content-type': { type: 'string' },
  'leave-unknown': { type: 'boolean' },
  concurrency: { type: 'string' },
} as const;

/** The help lines for {@link DECRYPT_OPTIONS}. */
export const DECRYPT_OPTIONS_HELP = `  --config F               the config file (default ${DEFAULT_CONFIG_PATH}); its keys say which markers are ours
  --private-key ID=PEM     decrypt key ID with a local private key instead of KMS (repeatable; ID must be in the config)
  --kms-endpoint URL       the KMS endpoint (default: the Region's)
  --region R               the KMS Region (default: from the key ARN)
  --content-type T         how to read the input: application/json, a form, or anything else as text
  --leave-unknown          leave markers of configured keys with neither KMS id nor private key as they are
                           (marker-shaped text of ids the config does not name is always plain text)
  --concurrency N          KMS calls in flight at once`;

/** The parsed {@link DECRYPT_OPTIONS}. */
export interface DecryptValues {
  readonly config?: string | undefined;
  readonly 'private-key'?: string[] | undefined;
  readonly 'kms-endpoint'?: string | undefined;
  readonly region?: string | undefined;
  readonly 'content-type'?: string | undefined;
  readonly 'leave-unknown'?: boolean | undefined;
  readonly concurrency?: string | undefined;
}

/** A decryptor for the config's keys, with the KMS client it made (destroy it when done). */
export function openDecryptor(values: DecryptValues): { decryptor: Decryptor; config: FleConfig; close(): void } {
  const config = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
  const privateKeys = readPrivateKeys(values['private-key'], new Set(config.keys.map((k) => k.id)));
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const keys = keyringFor(config.keys, privateKeys);
  const endpoint = values['kms-endpoint'];
  const kmsClient =
    endpoint || values.region
      ? new KMSClient({ region: values.region ?? process.env.AWS_REGION ?? 'us-east-1', ...(endpoint ? { endpoint } : {}) })
      : undefined;
  const decryptor = createDecryptor({
    keys,
    knownKeyIds: config.keys.map((k) => k.id),
    ...(kmsClient ? { kmsClient } : {}),
    ...(concurrency ? { concurrency } : {}),
    leaveUnknown: values['leave-unknown'] ?? false,
    ...(config.edgeSecret ? { secret: decryptSecretOptions(config.edgeSecret, config.indexes) } : {}),
  });
  return { decryptor, config, close: () => kmsClient?.destroy() };
}

/** The one JSON line a decrypt failure is on stderr: a code and a message, never content. */
export function decryptFailureLine(error: unknown): string {
  const code = error instanceof DecryptError ? error.code : 'DecryptFailed';
  const message = error instanceof DecryptError ? error.message : 'the input could not be processed';
  return `${JSON.stringify({ code, message })}\n`;
}

/**
 * Runs `work` with a decryptor for the config's keys: a local private key where `--private-key`
 * names one, KMS (`kmsKeyId`) otherwise. A failure of the data or of KMS is one JSON line on stderr
 * and exit 1 (the contract of `fle decrypt`); stdout gets the result only on success.
 */
export async function withDecryptor(
  values: DecryptValues,
  io: CliIo,
  work: (decryptor: Decryptor, config: FleConfig, input: string) => Promise<string>,
): Promise<number> {
  const input = (await io.stdin()).toString('utf8');
  let session: ReturnType<typeof openDecryptor> | undefined;
  try {
    session = openDecryptor(values);
    io.stdout(await work(session.decryptor, session.config, input));
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof DecryptError) && session === undefined) throw error;
    io.stderr(decryptFailureLine(error));
    return EXIT.refused;
  } finally {
    session?.close();
  }
}
