import { writeFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_CONFIG_PATH } from '../../core/config-file';
import { DecryptError } from '../../decrypt/errors';
import { rewrapPrefix } from '../../rewrap/worker';
import { type Command, options, positiveInt, required } from '../args';
import { decryptFailureLine, openDecryptor } from '../decrypt-session';
import { EXIT, UsageError } from '../errors';
import type { CliIo } from '../io';

/** `fle rewrap-s3`: the data-lake rotation worker on one machine. */
export const rewrapS3Command: Command = {
  name: 'rewrap-s3',
  summary: 'rewrap every object under an S3 prefix to key ID (JSON, JSON Lines, forms), with a manifest of failures',
  usage: `fle rewrap-s3 [--config F] --bucket B --prefix P --to ID [--endpoint URL] [--kms-endpoint URL]
               [--private-key ID=PEM]... [--region R] [--dest-prefix P2] [--objects N] [--concurrency N] [--manifest FILE]

  --bucket B            the bucket
  --prefix P            every object under it (.json, .jsonl/.ndjson, .form, or by content type)
  --to ID               the key every marker is re-encrypted to (a key of the config)
  --endpoint URL        the S3 endpoint (default: the Region's)
  --kms-endpoint URL    the KMS endpoint (default: the Region's)
  --private-key ID=PEM  open key ID with a local private key instead of KMS (repeatable)
  --region R            the Region of S3 and KMS (default: AWS_REGION, else us-east-1)
  --dest-prefix P2      write rewrapped objects under P2 instead of in place
  --objects N           objects in flight at once (default 4)
  --concurrency N       KMS calls in flight per object (default 16)
  --manifest FILE       where to write the JSON manifest (default rewrap-manifest.json)

Objects already under key ID are skipped, so a rerun resumes. In place, an object changed since it
was read is not overwritten (ObjectChanged). Exit 0 when every object is rewrapped or skipped, 1 when
any failed (the manifest lists each with its code).`,
  example: 'npx fle rewrap-s3 --bucket lake --prefix exports/2026/ --to 02',
  run: async (args: readonly string[], io: CliIo): Promise<number> => {
    const values = options(args, {
      config: { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      to: { type: 'string' },
      endpoint: { type: 'string' },
      'kms-endpoint': { type: 'string' },
      'private-key': { type: 'string', multiple: true },
      region: { type: 'string' },
      'dest-prefix': { type: 'string' },
      objects: { type: 'string' },
      concurrency: { type: 'string' },
      manifest: { type: 'string' },
    });
    const bucket = required(values.bucket, '--bucket');
    const prefix = required(values.prefix, '--prefix');
    const to = required(values.to, '--to');
    const destinationPrefix = values['dest-prefix'];
    if (destinationPrefix !== undefined && (destinationPrefix.startsWith(prefix) || prefix.startsWith(destinationPrefix))) {
      throw new UsageError('--dest-prefix must not overlap --prefix');
    }
    const objects = positiveInt(values.objects, '--objects');
    const manifestFile = values.manifest ?? 'rewrap-manifest.json';
    const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
    const session = openDecryptor({ ...values, region, config: values.config ?? DEFAULT_CONFIG_PATH });
    const target = session.config.keys.find((k) => k.id === to);
    if (!target) {
      session.close();
      throw new UsageError(`--to "${to}" is not a key of the config`);
    }
    const s3 = new S3Client({ region, ...(values.endpoint ? { endpoint: values.endpoint, forcePathStyle: true } : {}) });
    try {
      const summary = await rewrapPrefix(
        s3,
        session.decryptor,
        {
          bucket,
          prefix,
          to: { id: target.id, publicKeyPem: target.publicKeyPem },
          knownKeyIds: session.config.keys.map((k) => k.id),
          ...(destinationPrefix !== undefined ? { destinationPrefix } : {}),
          ...(objects ? { concurrency: objects } : {}),
        },
        (done, total, result) => io.stderr(`[${done}/${total}] ${result.outcome}${result.code ? ` ${result.code}` : ''}\n`),
      );
      writeFileSync(manifestFile, `${JSON.stringify({ bucket, prefix, to, ...summary }, null, 2)}\n`);
      io.stdout(
        `${summary.objects} objects: ${summary.rewrapped} rewrapped (${summary.markers} markers), ${summary.skipped} already under ${to}, ${summary.failed.length} failed; manifest ${manifestFile}\n`,
      );
      return summary.failed.length === 0 ? EXIT.ok : EXIT.refused;
    } catch (error) {
      // Per-object failures are in the manifest; this is the listing (or the manifest) failing.
      io.stderr(
        error instanceof DecryptError
          ? decryptFailureLine(error)
          : `${JSON.stringify({ code: 'S3Failed', message: `listing s3://${bucket}/${prefix} failed: ${error instanceof Error ? error.name : 'Error'}` })}\n`,
      );
      return EXIT.aws;
    } finally {
      s3.destroy();
      session.close();
    }
  },
};
