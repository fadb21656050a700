import { describe, expect, it } from 'vitest';
import { createMarkerMatcher } from '../../../core/format/marker';
import { createDecryptor } from '../../../decrypt/decryptor';
import { protectRequest } from '../../../edge/transform';
import { compiled, route, testKeyPair } from '../../helpers/keys';
import { devSecret } from '../../helpers/secret';

/**
 * Attack (edge, Medium): MarkerInjection is checked in JSON and form bodies only. A query string
 * value (and a path segment) may carry a well-formed marker of a configured key: the edge forwards
 * it. An origin that stores a query value (`?nickname=`, `?ref=`, `?utm_source=`, a search term,
 * `PUT /api/people/7?display_name=…` read by Rails/PHP `$_REQUEST`/Spring `@RequestParam` into the
 * same record) stores the replayed ciphertext, and the decrypt service opens it for whoever reads
 * that record: a victim's SSN captured as ciphertext (a leaked backup, a log, an API that returns
 * other users' markers) comes back in clear in the attacker's own profile. The edge secret does not
 * help: a genuine marker carries a genuine proof, and the proof (like an RSA payload) does not
 * bind the location.
 */

const { version, ring } = await devSecret();
const config = compiled({ names: ['ssn'], routes: [route({ json: [], form: [] })], secret: version });
const markers = createMarkerMatcher(['01']);

function send(uri: string, querystring: string, body: string) {
  return protectRequest(config, { method: 'POST', uri, querystring, contentType: 'application/json', body: Buffer.from(body) }, ring);
}

describe('a marker replayed through the query string', () => {
  // The victim's SSN as the origin stores it (proven by the edge).
  const victim = send('/api/people', '', JSON.stringify({ ssn: '123-45-6789' }));
  if (victim.action !== 'replace') throw new Error('expected a protected body');
  const stolen = (JSON.parse(victim.body) as { ssn: string }).ssn;

  it('control: the same marker in the body is refused (MarkerInjection)', () => {
    expect(() => send('/api/people/9', '', JSON.stringify({ nickname: stolen }))).toThrow(
      expect.objectContaining({ code: 'MarkerInjection' }),
    );
  });

  it.each([
    ['encoded', (m: string) => `nickname=${encodeURIComponent(m)}`],
    ['with # and + left raw (%23 only)', (m: string) => `nickname=${m.replace(/#/g, '%23')}`],
  ])('the same marker in a query value (%s) is refused', (_name, spell) => {
    expect(markers.test(stolen)).toBe(true);
    expect(() => send('/api/people/9', spell(stolen), '{"id":9}')).toThrow(expect.objectContaining({ code: 'MarkerInjection' }));
  });

  it('and, as forwarded, the decrypt service opens it in the attacker record (impact)', async () => {
    let forwarded = true;
    try {
      send('/api/people/9', `nickname=${encodeURIComponent(stolen)}`, '{"id":9}');
    } catch {
      forwarded = false;
    }
    const decryptor = createDecryptor({
      keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }],
      secret: { versions: [version] },
    });
    // What an origin storing the query value in the attacker's record returns for it.
    const record = JSON.stringify({ id: 9, nickname: stolen });
    const { text } = await decryptor.decrypt(record, { contentType: 'application/json' });
    // Reaching the origin AND revealing the victim's value is the finding.
    expect(forwarded && text.includes('123-45-6789')).toBe(false);
  });
});
