import { describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { InvalidRequestError } from '../../../decrypt/errors';
import { createDecryptHandler, parseKeysVariable } from '../../../decrypt/handler';
import { edgeProtect } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';

const decryptor = createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }] });

describe('decrypt Lambda handler', () => {
  it('turns {body, contentType} into {body} and logs one line of counts', async () => {
    const lines: string[] = [];
    const handler = createDecryptHandler(decryptor, (line) => lines.push(line));
    const stored = edgeProtect('[{"ssn":"123-45-6789"},{"ssn":"123-45-6789"}]', 'application/json');
    const result = await handler({ body: stored, contentType: 'application/json' });
    expect(JSON.parse(result.body)).toEqual([{ ssn: '123-45-6789' }, { ssn: '123-45-6789' }]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ outcome: 'decrypted', markers: 2, decrypted: 2, kmsCalls: 0, keysUsed: ['01'] });
    expect(lines[0]).not.toContain('123-45-6789');
    expect(lines[0]).not.toContain('#01#');
  });

  it('throws an error whose name and message carry the code, and logs the code only', async () => {
    const lines: string[] = [];
    const handler = createDecryptHandler(
      createDecryptor({ keys: [{ id: '01', privateKeyPem: testKeyPair().privateKeyPem }], knownKeyIds: ['01', '07'] }),
      (line) => lines.push(line),
    );
    const stored = edgeProtect('[{"ssn":"123-45-6789"}]', 'application/json').replace('#01#', '#07#').replace('#10#', '#70#');
    await expect(handler({ body: stored, contentType: 'application/json' })).rejects.toMatchObject({
      name: 'UnknownKey',
      message: expect.stringMatching(/^UnknownKey: /),
    });
    expect(JSON.parse(lines[0]!)).toMatchObject({ outcome: 'failed', code: 'UnknownKey' });
    // The event may ask to leave the deployment's other keys as they are.
    const left = await handler({ body: stored, contentType: 'application/json', leaveOtherKeys: true });
    expect(left.body).toBe(stored);
  });

  it('logs EMF metrics: decrypts, markers and KMS calls by outcome; failures by code; KMS throttles undimensioned', async () => {
    const lines: string[] = [];
    const handler = createDecryptHandler(
      decryptor,
      (line) => lines.push(line),
      () => 1_700_000_000_000,
    );
    await handler({ body: edgeProtect('[{"ssn":"123-45-6789"}]', 'application/json'), contentType: 'application/json' });
    await expect(handler({ body: 'x', contentType: 42 as unknown as string })).rejects.toMatchObject({ code: 'InvalidRequest' });
    const [ok, failed] = lines.map((line) => JSON.parse(line));
    expect(ok._aws).toMatchObject({
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [{ Namespace: 'EdgeFle', Dimensions: [['Outcome']] }],
    });
    expect(ok).toMatchObject({ Outcome: 'decrypted', Decrypts: 1, Markers: 1, KmsCalls: 0 });
    expect(failed._aws.CloudWatchMetrics.map((d: { Dimensions: string[][] }) => d.Dimensions)).toEqual([[['Code'], []], [[]]]);
    expect(failed).toMatchObject({ Code: 'InvalidRequest', DecryptFailures: 1, KmsThrottles: 0 });
  });

  it('refuses an event without a string body', async () => {
    const handler = createDecryptHandler(decryptor, () => undefined);
    await expect(handler({ contentType: 'application/json' } as never)).rejects.toMatchObject({ code: 'InvalidRequest' });
  });

  it('fails every call with the init error when the keyring could not be made', async () => {
    const handler = createDecryptHandler(new InvalidRequestError('FLE_KEYS is not set'), () => undefined);
    await expect(handler({ body: 'x' })).rejects.toMatchObject({ code: 'InvalidRequest', message: 'InvalidRequest: FLE_KEYS is not set' });
  });
});

describe('parseKeysVariable (FLE_KEYS)', () => {
  it('reads a JSON list of {id, kmsKeyId}', () => {
    expect(parseKeysVariable('[{"id":"01","kmsKeyId":"arn:aws:kms:us-east-1:111122223333:key/k"}]')).toEqual([
      { id: '01', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k' },
    ]);
  });

  it.each([undefined, '', 'not json', '[]', '{}', '[{"id":"0#","kmsKeyId":"k"}]', '[{"id":"01"}]'])('refuses %j', (value) => {
    expect(() => parseKeysVariable(value)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }));
  });
});
