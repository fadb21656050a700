import { createCipheriv, createPublicKey, randomBytes } from 'node:crypto';
import { sealD1 } from '../core/format/d1';
import { E2Sealer, newE2Key, p256Point } from '../core/format/e2';
import { PROOF_OVERHEAD } from '../core/format/proof';
import { compileIndexes, importEdgeKey, RequestSealer } from '../core/format/sealer';
import { deriveSecretKeys } from '../core/format/secret';
import { type Figure, figure } from './stats';

/** Characters one marker takes, per payload kind, for a value at a location. */
export interface MarkerSize {
  readonly value: string;
  readonly location: string;
  readonly rsa: number;
  readonly e1: number;
  readonly e2: number;
  /** A searchable (`D1`) marker of the value under an index named `email`. */
  readonly d1: number;
  /** Characters a proof (`P1`) adds to each randomised marker when the edge secret is declared. */
  readonly proof: number;
}

/** The marker length of each payload kind for typical values (sealed for real, then measured). */
export function markerSizes(rsaPublicKeyPem: string, ecPublicKeyPem: string): MarkerSize[] {
  const rsa = importEdgeKey('01', rsaPublicKeyPem);
  const ec = importEdgeKey('03', ecPublicKeyPem);
  const cases = [
    { value: '123-45-6789', location: 'json:/0/ssn' },
    { value: 'alejandro.rosalez1@example.com', location: 'json:/0/email' },
    { value: 'x'.repeat(200), location: 'json:/0/notes' },
  ];
  return cases.map(({ value, location }) => {
    const bytes = Buffer.from(value, 'utf8');
    const keys = new Map([
      ['01', rsa],
      ['03', ec],
    ]);
    const sealer = new RequestSealer(keys);
    const searchable = new RequestSealer(keys, {
      keys: new Map([['01', deriveSecretKeys(randomBytes(32), 1)]]),
      indexes: compileIndexes([{ name: 'email', key: '01', version: 1, normalize: [] }], sealD1),
    });
    const length = (key: string, mode: 'rsa' | 'envelope'): number => sealer.plan({ key, mode }, 's', bytes, location).seal().length;
    // A value longer than one RSA block goes to E1 even in rsa mode: no post-style marker exists.
    const fitsRsa = bytes.length <= rsa.maxPlaintextBytes;
    return {
      value: `${bytes.length}-byte string`,
      location,
      rsa: fitsRsa ? length('01', 'rsa') : Number.NaN,
      e1: length('01', 'envelope'),
      e2: length('03', 'rsa'),
      d1: searchable.plan({ key: '01', mode: 'rsa', index: 'email' }, 's', bytes, location).seal().length,
      proof: PROOF_OVERHEAD,
    };
  });
}

/** E2 sealing per value, side by side with the AES-256-GCM floor (counter nonces, same key). */
export interface E2PerField {
  /** µs per value sealed into a whole E2 payload. */
  readonly e2Us: Figure;
  /** µs per value for AES-256-GCM alone (createCipheriv, the same additional data, update, final, tag). */
  readonly floorUs: Figure;
  /** Median of the per-round ratios. */
  readonly overFloor: number;
}

/** Seals `fields` 11-byte values per round, E2 and floor alternating, `runs` rounds after two warm-ups. */
export function benchE2PerField(ecPublicKeyPem: string, fields: number, runs: number): E2PerField {
  const point = p256Point(createPublicKey(ecPublicKeyPem)) as Buffer;
  const value = Buffer.from('123-45-6789');
  const e2: number[] = [];
  const floor: number[] = [];
  for (let round = -2; round < runs; round += 1) {
    const key = newE2Key('03', point);
    const sealer = new E2Sealer(key, '03');
    let start = performance.now();
    for (let f = 0; f < fields; f += 1) sealer.seal('json:/0/ssn', 's', value);
    const e2Time = performance.now() - start;
    const iv = Buffer.alloc(12);
    // The location binding E2 needs (as E1): GCM over the same additional data.
    const aad = Buffer.from('edge-fle/E2\u000003\u0000json:/0/ssn', 'utf8');
    start = performance.now();
    for (let f = 0; f < fields; f += 1) {
      iv.writeUInt32BE(f, 8);
      const cipher = createCipheriv('aes-256-gcm', key.encryptionKey, iv);
      cipher.setAAD(aad);
      cipher.update(value);
      cipher.final();
      cipher.getAuthTag();
    }
    const floorTime = performance.now() - start;
    if (round >= 0) {
      e2.push((e2Time * 1000) / fields);
      floor.push((floorTime * 1000) / fields);
    }
  }
  return { e2Us: figure(e2), floorUs: figure(floor), overFloor: figure(e2.map((t, i) => t / (floor[i] as number))).median };
}
