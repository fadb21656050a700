import { describe, expect, it } from 'vitest';
import type { KeySource } from '../../../cli/key-provenance';
import { validateConfig } from '../../../core/config';
import { readParams } from '../../../infra/params';
import { type PreflightFacts, preflight } from '../../../infra/preflight';
import { testKeyPair } from '../../helpers/keys';

const params = readParams((key) => ({ 'edge-fle:originDomain': 'api.example.com', 'edge-fle:dataRegion': 'eu-west-1' })[key]);
const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1b2c3d4e-0000-4000-8000-000000000001';

function configWith(kmsKeyId?: string) {
  return validateConfig(
    {
      keys: [{ id: '01', publicKey: 'keys/01.pem', ...(kmsKeyId ? { kmsKeyId } : {}) }],
      encryptWith: '01',
      routes: [{ name: 'people', methods: ['POST'], path: '/api/*', json: ['$..ssn'] }],
    },
    () => testKeyPair().publicKeyPem,
  );
}

function facts(
  overrides: Partial<PreflightFacts> = {},
  source: KeySource = { kind: 'stand-in', fingerprint: 'sha256:aa' },
): PreflightFacts {
  return {
    params,
    config: configWith(),
    keySources: new Map([['01', source]]),
    identity: { account: '111122223333', arn: 'arn:aws:iam::111122223333:role/deployer' },
    deployedKeyArns: undefined,
    statedKeySpecs: new Set(['01']),
    secretFiles: [],
    ...overrides,
  };
}

describe('preflight', () => {
  it('passes a first deploy and says what it will create and write', () => {
    const report = preflight(facts());
    expect(report.problems).toEqual([]);
    expect(report.actions.join('\n')).toMatch(
      /create EdgeFle-Keys in eu-west-1 \(account 111122223333\)[\s\S]*write config\/keys\/01\.pem/,
    );
  });

  it('refuses missing credentials, another account, and the example origin, each with its fix', () => {
    expect(preflight(facts({ identity: { error: 'CredentialsProviderError' } })).problems[0]).toMatch(/no usable AWS credentials.*Fix:/);
    const other = readParams((key) => ({ 'edge-fle:originDomain': 'api.example.com', 'edge-fle:account': '444455556666' })[key]);
    expect(preflight(facts({ params: other })).problems.join('\n')).toMatch(
      /credentials are for account 111122223333 but edge-fle:account is 444455556666/,
    );
    const noOrigin = readParams(() => undefined);
    expect(preflight(facts({ params: noOrigin })).problems.join('\n')).toMatch(
      /no origin set\. Fix: npm run deploy -- -c edge-fle:originDomain=/,
    );
  });

  it('plans a missing edge secret version and refuses a dev secret where the KMS-wrapped one goes', () => {
    const missing = preflight(
      facts({ secretFiles: [{ version: 1, file: 'keys/edge-secret.1.json', state: 'missing', missingKeyIds: ['01'] }] }),
    );
    expect(missing.problems).toEqual([]);
    expect(missing.actions.join('\n')).toContain(
      'make edge secret version 1 for key(s) 01 with KMS GenerateDataKeyWithoutPlaintext and write the ciphertext to keys/edge-secret.1.json',
    );
    const dev = preflight(facts({ secretFiles: [{ version: 1, file: 'keys/edge-secret.1.json', state: 'dev', missingKeyIds: [] }] }));
    expect(dev.problems).toEqual([
      expect.stringMatching(/^edge secret version 1: keys\/edge-secret\.1\.json is a dev secret in clear\. Fix: move it away/),
    ]);
    const kept = preflight(facts({ secretFiles: [{ version: 1, file: 'keys/edge-secret.1.json', state: 'kms', missingKeyIds: [] }] }));
    expect(kept.actions.join('\n')).not.toContain('edge secret');
  });

  it('refuses a secret version wrapped by a key of another account or Region, or by another key than the stack holds', () => {
    const file = (kmsKeyId: string) => ({
      version: 1,
      file: 'keys/edge-secret.1.json',
      state: 'kms' as const,
      kmsKeyId,
      missingKeyIds: [],
    });
    const foreign = preflight(facts({ secretFiles: [file('arn:aws:kms:eu-west-1:999999999999:key/mrk-1')] }));
    expect(foreign.problems.join('\n')).toMatch(
      /was wrapped by arn:aws:kms:eu-west-1:999999999999:key\/mrk-1, not by a key of the keys stack/,
    );
    expect(preflight(facts({ secretFiles: [file('arn:aws:kms:us-west-2:111122223333:key/mrk-1')] })).problems).toHaveLength(1);
    const stack = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-2';
    expect(
      preflight(facts({ secretFiles: [file('arn:aws:kms:eu-west-1:111122223333:key/mrk-1')], deployedSecretKeyArn: stack })).problems,
    ).toHaveLength(1);
    expect(preflight(facts({ secretFiles: [file(stack)], deployedSecretKeyArn: stack })).problems).toEqual([]);
  });

  it('refuses a local key where the KMS public key goes, naming the file and the fix', () => {
    const report = preflight(facts({}, { kind: 'local', fingerprint: 'sha256:bb', why: 'a private key (keys/01.key.pem) lies beside it' }));
    expect(report.problems).toEqual([
      expect.stringMatching(/^key 01: config\/keys\/01\.pem is not a KMS public key: a private key .*Fix: move config\/keys\/01\.pem/),
    ]);
  });

  it('refuses a PEM fetched from another key than the deployed one', () => {
    const report = preflight(
      facts({ deployedKeyArns: new Map([['01', ARN]]) }, { kind: 'kms', keyArn: ARN.replace('0001', '0002'), fingerprint: 'sha256:cc' }),
    );
    expect(report.problems.join('\n')).toMatch(/holds the public key of .*0002, but EdgeFle-Keys holds .*0001/);
  });

  it('refuses a kmsKeyId of another Region or account; the example ARN is not checked', () => {
    const otherRegion = preflight(facts({ config: configWith(ARN.replace('eu-west-1', 'us-east-2')) }));
    expect(otherRegion.problems.join('\n')).toMatch(/kmsKeyId is in us-east-2 but the keys are deployed to edge-fle:dataRegion eu-west-1/);
    const otherAccount = preflight(facts({ config: configWith(ARN.replace('111122223333', '999988887777')) }));
    expect(otherAccount.problems.join('\n')).toMatch(/belongs to account 999988887777/);
    const example = preflight(facts({ config: configWith('arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000') }));
    expect(example.problems).toEqual([]);
  });

  it('refuses a key whose keySpec the config does not state: a clone without the PEM would ask KMS for another key', () => {
    const report = preflight(facts({ statedKeySpecs: new Set() }));
    expect(report.problems).toEqual([
      expect.stringMatching(/key 01: the config does not state its keySpec\. Fix: add "keySpec": "RSA_2048"/),
    ]);
  });

  it('refuses a PEM fetched from a key of another Region or account (a record copied from a sandbox)', () => {
    const sandbox = 'arn:aws:kms:eu-west-1:999988887777:key/1b2c3d4e-0000-4000-8000-000000000009';
    const report = preflight(facts({}, { kind: 'kms', keyArn: sandbox, fingerprint: 'sha256:ee' }));
    expect(report.problems.join('\n')).toMatch(/was fetched from .*999988887777.*another Region or account/);
  });

  it("refuses a certificate or web ACL of another account than the deploy's", () => {
    const withCert = readParams(
      (key) =>
        ({
          'edge-fle:originDomain': 'api.example.com',
          'edge-fle:dataRegion': 'eu-west-1',
          'edge-fle:domainNames': 'api.example.org',
          'edge-fle:certificateArn': 'arn:aws:acm:us-east-1:999988887777:certificate/abc',
        })[key],
    );
    expect(preflight(facts({ params: withCert })).problems.join('\n')).toMatch(/certificateArn belongs to account 999988887777/);
  });

  it('lists config problems and stops there', () => {
    const report = preflight(facts({ config: { problems: ['keys[0] (01): keySpec is RSA_3072 but "keys/01.pem" is a 2048-bit key'] } }));
    expect(report.problems).toEqual([expect.stringContaining('keySpec is RSA_3072 but "keys/01.pem" is a 2048-bit key')]);
    expect(report.actions).toEqual([]);
  });

  it('says which keys a retirement leaves in KMS', () => {
    const deployed = new Map([
      ['01', ARN],
      ['00', ARN.replace('0001', '0000')],
    ]);
    const report = preflight(facts({ deployedKeyArns: deployed }, { kind: 'kms', keyArn: ARN, fingerprint: 'sha256:dd' }));
    expect(report.problems).toEqual([]);
    expect(report.actions[0]).toMatch(/update EdgeFle-Keys.*key\(s\) 00 leave the stack and stay in KMS/);
  });
});
