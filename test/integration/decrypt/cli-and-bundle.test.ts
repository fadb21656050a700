import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDecryptBundle } from '../../../cli/bundle';
import { edgeProtect, KEY_ARN_01 } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';
import { type FakeKms, startFakeKms } from '../../helpers/kms-server';
import { fle, fleAsync, makeWorkspace, ROOT, runAsync, type Workspace } from '../../helpers/workspace';

const sample = readFileSync(join(ROOT, 'examples', 'people.json'), 'utf8');
let kms: FakeKms;
let ws: Workspace;
let stored = '';
const awsEnv = { AWS_ACCESS_KEY_ID: 'AKIDLOOPBACKTEST', AWS_SECRET_ACCESS_KEY: 'loopback-secret', AWS_REGION: 'us-east-1' };

beforeAll(async () => {
  kms = await startFakeKms([{ arn: KEY_ARN_01, privateKeyPem: testKeyPair().privateKeyPem }]);
  ws = makeWorkspace();
  const config = JSON.parse(readFileSync(ws.configFile, 'utf8'));
  config.keys[0].kmsKeyId = KEY_ARN_01;
  writeFileSync(ws.configFile, JSON.stringify(config));
  const encrypted = fle(
    ['encrypt', '--config', ws.configFile, '--method', 'POST', '--uri', '/api/people', '--content-type', 'application/json'],
    sample,
  );
  expect(encrypted.status).toBe(0);
  stored = encrypted.stdout.toString();
});
afterAll(async () => {
  await kms.close();
});

describe('fle decrypt', () => {
  it('gives back the original document with a local private key (fle encrypt | fle decrypt)', () => {
    const result = fle(
      ['decrypt', '--config', ws.configFile, '--private-key', `01=${ws.privateKeyFile}`, '--content-type', 'application/json'],
      stored,
    );
    expect(result.status).toBe(0);
    expect(result.stdout.toString()).toBe(sample);
  });

  it('gives back the original document through KMS at --kms-endpoint', async () => {
    kms.reset();
    const result = await fleAsync(
      ['decrypt', '--config', ws.configFile, '--kms-endpoint', kms.url, '--content-type', 'application/json'],
      stored,
      { ...process.env, ...awsEnv },
    );
    expect(result.status, result.stderr.toString()).toBe(0);
    expect(JSON.parse(result.stdout.toString())).toEqual(JSON.parse(sample));
    expect(kms.requests.length).toBeGreaterThan(0);
    expect(kms.requests.every((r) => r.body.KeyId === KEY_ARN_01)).toBe(true);
  });

  it('exits 1 with one JSON line and no output on failure', () => {
    const result = fle(
      ['decrypt', '--config', ws.configFile, '--private-key', `01=${ws.privateKeyFile}`, '--content-type', 'application/json'],
      `${stored} trailing`,
    );
    expect(result.status).toBe(1);
    expect(result.stdout.length).toBe(0);
    expect(JSON.parse(result.stderr.toString())).toMatchObject({ code: 'InvalidContainer' });
  });

  it('leaves markers of configured keys it does not hold with --leave-unknown, and reads other ids as text', () => {
    // Key 01 is configured without a kmsKeyId here: with no --private-key, nothing can open it.
    const bare = makeWorkspace();
    const held = edgeProtect('[{"ssn":"1"}]', 'application/json');
    const strict = fle(['decrypt', '--config', bare.configFile, '--content-type', 'application/json'], held);
    expect(JSON.parse(strict.stderr.toString()).code).toBe('UnknownKey');
    const lenient = fle(['decrypt', '--config', bare.configFile, '--content-type', 'application/json', '--leave-unknown'], held);
    expect(lenient.status).toBe(0);
    expect(lenient.stdout.toString()).toBe(held);
    const foreign = '{"a": "Room #1#2#1# and #99#QUJD#99#"}';
    const text = fle(
      ['decrypt', '--config', ws.configFile, '--private-key', `01=${ws.privateKeyFile}`, '--content-type', 'application/json'],
      foreign,
    );
    expect(text.status).toBe(0);
    expect(text.stdout.toString()).toBe(foreign);
  });
});

describe('the decrypt Lambda bundle, alone in an empty folder', () => {
  it('decrypts through KMS with keys from FLE_KEYS', async () => {
    const report = await buildDecryptBundle(join(ws.dir, 'decrypt-dist'));
    const dir = mkdtempSync(join(tmpdir(), 'decrypt-bundle-'));
    copyFileSync(report.file, join(dir, 'index.js'));
    expect(readdirSync(dir)).toEqual(['index.js']);
    kms.reset();
    const runner = `
      const { handler } = require('./index.js');
      const event = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      const logs = [];
      console.log = (line) => logs.push(line);
      handler(event).then(
        (result) => process.stdout.write(JSON.stringify({ result, logs })),
        (error) => process.stdout.write(JSON.stringify({ error: { name: error.name, message: error.message }, logs })),
      );`;
    const run = async (env: Record<string, string>, body: string) =>
      JSON.parse(
        (
          await runAsync(process.execPath, ['-e', runner], {
            cwd: dir,
            input: JSON.stringify({ body, contentType: 'application/json' }),
            env: { PATH: process.env.PATH ?? '', ...awsEnv, AWS_ENDPOINT_URL_KMS: kms.url, ...env },
          })
        ).stdout.toString(),
      );
    const ok = await run({ FLE_KEYS: JSON.stringify([{ id: '01', kmsKeyId: KEY_ARN_01 }]) }, stored);
    expect(JSON.parse(ok.result.body)).toEqual(JSON.parse(sample));
    expect(kms.requests.length).toBeGreaterThan(0);
    expect(JSON.parse(ok.logs[0])).toMatchObject({ outcome: 'decrypted', keysUsed: ['01'] });

    const missing = await run({}, stored);
    expect(missing.error).toEqual({ name: 'InvalidRequest', message: 'InvalidRequest: FLE_KEYS is not set' });
  });
});

describe('fle rewrap', () => {
  it('re-encrypts to another key of the config: no old marker left, same document back', async () => {
    const rotation = makeWorkspace();
    const config = JSON.parse(readFileSync(rotation.configFile, 'utf8'));
    writeFileSync(join(rotation.dir, 'keys', '02.pem'), testKeyPair(2048, 1).publicKeyPem);
    writeFileSync(join(rotation.dir, 'keys', '02.key.pem'), testKeyPair(2048, 1).privateKeyPem);
    config.keys.push({ id: '02', publicKey: 'keys/02.pem' });
    writeFileSync(rotation.configFile, JSON.stringify(config));
    const encrypted = fle(
      ['encrypt', '--config', rotation.configFile, '--method', 'POST', '--uri', '/api/people', '--content-type', 'application/json'],
      sample,
    );
    const rewrapped = fle(
      [
        'rewrap',
        '--to',
        '02',
        '--config',
        rotation.configFile,
        '--private-key',
        `01=${rotation.privateKeyFile}`,
        '--content-type',
        'application/json',
      ],
      encrypted.stdout,
    );
    expect(rewrapped.status, rewrapped.stderr.toString()).toBe(0);
    const text = rewrapped.stdout.toString();
    expect(text).not.toMatch(/#01#/);
    expect(text).toMatch(/#02#/);
    const decrypted = fle(
      [
        'decrypt',
        '--config',
        rotation.configFile,
        '--private-key',
        `02=${join(rotation.dir, 'keys', '02.key.pem')}`,
        '--content-type',
        'application/json',
      ],
      text,
    );
    expect(decrypted.status, decrypted.stderr.toString()).toBe(0);
    expect(JSON.parse(decrypted.stdout.toString())).toEqual(JSON.parse(sample));
  });

  it('refuses a target key the config does not list', () => {
    const result = fle(['rewrap', '--to', '09', '--config', ws.configFile, '--private-key', `01=${ws.privateKeyFile}`], stored);
    expect(result.status).toBe(1);
    expect(result.stdout.length).toBe(0);
    expect(JSON.parse(result.stderr.toString())).toMatchObject({ code: 'InvalidRequest' });
  });
});
