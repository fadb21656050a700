import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isKeyId } from '../../core/format/marker';
import { type Command, options, required } from '../args';
import { FileError, UsageError } from '../errors';
import type { CliIo } from '../io';
import { devSecretFile, KEY_BITS, keyPairFiles, writeDevSecret, writeKeyPair } from '../keygen';

/** `fle keygen`: a key pair for local or external-key use. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'make a key pair (DIR/<id>.pem public, DIR/<id>.key.pem private), or a dev edge secret',
  usage: `fle keygen --out DIR [--id 01] [--bits 2048] [--type rsa|ec-p256|edge-secret] [--force]

  --out DIR    where to write <id>.pem (public, SPKI) and <id>.key.pem (private, PKCS#8, mode 0600)
  --id ID      the key id, 1 to 8 letters or digits (default 01)
  --bits N     RSA modulus: 2048, 3072 or 4096, the KMS RSA key specs (default 2048)
  --type T     rsa (default), or ec-p256: a P-256 key agreement key (KMS ECC_NIST_P256), for E2;
               or edge-secret: a DEV edge secret DIR/edge-secret.<id>.json (id = the secret version,
               default 1), in clear: local use only (npm run deploy makes the real one with KMS)
  --force      replace an existing key pair`,
  example: 'npx fle keygen --out .local/keys --id 02 --bits 3072',
  run: (args: readonly string[], io: CliIo): number => {
    const values = options(args, {
      out: { type: 'string' },
      id: { type: 'string' },
      bits: { type: 'string' },
      type: { type: 'string' },
      force: { type: 'boolean' },
    });
    const dir = resolve(required(values.out, '--out'));
    const id = values.id ?? '01';
    if (!isKeyId(id)) throw new UsageError('--id must be 1 to 8 letters or digits');
    const type = values.type ?? 'rsa';
    if (type === 'edge-secret') return writeSecret(dir, values.id ?? '1', values.force === true, io);
    if (type !== 'rsa' && type !== 'ec-p256') throw new UsageError('--type must be rsa, ec-p256 or edge-secret');
    if (type === 'ec-p256' && values.bits !== undefined) throw new UsageError('--bits applies to RSA keys only');
    const bits = Number(values.bits ?? '2048');
    if (!KEY_BITS.includes(bits)) throw new UsageError('--bits must be 2048, 3072 or 4096 (the KMS RSA key specs)');
    const { publicFile, privateFile } = keyPairFiles(dir, id);
    if (!values.force && (existsSync(publicFile) || existsSync(privateFile))) {
      throw new FileError(`${publicFile} or ${privateFile} exists; pass --force to replace the key pair`);
    }
    writeKeyPair(dir, id, type === 'ec-p256' ? 'ec-p256' : bits);
    io.stdout(`wrote ${publicFile} (public, SPKI) and ${privateFile} (private, PKCS#8, mode 0600)\n`);
    return 0;
  },
};

function writeSecret(dir: string, id: string, force: boolean, io: CliIo): number {
  const version = Number(id);
  if (!/^[1-9][0-9]{0,2}$/.test(id) || version > 255) throw new UsageError('--id is the secret version for --type edge-secret: 1 to 255');
  const file = devSecretFile(dir, version);
  if (!force && existsSync(file)) throw new FileError(`${file} exists; pass --force to replace it (markers made with it stop opening)`);
  writeDevSecret(file, version);
  io.stdout(`wrote ${file} (DEV edge secret version ${version}, in clear, mode 0600): never deploy it\n`);
  return 0;
}
