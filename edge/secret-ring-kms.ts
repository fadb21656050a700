/**
 * `fle:edge-secret` for a KMS-wrapped secret version: the KMS client (from the Lambda runtime's AWS
 * SDK) is loaded and made on first use, then kept. A bundle whose config has no KMS-wrapped secret
 * leaves this module out.
 */
import type { UnwrapSecret } from '../core/secret-source';
import { edgeSecretRing } from './secret-ring';

let kmsUnwrap: UnwrapSecret | undefined;

const unwrap: UnwrapSecret = async (version, keyId) => {
  if (!kmsUnwrap) {
    const { edgeKmsClient, kmsSecretUnwrapper } = await import('./kms-secret');
    kmsUnwrap = kmsSecretUnwrapper(edgeKmsClient(version));
  }
  return kmsUnwrap(version, keyId);
};

export default edgeSecretRing(unwrap);
