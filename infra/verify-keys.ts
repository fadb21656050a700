import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EdgeKeyManifest } from '../cli/bundle';
import { fingerprintOf } from '../cli/key-provenance';
import { PUBLIC_KEYS_METADATA } from './edge-stack';

/** The public keys an edge template embeds, from the synthesised assembly. */
export function edgeKeysOfAssembly(assemblyDir: string, edgeStack: string): EdgeKeyManifest | undefined {
  const template = JSON.parse(readFileSync(join(assemblyDir, `${edgeStack}.template.json`), 'utf8')) as {
    Metadata?: Record<string, unknown>;
  };
  return template.Metadata?.[PUBLIC_KEYS_METADATA] as EdgeKeyManifest | undefined;
}

/**
 * Compares every public key an edge bundle embeds with the one KMS holds for that key id, by
 * fingerprint. Returns one problem per mismatch (empty when the edge may ship). `publicKeyOf`
 * is KMS GetPublicKey: the SPKI DER bytes of a key ARN.
 */
export async function verifyEdgeKeys(
  manifest: EdgeKeyManifest | undefined,
  keyArns: ReadonlyMap<string, string>,
  publicKeyOf: (keyArn: string) => Promise<Uint8Array>,
): Promise<string[]> {
  if (!manifest) return ['the edge template records no public keys: it was not synthesised by this version of edge-fle'];
  if (manifest.status !== 'kms') return [`the edge bundle is ${manifest.status}, not built from public keys fetched from KMS`];
  const problems: string[] = [];
  for (const key of manifest.keys) {
    const arn = keyArns.get(key.id);
    if (!arn) {
      problems.push(`key ${key.id}: the keys stack has no KMS key for it`);
      continue;
    }
    const held = fingerprintOf(await publicKeyOf(arn));
    if (held !== key.fingerprint) {
      problems.push(`key ${key.id}: the bundle embeds ${key.fingerprint} but KMS key ${arn} holds ${held}`);
    }
  }
  return problems;
}
