import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../core/config';
import { deployPlan, keyArnsFromOutputs } from '../../../infra/deploy-plan';
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

describe('deployPlan', () => {
  it('deploys keys first, then fetches every public key into the config, then edge and decrypt without dev keys', () => {
    const arns = new Map([
      ['01', 'arn:aws:kms:eu-west-1:111122223333:key/a'],
      ['02', 'arn:aws:kms:eu-west-1:111122223333:key/b'],
    ]);
    const steps = deployPlan(params, config, arns, ['--profile', 'prod']);
    expect(steps.map((s) => s.title)).toEqual([
      'keys: KMS keys and decrypt roles',
      'public key 01 from KMS',
      'public key 02 from KMS',
      'edge and decrypt',
    ]);
    expect(steps[0]!.args).toEqual(['cdk', 'deploy', 'EdgeFle-Keys', '--outputs-file', '.build/keys-outputs.json', '--profile', 'prod']);
    expect(steps[1]!.args).toEqual(
      expect.arrayContaining(['fetch-public-key', '--key-id', 'arn:aws:kms:eu-west-1:111122223333:key/a', '--region', 'eu-west-1']),
    );
    expect(steps[1]!.args.find((a) => a.endsWith('keys/01.pem'))).toBeDefined();
    expect(steps[1]!.args).not.toContain('--force');
    expect(steps[3]!.args).toEqual([
      'cdk',
      'deploy',
      'EdgeFle-Edge',
      'EdgeFle-Decrypt',
      '-c',
      'edge-fle:allowDevKeys=false',
      '--profile',
      'prod',
    ]);
  });

  it('plans only the keys stack before its outputs exist', () => {
    expect(deployPlan(params, config, undefined, [])).toHaveLength(1);
  });

  it('fails clearly when the keys stack lacks a key', () => {
    expect(() => deployPlan(params, config, new Map([['01', 'arn:x']]), [])).toThrow('no output for key 02');
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
