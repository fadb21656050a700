/**
 * The edge's unwrap of a KMS-wrapped secret, as `fle:secret-unwrap` provides it to `lambda.ts`:
 * the KMS client (from the Lambda runtime's AWS SDK) is loaded and made on first use, then kept.
 * A bundle whose config has no KMS-wrapped secret leaves this module out.
 */
import type { UnwrapSecret } from '../core/secret-source';

let kmsUnwrap: UnwrapSecret | undefined;

const unwrap: UnwrapSecret = async (version, keyId) => {
  if (!kmsUnwrap) {
    const { edgeKmsClient, kmsSecretUnwrapper } = await import('./kms-secret');
    kmsUnwrap = kmsSecretUnwrapper(edgeKmsClient(version));
  }
  return kmsUnwrap(version, keyId);
};

export default unwrap;
