import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../core/config';
import { commandOf, deployPlan, keyArnsFromOutputs } from '../../../infra/deploy-plan';
import { readParams } from '../../../infra/params';
import { testKeyPair } from '../../helpers/keys';

const params = readParams((key) => ({ 'edge-fle:originDomain': 'api.example.com', 'edge-fle:dataRegion': 'eu-west-1' })[key]);
const config = validateConfig(
  {
    keys: [
      { id: '01', publicKey: 'keys/01.pem' },
      { id: '02', publicKey: 'keys/02.pem' },
    ],
    encryptWith: '02',
    routes: [{ name: 'people', methods: ['POST'], path: '/api/*', json: ['$..ssn'] }],
  },
  () => testKeyPair().publicKeyPem,
);
const arns = new Map([
  ['01', 'arn:aws:kms:eu-west-1:111122223333:key/a'],
  ['02', 'arn:aws:kms:eu-west-1:111122223333:key/b'],
]);

describe('deployPlan', () => {
  it('deploys keys, fetches every public key, synthesises with KMS keys only, verifies fingerprints, then ships that very assembly', () => {
    const steps = deployPlan(params, config, arns);
    expect(steps.map((s) => s.kind)).toEqual([
      'cdk-deploy',
      'fetch-public-key',
      'fetch-public-key',
      'cdk-synth',
      'verify-keys',
      'cdk-deploy',
    ]);
    const lines = steps.map((s) => commandOf(s, params, ['--profile', 'prod']));
    expect(lines[0]).toEqual(['npx', 'cdk', 'deploy', 'EdgeFle-Keys', '--outputs-file', '.build/keys-outputs.json', '--profile', 'prod']);
    expect(lines[1]).toEqual(
      expect.arrayContaining(['fetch-public-key', '--key-id', 'arn:aws:kms:eu-west-1:111122223333:key/a', '--region', 'eu-west-1']),
    );
    expect(lines[1]!.find((a) => a.endsWith('keys/01.pem'))).toBeDefined();
    expect(lines[1]).not.toContain('--force');
    expect(lines[3]).toEqual(
      expect.arrayContaining(['synth', '--output', '.build/deploy.out', '-c', 'edge-fle:requireKmsKeys=true', '--profile']),
    );
    // Verification runs in-process, between the synth and the deploy of what was synthesised.
    expect(lines[4]).toBeUndefined();
    expect(lines[5]).toEqual([
      'npx',
      'cdk',
      'deploy',
      'EdgeFle-Edge',
      'EdgeFle-Decrypt',
      '--app',
      '.build/deploy.out',
      '--profile',
      'prod',
    ]);
  });

  it('plans a first deploy with placeholders for the ARNs the keys stack will output', () => {
    const steps = deployPlan(params, config, new Map(), true);
    expect(steps).toHaveLength(6);
    expect(steps[1]).toMatchObject({ kind: 'fetch-public-key', keyArn: '<KeyArn01 output of EdgeFle-Keys>' });
  });

  it('fails clearly when the keys stack lacks a key', () => {
    expect(() => deployPlan(params, config, new Map([['01', 'arn:x']]))).toThrow('no output for key 02');
  });
});

describe('keyArnsFromOutputs', () => {
  it('reads KeyArn<id> outputs of the keys stack', () => {
    const outputs = { 'EdgeFle-Keys': { KeyArn01: 'arn:a', KeyArnk2: 'arn:b', Other: 'x' } };
    expect([...keyArnsFromOutputs(outputs, 'EdgeFle')]).toEqual([
      ['01', 'arn:a'],
      ['k2', 'arn:b'],
    ]);
  });
});
