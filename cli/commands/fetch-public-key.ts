import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { kmsRegionOf } from '../../decrypt/decryptor';
import { type Command, options, required } from '../args';
import { AwsError, FileError } from '../errors';
import type { CliIo } from '../io';
import { fingerprintOf, privateKeyFile, writeKmsRecord } from '../key-provenance';
import { fetchKmsPublicKey, UnsuitableKeyError } from '../public-key';

/** `fle fetch-public-key`: a KMS key's public key, checked, written as PEM. */
export const fetchPublicKeyCommand: Command = {
  name: 'fetch-public-key',
  summary: "write a KMS key's public key (spec, usage and algorithm checked) as PEM",
  usage: `fle fetch-public-key --key-id ARN --out PEM [--region R] [--kms-endpoint URL] [--force]

  --key-id ARN        the KMS key (ARN, id or alias)
  --out PEM           where to write the public key (refuses to replace another key's PEM); a
                      record of its KMS key and fingerprint goes beside it (01.pem → 01.kms.json)
  --region R          the KMS Region (default: from the ARN)
  --kms-endpoint URL  the KMS endpoint (default: the Region's)
  --force             replace a PEM that belongs to another key`,
  example: 'npx fle fetch-public-key --key-id arn:aws:kms:us-east-1:111122223333:key/… --out config/keys/01.pem',
  run: async (args: readonly string[], io: CliIo): Promise<number> => {
    const values = options(args, {
      'key-id': { type: 'string' },
      out: { type: 'string' },
      region: { type: 'string' },
      'kms-endpoint': { type: 'string' },
      force: { type: 'boolean' },
    });
    const keyId = required(values['key-id'], '--key-id');
    const out = resolve(required(values.out, '--out'));
    const region = values.region ?? kmsRegionOf(keyId) ?? process.env.AWS_REGION ?? 'us-east-1';
    const endpoint = values['kms-endpoint'];
    const client = new KMSClient({ region, ...(endpoint ? { endpoint } : {}) });
    try {
      let key: Awaited<ReturnType<typeof fetchKmsPublicKey>>;
      try {
        key = await fetchKmsPublicKey(client, keyId);
      } catch (error) {
        if (error instanceof UnsuitableKeyError) throw new AwsError('UnsuitableKey', error.message, { cause: error });
        const name = error instanceof Error ? error.name : 'Error';
        throw new AwsError(
          'KmsFailed',
          `KMS GetPublicKey failed for ${keyId}: ${name}${error instanceof Error ? `: ${error.message}` : ''}`,
        );
      }
      // KMS never hands out a private key: one beside the file marks a local dev pair, which a
      // deploy must not mistake for the KMS key (replacing only its public half would hide it).
      if (existsSync(privateKeyFile(out))) {
        throw new FileError(
          `${privateKeyFile(out)} lies where the public key of ${key.keyArn} goes: it is a local dev key pair. Move ${out} and ${privateKeyFile(out)} away (for example to config/dev-keys/) and run again`,
        );
      }
      const existing = existsSync(out) ? readFileSync(out, 'utf8') : undefined;
      const record = { keyArn: key.keyArn, keySpec: key.keySpec, fingerprint: fingerprintOf(key.pem) };
      if (existing !== undefined && existing.trim() === key.pem.trim()) {
        writeKmsRecord(out, record);
        io.stdout(`${out} already holds the public key of ${key.keyArn} (${key.keySpec})\n`);
        return 0;
      }
      if (existing !== undefined && !values.force) {
        throw new FileError(
          `${out} holds another public key than ${key.keyArn}: it does not belong to this KMS key. If it is a local dev key, move it away (or pass --force to replace it)`,
        );
      }
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, key.pem, { mode: 0o644 });
      writeKmsRecord(out, record);
      io.stdout(
        `wrote ${out}: public key of ${key.keyArn} (${key.keySpec === 'ECC_NIST_P256' ? 'ECC_NIST_P256, KEY_AGREEMENT, ECDH' : `${key.keySpec}, ENCRYPT_DECRYPT, RSAES_OAEP_SHA_256`})\n`,
      );
      return 0;
    } finally {
      client.destroy();
    }
  },
};
