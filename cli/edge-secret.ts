import { KMSClient } from '@aws-sdk/client-kms';
import type { FleConfig } from '../core/config';
import type { SecretKeys } from '../core/format/secret';
import { createSecretSource, unwrapLocalSecret } from '../core/secret-source';
import { kmsSecretUnwrapper, regionOfKey } from '../edge/kms-secret';

/**
 * The current edge secret's keys for a CLI command that runs the edge transform (`fle encrypt`):
 * a dev secret as it is, a KMS-wrapped one through KMS `Decrypt` (as the edge does). Undefined when
 * the config declares no secret.
 */
export async function currentSecretKeys(config: FleConfig, kms: { endpoint?: string | undefined }): Promise<SecretKeys | undefined> {
  const secret = config.edgeSecret;
  const version = secret?.versions.find((v) => v.version === secret.current);
  if (!version) return undefined;
  if (version.source === 'local') return createSecretSource(version, unwrapLocalSecret)();
  const client = new KMSClient({ region: regionOfKey(version.kmsKeyId), ...(kms.endpoint ? { endpoint: kms.endpoint } : {}) });
  try {
    return await createSecretSource(version, kmsSecretUnwrapper(client))();
  } finally {
    client.destroy();
  }
}
