/**
 * `npm run deploy -- --dry-run` as an operator runs it: the real script, the real STS client
 * (against the loopback endpoint), the repository's cdk.json. It checks, prints the plan, and
 * changes nothing.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKms, startFakeKms } from '../helpers/kms-server';
import { makeWorkspace, ROOT, runAsync } from '../helpers/workspace';

let kms: FakeKms;
beforeAll(async () => {
  kms = await startFakeKms([]);
});
afterAll(async () => {
  await kms.close();
});

function dryRun(configFile: string, ...context: string[]) {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'AKIDLOOPBACKTEST',
    AWS_SECRET_ACCESS_KEY: 'loopback-secret',
    AWS_ENDPOINT_URL_STS: kms.url,
    AWS_ENDPOINT_URL_KMS: kms.url,
  };
  const args = ['--dry-run', '-c', 'edge-fle:originDomain=api.example.com', '-c', `edge-fle:config=${configFile}`, ...context];
  return runAsync(process.execPath, [join(ROOT, 'bin', 'ts-run.mjs'), 'infra/deploy.ts', ...args], { env, timeoutMs: 120_000 });
}

describe('npm run deploy -- --dry-run', () => {
  it('refuses a dev key pair where the KMS key goes, then, once moved, prints the plan and creates nothing', async () => {
    const ws = makeWorkspace();
    const refused = await dryRun(ws.configFile);
    expect(refused.status).toBe(1);
    expect(refused.stderr.toString()).toMatch(/refusing to deploy; nothing was created:\n/);
    expect(refused.stderr.toString()).toMatch(/- key 01: .*keys\/01\.pem is not a KMS public key: a private key/);
    expect(refused.stderr.toString()).toMatch(/- key 01: the config does not state its keySpec/);
    const config = JSON.parse(readFileSync(ws.configFile, 'utf8'));
    config.keys[0].keySpec = 'RSA_2048';
    writeFileSync(ws.configFile, JSON.stringify(config));
    renameSync(join(ws.dir, 'keys', '01.pem'), join(ws.dir, 'dev-01.pem'));
    renameSync(ws.privateKeyFile, join(ws.dir, 'dev-01.key.pem'));
    const planned = await dryRun(ws.configFile, '-c', 'edge-fle:account=111122223333');
    expect(planned.status, planned.stderr.toString()).toBe(0);
    const out = planned.stdout.toString();
    expect(out).toMatch(/edge-fle will:\n {2}- create EdgeFle-Keys in us-east-1 \(account 111122223333\)/);
    expect(out).toMatch(/plan:\n {2}1\. keys: KMS keys and decrypt roles: npx cdk deploy EdgeFle-Keys --outputs-file/);
    expect(out).toMatch(/4\. compare the edge bundle key fingerprints with KMS: \(in-process\)/);
    expect(out).toMatch(/5\. edge and decrypt: npx cdk deploy EdgeFle-Edge EdgeFle-Decrypt --app \.build\/deploy\.out/);
    // Only STS was asked; no key file was written.
    expect(kms.requests.every((r) => r.target === '')).toBe(true);
    expect(existsSync(join(ws.dir, 'keys', '01.pem'))).toBe(false);
  });

  it('refuses credentials of another account than the one pinned', async () => {
    const ws = makeWorkspace();
    renameSync(ws.privateKeyFile, join(ws.dir, 'dev-01.key.pem'));
    renameSync(join(ws.dir, 'keys', '01.pem'), join(ws.dir, 'dev-01.pem'));
    const refused = await dryRun(ws.configFile, '-c', 'edge-fle:account=444455556666');
    expect(refused.status).toBe(1);
    expect(refused.stderr.toString()).toContain('the credentials are for account 111122223333 but edge-fle:account is 444455556666');
  });
});
