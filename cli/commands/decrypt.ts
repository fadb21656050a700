import { type Command, options } from '../args';
import { DECRYPT_OPTIONS, DECRYPT_OPTIONS_HELP, withDecryptor } from '../decrypt-session';
import type { CliIo } from '../io';

/** `fle decrypt`: every marker of a known key id, decrypted; all or nothing. */
export const decryptCommand: Command = {
  name: 'decrypt',
  summary: 'decrypt every marker (KMS, or a local private key); all or nothing',
  usage: `fle decrypt [options] < in > out

${DECRYPT_OPTIONS_HELP}

Exit 0: stdout is the input with every marker replaced by its plaintext. Any failure: exit 1, stdout
empty, stderr one JSON line {"code":"…","message":"…"}.`,
  example: 'npx fle decrypt --private-key 01=config/keys/01.key.pem --content-type application/json < protected.json',
  run: (args: readonly string[], io: CliIo): Promise<number> => {
    const values = options(args, DECRYPT_OPTIONS);
    return withDecryptor(values, io, async (decryptor, _config, input) => {
      const { text } = await decryptor.decrypt(input, { contentType: values['content-type'] });
      return text;
    });
  },
};
