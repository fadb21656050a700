import { KMSClient } from '@aws-sdk/client-kms';
import type { FleConfig } from '../core/config';
import type { SecretRing } from '../core/format/secret';
import { createSecretSource, secretRing, unwrapLocalSecret } from '../core/secret-source';
import { kmsSecretUnwrapper, regionOfKey } from '../edge/kms-secret';

/**
 * The current edge secret's keys (of every key id of the config) for a CLI command that runs the edge transform (`fle encrypt`):
 * a dev secret as it is, a KMS-wrapped one through KMS `Decrypt` (as the edge does). Undefined when
 * the config declares no secret.
 */
export async function currentSecretKeys(config: FleConfig, kms: { endpoint?: string | undefined }): Promise<SecretRing | undefined> {
  const secret = config.edgeSecret;
  const version = secret?.versions.find((v) => v.version === secret.current);
  if (!version) return undefined;
  const keyIds = config.keys.map((k) => k.id);
  if (version.source === 'local') return secretRing(createSecretSource(version, unwrapLocalSecret), keyIds)();
  const client = new KMSClient({ region: regionOfKey(version.kmsKeyId), ...(kms.endpoint ? { endpoint: kms.endpoint } : {}) });
  try {
    return await secretRing(createSecretSource(version, kmsSecretUnwrapper(client)), keyIds)();
  } finally {
    client.destroy();
  }
}
