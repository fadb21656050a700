/** Generated person records: 6 sensitive fields each (fname, lname, email, ssn, dob, phone). */
export const SENSITIVE_PATHS = ['$[*].fname', '$[*].lname', '$[*].email', '$[*].ssn', '$[*].dob', '$[*].phone'];
/**
 * The transform's config selects the same six fields per record, four of them as sensitive names
 * protected everywhere (the shipped config's way), so the figure includes name-everywhere inspection.
 */
export const BENCH_NAMES = ['email', 'ssn', 'dob', 'phone'];
export const BENCH_PATHS = ['$[*].fname', '$[*].lname'];

/** One record, about 400 bytes of JSON. */
export function person(i: number): Record<string, unknown> {
  return {
    id: i,
    fname: `Alejandro${i % 97}`,
    lname: `Rosalez-${i % 89}`,
    email: `alejandro.rosalez${i}@example.com`,
    ssn: `${String(100 + (i % 800)).padStart(3, '0')}-45-${String(i % 10000).padStart(4, '0')}`,
    dob: `19${String(50 + (i % 50)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
    phone: `+1-555-${String(i % 10000).padStart(4, '0')}`,
    address: { street: `${i} Main Street`, city: 'Anytown', state: 'WA', zip: String(98000 + (i % 999)) },
    notes: `Customer since ${2000 + (i % 25)}; prefers email; account tier ${['gold', 'silver', 'bronze'][i % 3]}. `.repeat(2),
  };
}

/** A JSON array of `n` records. */
export function peopleBody(n: number): Buffer {
  return Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => person(i))));
}

/** The number of records whose body is closest to (not above) `bytes`, at least 1. */
export function recordsFor(bytes: number): number {
  let n = Math.max(1, Math.floor(bytes / 420));
  while (n > 1 && peopleBody(n).length > bytes) n -= 1;
  while (peopleBody(n + 1).length <= bytes) n += 1;
  return n;
}

/** An origin-request event as CloudFront sends it: a JSON POST to `/api/people` with `body`. */
export function postEvent(body: Buffer, requestId = 'bench'): object {
  return {
    Records: [
      {
        cf: {
          config: { requestId, eventType: 'origin-request', distributionId: 'E', distributionDomainName: 'd' },
          request: {
            clientIp: '203.0.113.1',
            method: 'POST',
            uri: '/api/people',
            querystring: '',
            headers: { 'content-type': [{ key: 'Content-Type', value: 'application/json' }] },
            body: { inputTruncated: false, action: 'read-only', encoding: 'base64', data: body.toString('base64') },
          },
        },
      },
    ],
  };
}
