import { InvalidRequestError } from '../../decrypt/errors';
import { type Command, options, required } from '../args';
import { DECRYPT_OPTIONS, DECRYPT_OPTIONS_HELP, withDecryptor } from '../decrypt-session';
import type { CliIo } from '../io';

/** `fle rewrap`: re-encrypts every marker to another key, never writing plaintext. */
export const rewrapCommand: Command = {
  name: 'rewrap',
  summary: 're-encrypt every marker to key ID, never writing plaintext',
  usage: `fle rewrap --to ID [options] < in > out

  --to ID                  the key every marker is re-encrypted to (a key of the config)
  --prove-legacy           with an edge secret: also re-encrypt markers that carry no proof (written
                           before the secret), which proves them; only for a store you trust
${DECRYPT_OPTIONS_HELP}

Exit codes and errors as fle decrypt.`,
  example: 'npx fle rewrap --to 02 --private-key 01=config/keys/01.key.pem --content-type application/json < old.json > new.json',
  run: (args: readonly string[], io: CliIo): Promise<number> => {
    const values = options(args, { ...DECRYPT_OPTIONS, to: { type: 'string' }, 'prove-legacy': { type: 'boolean' } });
    const to = required(values.to, '--to');
    return withDecryptor(values, io, async (decryptor, config, input) => {
      const target = config.keys.find((k) => k.id === to);
      if (!target) throw new InvalidRequestError(`--to "${to}" is not a key of the config`);
      const { text } = await decryptor.rewrap(input, target, {
        contentType: values['content-type'],
        proveUnproven: values['prove-legacy'] === true,
      });
      return text;
    });
  },
};
