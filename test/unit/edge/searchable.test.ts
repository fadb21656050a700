import type { CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseD1 } from '../../../core/format/d1';
import { createMarkerMatcher } from '../../../core/format/marker';
import { parseProof, prove, verifyProof } from '../../../core/format/proof';
import { createSecretSource, secretRing, unwrapLocalSecret } from '../../../core/secret-source';
import { createOriginRequestHandler } from '../../../edge/handler';
import { protectRequest } from '../../../edge/transform';
import { originRequestEvent } from '../../helpers/cloudfront';
import { compiled, route } from '../../helpers/keys';
import { devSecret, EMAIL_INDEX } from '../../helpers/secret';

const { version, ring: keys, keys01 } = await devSecret();
const config = compiled({
  routes: [
    route({ json: ['$[*].ssn', { path: '$[*].email', key: '01', mode: 'rsa', index: 'email' }], form: [] }),
    route({ name: 'login', path: '/login', json: [], form: [{ name: 'email', key: '01', mode: 'rsa', index: 'email' }, 'password'] }),
  ],
  secret: version,
  indexes: [EMAIL_INDEX],
});
const markers = createMarkerMatcher(['01']);

function protect(uri: string, contentType: string, body: string) {
  return protectRequest(config, { method: 'POST', uri, contentType, body: Buffer.from(body) }, keys);
}

function bodyOf(outcome: ReturnType<typeof protect>): string {
  if (outcome.action !== 'replace') throw new Error('expected a protected body');
  return outcome.body;
}

describe('searchable fields at the edge', () => {
  it('gives the same marker for the same normalised email in JSON on one route and a form on another', () => {
    // Act
    const signup = JSON.parse(bodyOf(protect('/api/people', 'application/json', '[{"email":"Alice@Example.com","ssn":"1"}]')));
    const login = new URLSearchParams(
      bodyOf(protect('/login', 'application/x-www-form-urlencoded', 'email=+alice%40example.com+&password=pw')),
    );
    // Assert
    expect(signup[0].email).toMatch(/^#01#D1\.email\.1\.1\.[A-Za-z0-9_-]+#10#$/);
    expect(login.get('email')).toBe(signup[0].email);
  });

  it('proves every randomised marker it writes, and the proof verifies with the edge secret', () => {
    const [person] = JSON.parse(bodyOf(protect('/api/people', 'application/json', '[{"email":"a@b.c","ssn":"123-45-6789"}]')));
    const [ssn] = markers.find(person.ssn);
    const proof = parseProof(ssn?.payload ?? '');
    expect(proof).toBeDefined();
    expect(proof && verifyProof(keys01, '01', proof)).toBe(true);
    // The searchable marker carries no P1 wrapper: its SIV is the proof.
    expect(parseD1(markers.find(person.email)[0]?.payload ?? '')).toBeDefined();
  });

  it('refuses a searchable field holding a number or an object (422), forwarding nothing', () => {
    for (const email of ['42', '{"a":"alice@example.com"}', '["alice@example.com"]']) {
      expect(() => protect('/api/people', 'application/json', `[{"email":${email}}]`)).toThrow(
        expect.objectContaining({ code: 'SearchableNotString' }),
      );
    }
  });

  it('refuses to seal anything without the secret when the config declares one', () => {
    const call = () =>
      protectRequest(config, { method: 'POST', uri: '/api/people', contentType: 'application/json', body: Buffer.from('[{"ssn":"1"}]') });
    expect(call).toThrow(expect.objectContaining({ code: 'EdgeSecretUnavailable' }));
  });
});

describe('handler with the edge secret', () => {
  it('answers 503 EdgeSecretUnavailable when the secret cannot be unwrapped, logs no value, and retries later', async () => {
    // Prepare
    let calls = 0;
    let clock = 0;
    const unwrap = async () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('KMS unreachable'), { name: 'TimeoutError' });
      return unwrapLocalSecret(version, '01');
    };
    const lines: string[] = [];
    const handler = createOriginRequestHandler(config, {
      log: (line) => lines.push(line),
      secret: secretRing(createSecretSource(version, unwrap, { now: () => clock }), ['01']),
    });
    const event = () =>
      originRequestEvent({ body: '[{"email":"alice@example.com","ssn":"123-45-6789"}]', contentType: 'application/json' });
    // Act
    const first = (await handler(event())) as CloudFrontResultResponse;
    const second = (await handler(event())) as CloudFrontResultResponse;
    clock = 5000;
    const third = (await handler(event())) as CloudFrontRequest;
    // Assert
    expect(first.status).toBe('503');
    expect(JSON.parse(first.body ?? '')).toMatchObject({ code: 'EdgeSecretUnavailable' });
    expect(second.status).toBe('503');
    expect(calls).toBe(2);
    expect(third.body?.data).toMatch(/#01#D1\.email/);
    expect(lines.join('\n')).not.toMatch(/alice|123-45|secret":/);
  });

  it('forwards a request without a body without touching KMS', async () => {
    let calls = 0;
    const handler = createOriginRequestHandler(config, {
      log: () => undefined,
      secret: secretRing(
        createSecretSource(version, async () => {
          calls += 1;
          throw new Error('unreachable');
        }),
        ['01'],
      ),
    });
    const result = (await handler(originRequestEvent({ method: 'GET', uri: '/api/people' }))) as CloudFrontRequest;
    expect(result.uri).toBe('/api/people');
    expect(calls).toBe(0);
  });
});

describe('a searchable index without normalisation', () => {
  it('keeps every character of the value, a leading U+FEFF included', () => {
    const exact = compiled({
      routes: [route({ json: [{ path: '$.code', key: '01', mode: 'rsa', index: 'code' }], form: [] })],
      secret: version,
      indexes: [{ name: 'code', key: '01', version: 1, normalize: [] }],
    });
    const seal = (code: string): string => {
      const outcome = protectRequest(
        exact,
        { method: 'POST', uri: '/api/people', contentType: 'application/json', body: Buffer.from(JSON.stringify({ code })) },
        keys,
      );
      return outcome.action === 'replace' ? JSON.parse(outcome.body).code : '';
    };
    expect(seal('\uFEFFabc')).not.toBe(seal('abc'));
    expect(seal('Abc')).not.toBe(seal('abc'));
    expect(seal('abc')).toBe(seal('abc'));
  });
});

describe('one secret per key id', () => {
  it('gives key ids unrelated secrets: a proof of key 01 does not verify with the secret of 02', async () => {
    const { ring } = await devSecret();
    const [one, two] = [ring.get('01'), ring.get('02')];
    if (!one || !two) throw new Error('expected both key ids');
    const proof = parseProof(prove(one, '01', 'E2.AAAA'));
    expect(proof && verifyProof(one, '01', proof)).toBe(true);
    expect(proof && verifyProof(two, '01', proof)).toBe(false);
    expect(Buffer.from(one.indexKey(EMAIL_INDEX)).equals(Buffer.from(two.indexKey(EMAIL_INDEX)))).toBe(false);
  });
});
