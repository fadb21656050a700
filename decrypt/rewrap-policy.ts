import { isD1Payload, parseD1 } from '../core/format/d1';
import { markerWriter } from '../core/format/marker';
import { parseProof, prove, verifyProof } from '../core/format/proof';
import type { CompiledIndex } from '../core/format/sealer';
import { InvalidCiphertextError } from './errors';
import type { SecretOf } from './provenance';
import type { PlacedMarker } from './substitute';

/**
 * What `rewrap` leaves, proves anew or re-encrypts: the rules over key ids and edge secret versions,
 * apart from the decryptor that applies them.
 */

/**
 * Each marker's payload proven anew with the current secret version, after its old proof is
 * checked (a forged proof is never laundered into a valid one), as the whole marker text.
 */
export async function reproveAll(
  markers: readonly PlacedMarker[],
  secretOf: SecretOf | undefined,
  current: number | undefined,
): Promise<Map<PlacedMarker, string>> {
  const reproved = new Map<PlacedMarker, string>();
  if (markers.length === 0 || !secretOf || current === undefined) return reproved;
  for (const marker of markers) {
    const now = await secretOf(current, marker.keyId);
    const proof = parseProof(marker.payload);
    if (!proof) throw new InvalidCiphertextError(`a marker of key "${marker.keyId}" holds a malformed P1 payload`);
    if (!verifyProof(await secretOf(proof.secretVersion, marker.keyId), marker.keyId, proof)) {
      throw new InvalidCiphertextError(`a marker of key "${marker.keyId}" has an invalid proof`);
    }
    reproved.set(marker, markerWriter(marker.keyId).wrap(prove(now, marker.keyId, proof.inner)));
  }
  return reproved;
}

/**
 * Whether `rewrap` leaves a marker as it is: a searchable one at the current secret and index
 * versions under its index's key; any other under the target key, proven with the current secret
 * version (or carrying no proof where no secret is declared).
 */
export function upToDate(
  marker: PlacedMarker,
  to: string,
  current: number | undefined,
  indexes: ReadonlyMap<string, CompiledIndex>,
): boolean {
  if (isD1Payload(marker.payload)) {
    const parts = parseD1(marker.payload);
    const index = parts && indexes.get(parts.index.name);
    return !!parts && !!index && parts.secretVersion === current && parts.index.version === index.version && marker.keyId === index.key;
  }
  if (marker.keyId !== to) return false;
  if (current === undefined) return true;
  return parseProof(marker.payload)?.secretVersion === current;
}
