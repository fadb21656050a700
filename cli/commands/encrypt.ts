import { toEdgeConfig } from '../../core/config';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../core/config-file';
import { sealD1 } from '../../core/format/d1';
import { SecretUnavailableError } from '../../edge/errors';
import { edgeExpressionEngine } from '../../edge/expression-engine';
import { toRejection } from '../../edge/rejection';
import { compileEdgeConfig, protectRequest } from '../../edge/transform';
import { type Command, options, required } from '../args';
import { currentSecretKeys } from '../edge-secret';
import { EXIT } from '../errors';
import type { CliIo } from '../io';

/** `fle encrypt`: exactly the edge transform on one body. */
export const encryptCommand: Command = {
  name: 'encrypt',
  summary: 'run the edge transform on one body (stdin) and print what the origin would receive',
  usage: `fle encrypt [--config F] --method M --uri U --content-type T [--content-encoding E] [--kms-endpoint URL] < body > out

  --method M         the request method
  --uri U            the request path, with its query string if any (checked for sensitive names)
  --content-type T   the request's Content-Type
  --kms-endpoint URL where to unwrap a KMS-wrapped edge secret (default: the wrapping key's Region)

Searchable fields show their deterministic D1 markers: the same normalised value, the same marker.

Exit 0: stdout is the body the origin would receive. Refused: exit 1, stdout empty, stderr one JSON
line {"status":<4xx>,"code":"…","message":"…"}.`,
  example: 'npx fle encrypt --method POST --uri /api/people --content-type application/json < examples/people.json',
  run: async (args: readonly string[], io: CliIo): Promise<number> => {
    const values = options(args, {
      config: { type: 'string' },
      method: { type: 'string' },
      uri: { type: 'string' },
      'content-type': { type: 'string' },
      'content-encoding': { type: 'string' },
      'kms-endpoint': { type: 'string' },
    });
    const method = required(values.method, '--method');
    const target = required(values.uri, '--uri');
    const queryAt = target.indexOf('?');
    const loaded = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
    const config = compileEdgeConfig(toEdgeConfig(loaded), edgeExpressionEngine, sealD1);
    const body = await io.stdin();
    try {
      const secret = await currentSecretKeys(loaded, { endpoint: values['kms-endpoint'] }).catch((error: unknown) => {
        throw new SecretUnavailableError('the edge secret is unavailable (KMS)', { cause: error });
      });
      const outcome = protectRequest(
        config,
        {
          method,
          uri: queryAt < 0 ? target : target.slice(0, queryAt),
          querystring: queryAt < 0 ? '' : target.slice(queryAt + 1),
          contentType: values['content-type'],
          contentEncoding: values['content-encoding'],
          body,
        },
        secret,
      );
      io.stdout(outcome.action === 'replace' ? outcome.body : body);
      return EXIT.ok;
    } catch (error) {
      const { status, code, message } = toRejection(error);
      io.stderr(`${JSON.stringify({ status, code, message })}\n`);
      return EXIT.refused;
    }
  },
};
