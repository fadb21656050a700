import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDecryptor } from '../../../decrypt/decryptor';
import { rotationConcurrency } from '../../../infra/rotation-stack';
import { rewrapBatch } from '../../../rewrap/batch';
import { rewrapObject } from '../../../rewrap/worker';
import { edgeProtect, KEY_ARN_01, loopbackKmsClient } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';
import { type FakeKms, startFakeKms } from '../../helpers/kms-server';
import { type LoopbackS3, startS3 } from '../../helpers/s3';
import { fleAsync } from '../../helpers/workspace';

let kms: FakeKms;
let s3: LoopbackS3;
let dir: string;
let configFile: string;
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

const records = [
  { id: 1, ssn: '123-45-6789', email: 'ada@example.com', notes: 'x'.repeat(300) },
  { id: 2, ssn: '987-65-4321', email: 'alan@example.com', notes: 'short' },
];
const form = 'fname=Ada&card_number=4111111111111111&notes=hello';

beforeAll(async () => {
  kms = await startFakeKms([{ arn: KEY_ARN_01, privateKeyPem: testKeyPair().privateKeyPem }]);
  s3 = await startS3(['lake']);
  dir = mkdtempSync(join(tmpdir(), 'rewrap-s3-'));
  writeFileSync(join(dir, '01.pem'), testKeyPair().publicKeyPem);
  writeFileSync(join(dir, '02.pem'), testKeyPair(2048, 1).publicKeyPem);
  writeFileSync(join(dir, '02.key.pem'), testKeyPair(2048, 1).privateKeyPem);
  // A key the config lists but this machine cannot open (no kmsKeyId, no private key).
  writeFileSync(join(dir, '03.pem'), testKeyPair(2048, 2).publicKeyPem);
  configFile = join(dir, 'fields.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      keys: [
        { id: '01', publicKey: '01.pem', kmsKeyId: KEY_ARN_01 },
        { id: '02', publicKey: '02.pem' },
        { id: '03', publicKey: '03.pem' },
      ],
      encryptWith: '01',
      routes: [{ name: 'people', methods: ['POST'], path: '/api/people*', json: ['$..ssn'], form: ['card_number'] }],
    }),
  );
});
afterAll(async () => {
  await s3.close();
  await kms.close();
});
beforeEach(() => {
  kms.reset();
});

async function put(key: string, body: string, contentType?: string): Promise<void> {
  await s3.client.send(
    new PutObjectCommand({ Bucket: 'lake', Key: key, Body: body, ...(contentType ? { ContentType: contentType } : {}) }),
  );
}
async function get(key: string): Promise<string> {
  return (await (await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: key }))).Body?.transformToString()) ?? '';
}
const decrypt02 = (text: string, contentType: string) =>
  createDecryptor({ keys: [{ id: '02', privateKeyPem: testKeyPair(2048, 1).privateKeyPem }], knownKeyIds: ['01', '02'] }).decrypt(text, {
    contentType,
  });
const rewrapS3 = (prefix: string, ...extra: string[]) =>
  fleAsync(
    [
      'rewrap-s3',
      '--config',
      configFile,
      '--bucket',
      'lake',
      '--prefix',
      prefix,
      '--to',
      '02',
      '--endpoint',
      s3.url,
      '--kms-endpoint',
      kms.url,
      '--manifest',
      join(dir, `${prefix.replace(/\//g, '_')}manifest.json`),
      ...extra,
    ],
    '',
    env,
  );

describe('fle rewrap-s3 against s3rver and the loopback KMS', () => {
  it('rewraps JSON, JSON Lines and forms in place, skips what is done, reports the rest, and a rerun finishes nothing twice', async () => {
    const json = edgeProtect(JSON.stringify(records), 'application/json', ['$..ssn', '$..email', '$..notes']);
    const lines = records.map((r) => edgeProtect(JSON.stringify([r]), 'application/json', ['$..ssn', '$..notes'])).join('\n');
    const formBody = edgeProtect(form, 'application/x-www-form-urlencoded');
    await put('run1/people.json', json, 'application/json');
    await put('run1/export.jsonl', `${lines}\n`);
    await put('run1/signup.form', formBody);
    await put('run1/blob.bin', 'binary');
    const broken = json.replace(/#01#([A-Za-z0-9+/=._-]{10})/, '#01#AAAAAAAAAA');
    await put('run1/broken.json', broken, 'application/json');

    const first = await rewrapS3('run1/');
    expect(first.status, first.stderr.toString()).toBe(1);
    expect(first.stdout.toString()).toMatch(/5 objects: 3 rewrapped \(\d+ markers\), 0 already under 02, 2 failed/);
    const manifest = JSON.parse(readFileSync(join(dir, 'run1_manifest.json'), 'utf8'));
    expect(manifest.failed).toEqual([
      { key: 'run1/blob.bin', outcome: 'failed', code: 'UnsupportedObject' },
      { key: 'run1/broken.json', outcome: 'failed', code: 'InvalidCiphertext' },
    ]);
    // A failed object is left exactly as it was.
    expect(await get('run1/broken.json')).toBe(broken);
    const people = await get('run1/people.json');
    expect(people).not.toContain('#01#');
    expect(JSON.parse((await decrypt02(people, 'application/json')).text)).toEqual(records);
    const signup = await get('run1/signup.form');
    // A form's markers are percent-encoded, as the edge wrote them.
    expect(decodeURIComponent(signup)).not.toContain('#01#');
    expect(decodeURIComponent(signup)).toContain('#02#');
    expect((await decrypt02(signup, 'application/x-www-form-urlencoded')).text).toBe(form);
    const exported = (await get('run1/export.jsonl')).split('\n');
    expect(exported.at(-1)).toBe('');
    for (const [i, line] of exported.slice(0, -1).entries()) {
      expect(line).not.toContain('#01#');
      expect(JSON.parse((await decrypt02(line, 'application/json')).text)).toEqual([records[i]]);
    }

    kms.reset();
    const again = await rewrapS3('run1/');
    expect(again.stdout.toString()).toMatch(/5 objects: 0 rewrapped \(0 markers\), 3 already under 02, 2 failed/);
    // Only the broken object's markers were tried again.
    expect(kms.requests.every((r) => r.target === 'TrentService.Decrypt')).toBe(true);
  });

  it('survives a KMS throttle storm: the throttled object fails with Throttled and untouched, a rerun finishes it', async () => {
    const json = edgeProtect(JSON.stringify(records), 'application/json', ['$..ssn']);
    await put('run2/a.json', json, 'application/json');
    kms.fault = () => ({ kind: 'error', status: 400, type: 'ThrottlingException' });
    const stormy = await rewrapS3('run2/');
    expect(stormy.status).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'run2_manifest.json'), 'utf8')).failed).toEqual([
      { key: 'run2/a.json', outcome: 'failed', code: 'Throttled' },
    ]);
    expect(await get('run2/a.json')).toBe(json);
    kms.fault = undefined;
    const calm = await rewrapS3('run2/');
    expect(calm.status, calm.stderr.toString()).toBe(0);
    expect(await get('run2/a.json')).toContain('#02#');
  });

  it('reports an object holding a marker of a key it cannot open as UnknownKey, and leaves it whole', async () => {
    const json = edgeProtect(JSON.stringify(records), 'application/json', ['$..ssn']).replaceAll('#01#', '#03#').replaceAll('#10#', '#30#');
    await put('run6/a.json', json, 'application/json');
    const result = await rewrapS3('run6/');
    expect(result.status).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'run6_manifest.json'), 'utf8')).failed).toEqual([
      { key: 'run6/a.json', outcome: 'failed', code: 'UnknownKey' },
    ]);
    expect(await get('run6/a.json')).toBe(json);
  });

  it('writes to a destination prefix when asked, leaving the source as it was', async () => {
    const json = edgeProtect(JSON.stringify(records), 'application/json', ['$..ssn']);
    await put('run3/src/a.json', json, 'application/json');
    const result = await rewrapS3('run3/src/', '--dest-prefix', 'run3/out/');
    expect(result.status, result.stderr.toString()).toBe(0);
    expect(await get('run3/src/a.json')).toBe(json);
    expect(await get('run3/out/a.json')).toContain('#02#');
  });

  it('runs a Distributed Map batch as the worker Lambda does: results per object, and a throttled batch throws Throttled for the retry', async () => {
    const json = edgeProtect(JSON.stringify(records), 'application/json', ['$..ssn']);
    await put('run5/a.json', json, 'application/json');
    await put('run5/b.json', json, 'application/json');
    const job = {
      bucket: 'lake',
      prefix: 'run5/',
      to: { id: '02', publicKeyPem: testKeyPair(2048, 1).publicKeyPem },
      knownKeyIds: ['01', '02'],
      keys: [{ id: '01', kmsKeyId: KEY_ARN_01 }],
    };
    const decryptor = createDecryptor({ keys: job.keys, kmsClient: loopbackKmsClient(kms.url), knownKeyIds: job.knownKeyIds });
    kms.fault = () => ({ kind: 'error', status: 400, type: 'ThrottlingException' });
    await expect(rewrapBatch(s3.client, decryptor, job, { Items: [{ Key: 'run5/a.json' }] })).rejects.toMatchObject({ name: 'Throttled' });
    expect(await get('run5/a.json')).toBe(json);
    kms.fault = undefined;
    const { results } = await rewrapBatch(s3.client, decryptor, job, {
      Items: [{ Key: 'run5/a.json' }, { Key: 'run5/b.json' }, { Key: 'elsewhere/c.json' }],
    });
    expect(results.map((r) => [r.key, r.outcome, r.code])).toEqual([
      ['run5/a.json', 'rewrapped', undefined],
      ['run5/b.json', 'rewrapped', undefined],
      ['elsewhere/c.json', 'failed', 'OutsidePrefix'],
    ]);
    expect(rotationConcurrency(500, 0.5)).toBe(1);
    expect(rotationConcurrency(10_000, 0.5)).toBe(25);
  });

  it('never overwrites an object changed while it was being rewrapped (ObjectChanged)', async () => {
    const json = edgeProtect(JSON.stringify(records), 'application/json', ['$..ssn']);
    await put('run4/a.json', json, 'application/json');
    // Another writer updates the object between our read and our write.
    const racing = Object.create(s3.client) as typeof s3.client;
    racing.send = (async (command: unknown) => {
      if (command instanceof HeadObjectCommand) await put('run4/a.json', '{"newer":true}', 'application/json');
      return s3.client.send(command as never);
    }) as typeof s3.client.send;
    const decryptor = createDecryptor({
      keys: [{ id: '01', kmsKeyId: KEY_ARN_01 }],
      kmsClient: loopbackKmsClient(kms.url),
      knownKeyIds: ['01', '02'],
    });
    const result = await rewrapObject(
      racing,
      decryptor,
      { bucket: 'lake', prefix: 'run4/', to: { id: '02', publicKeyPem: testKeyPair(2048, 1).publicKeyPem }, knownKeyIds: ['01', '02'] },
      'run4/a.json',
    );
    expect(result).toEqual({ key: 'run4/a.json', outcome: 'failed', code: 'ObjectChanged' });
    expect(await get('run4/a.json')).toBe('{"newer":true}');
  });
});
