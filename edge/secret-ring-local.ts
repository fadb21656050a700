/**
 * `fle:edge-secret` for a development secret (held in clear by its file): the local stack and tests.
 * `fle build-edge` refuses it for a deployable bundle.
 */
import { unwrapLocalSecret } from '../core/secret-source';
import { edgeSecretRing } from './secret-ring';

export default edgeSecretRing(unwrapLocalSecret);
