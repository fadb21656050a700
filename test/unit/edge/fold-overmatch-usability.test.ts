import { describe, expect, it } from 'vitest';
import { protectRequest } from '../../../edge/transform';
import { compiled, route } from '../../helpers/keys';
import { devSecret, EMAIL_INDEX } from '../../helpers/secret';

/**
 * Usability (edge, found by an attacker pass): since F4, a JSON member name is split at `.` and `[`/`]` and any run of
 * its segments is matched. With the shipped config (`email` searchable), ordinary settings bodies
 * whose member *ends* in a sensitive segment are refused (422 SearchableNotString) because their
 * value is a boolean or number: `{"notifications.email": true}` (a flat settings PATCH),
 * MongoDB-style `{"$set": {"alerts.email": false}}`, `{"channels[email]": 1}`. Without an index the
 * boolean is silently turned into a marker string, which breaks the origin's typed binding.
 * A legitimate client has no way to send these bodies.
 */

const { version, ring } = await devSecret();
const config = compiled({
  names: [{ name: 'email', key: '01', mode: 'rsa', index: 'email' }, 'ssn'],
  routes: [route({ json: [], form: [] })],
  secret: version,
  indexes: [EMAIL_INDEX],
});

describe('settings members ending in a searchable name', () => {
  it.each([
    ['flat settings PATCH', { 'notifications.email': true, 'notifications.sms': false }],
    ['MongoDB $set', { $set: { 'alerts.email': false } }],
    ['bracketed', { 'channels[email]': 1 }],
  ])('%s is accepted and sealed randomised', (_name, doc) => {
    const call = () =>
      protectRequest(
        config,
        { method: 'PATCH', uri: '/api/people/7/settings', contentType: 'application/json', body: Buffer.from(JSON.stringify(doc)) },
        ring,
      );
    expect(call).not.toThrow();
    // Still protected, randomised: the member is sealed as a typed marker, never left in clear.
    const outcome = call();
    expect(outcome.action).toBe('replace');
    expect(outcome.action === 'replace' && outcome.body).toMatch(/#01#P1\.[^"]*#10#/);
    expect(outcome.action === 'replace' && outcome.body).not.toContain('D1.');
  });
});
