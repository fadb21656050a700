/**
 * The whole deploy plan, rehearsed offline over a key's life: `runDeploy` (the code behind
 * `npm run deploy`) runs against a CloudFormation-like harness (synthesised templates, the
 * exports each stack offers and imports, rules, retained resources) and the loopback KMS, whose
 * keys the harness creates as CloudFormation would. At every step it asserts that no stack would
 * import a removed export, that no template embeds a key KMS does not hold, and that every role's
 * KMS permissions are exactly those the config intends.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenerateDataKeyWithoutPlaintextCommand } from '@aws-sdk/client-kms';
import { App, AssetStaging } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPublicKeyCommand } from '../../cli/commands/fetch-public-key';
import type { CliIo } from '../../cli/io';
import { fingerprintOf } from '../../cli/key-provenance';
import { secretEncryptionContext } from '../../core/format/secret';
import { createSecretSource } from '../../core/secret-source';
import { kmsSecretUnwrapper } from '../../edge/kms-secret';
import { type DeployStep, KEYS_OUTPUTS_FILE } from '../../infra/deploy-plan';
import { DeployRefused, runDeploy } from '../../infra/deploy-runner';
import { PUBLIC_KEYS_METADATA } from '../../infra/edge-stack';
import { readParams } from '../../infra/params';
import { defineApp } from '../../infra/synth';
import { loopbackKmsClient } from '../helpers/decrypt';
import { type FakeKms, startFakeKms } from '../helpers/kms-server';
import { fleAsync, ROOT } from '../helpers/workspace';

type Json = Record<string, unknown>;
type TemplateJson = { Resources: Record<string, Json>; Outputs?: Record<string, Json>; Rules?: Json; Metadata?: Json };

const FLAGS = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Json }).context;
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ORDERS = `arn:aws:iam::${ACCOUNT}:role/orders-app`;
const BILLING = `arn:aws:iam::${ACCOUNT}:role/billing-app`;
const BASE_CONTEXT = { 'edge-fle:originDomain': 'api.example.com', 'edge-fle:dataRegion': REGION, 'edge-fle:account': ACCOUNT };

/** Everything under a key, recursively, as the strings JSON.stringify gives. */
function importsOf(template: TemplateJson): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'Fn::ImportValue') found.push(JSON.stringify(v));
        walk(v);
      }
    }
  };
  walk(template);
  return found;
}

function exportsOf(template: TemplateJson): string[] {
  return Object.values(template.Outputs ?? {}).flatMap((o) => (o.Export ? [JSON.stringify((o.Export as Json).Name)] : []));
}

/** CloudFormation as far as the deploy plan depends on it. */
class CloudHarness {
  readonly stacks = new Map<string, TemplateJson>();
  /** `<stack>/<logical id>` → ARN of every KMS key ever created (retained keys stay). */
  readonly keys = new Map<string, string>();
  readonly deployments: string[] = [];

  constructor(private readonly kms: FakeKms) {}

  deploy(name: string, template: TemplateJson): void {
    if (template.Rules && 'NotDeployable' in template.Rules) throw new Error(`${name}: rule NotDeployable failed; nothing changed`);
    const otherExports = new Set([...this.stacks].filter(([n]) => n !== name).flatMap(([, t]) => exportsOf(t)));
    for (const wanted of importsOf(template)) {
      if (!otherExports.has(wanted)) throw new Error(`${name} imports ${wanted}, which no deployed stack exports`);
    }
    const kept = new Set(exportsOf(template));
    for (const [other, t] of this.stacks) {
      if (other === name) continue;
      for (const used of importsOf(t)) {
        if (exportsOf(this.stacks.get(name) ?? { Resources: {} }).includes(used) && !kept.has(used)) {
          throw new Error(`${name} would remove export ${used}, still imported by ${other}`);
        }
      }
    }
    const previous = this.stacks.get(name);
    for (const [id, resource] of Object.entries(previous?.Resources ?? {})) {
      if (resource.Type === 'AWS::KMS::Key' && !(id in template.Resources)) {
        // A key leaving the template is deleted unless retained: data under it would be lost.
        expect(resource.DeletionPolicy, `${name}/${id} leaves the stack`).toBe('Retain');
      }
    }
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::KMS::Key' || this.keys.has(`${name}/${id}`)) continue;
      if ((resource.Properties as Json).MultiRegion === true) {
        // The edge secret's key: symmetric, multi-Region (mrk- ids), reachable by its alias too.
        const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-${randomUUID().replace(/-/g, '')}`;
        this.kms.addKey({
          arn,
          privateKeyPem: '',
          symmetricKey: randomBytes(32),
          aliases: [`arn:aws:kms:${REGION}:${ACCOUNT}:alias/edgefle/edge-secret`],
        });
        this.keys.set(`${name}/${id}`, arn);
        continue;
      }
      const bits = Number(/RSA_(\d+)/.exec(String((resource.Properties as Json).KeySpec))?.[1]);
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
      const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${randomUUID()}`;
      this.kms.addKey({ arn, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
      this.keys.set(`${name}/${id}`, arn);
    }
    this.stacks.set(name, template);
    this.deployments.push(name);
  }

  /** The keys stack's outputs as `cdk deploy --outputs-file` writes them. */
  outputs(name: string): Json {
    const template = this.stacks.get(name) as TemplateJson;
    const values: Json = {};
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      const ref = (output.Value as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
      if (ref) values[key] = this.keys.get(`${name}/${ref[0]}`);
    }
    return { [name]: values };
  }
}

let kms: FakeKms;
let cloud: CloudHarness;
let dir: string;
const cwd = process.cwd();
const log: string[] = [];

beforeAll(async () => {
  kms = await startFakeKms([]);
  cloud = new CloudHarness(kms);
  process.env.AWS_ACCESS_KEY_ID = 'AKIDLOOPBACKTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'loopback-secret';
  dir = mkdtempSync(join(tmpdir(), 'edge-fle-rehearsal-'));
  mkdirSync(join(dir, 'config', 'keys'), { recursive: true });
  process.chdir(dir);
});

afterAll(async () => {
  process.chdir(cwd);
  await kms.close();
});

interface Audience {
  name: string;
  keys: string[];
  invokers: string[];
}

/** Key 02 is RSA_3072: every configured key spec deploys from a clean clone. */
const KEY_SPECS: Record<string, string> = { '01': 'RSA_2048', '02': 'RSA_3072' };

function writeConfig(keys: string[], encryptWith: string, audiences: Audience[], kmsKeyIds: ReadonlyMap<string, string> = new Map()): void {
  const people = { name: 'people', methods: ['POST'], path: '/api/people*', json: ['$[*].ssn', '$[*].email'], form: ['card_number'] };
  const config = {
    keys: keys.map((id) => ({
      id,
      publicKey: `keys/${id}.pem`,
      ...(KEY_SPECS[id] ? { keySpec: KEY_SPECS[id] } : {}),
      ...(kmsKeyIds.get(id) ? { kmsKeyId: kmsKeyIds.get(id) } : {}),
    })),
    encryptWith,
    routes: [people],
    audiences,
  };
  writeFileSync('config/fields.json', JSON.stringify(config, null, 2));
}

function contextOf(command: readonly string[]): Json {
  const context: Json = { ...BASE_CONTEXT };
  command.forEach((arg, i) => {
    const value = command[i + 1];
    if (arg === '-c' && value) context[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1);
  });
  return context;
}

async function synthesize(context: Json, outdir: string): Promise<void> {
  // Each real `cdk synth` is a new process; CDK caches asset hashes by source folder per process.
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir, context: FLAGS });
  await defineApp(
    app,
    readParams((key) => context[key]),
    '.build',
    () => undefined,
  );
  app.synth();
}

async function run(step: DeployStep, command: readonly string[]): Promise<void> {
  switch (step.kind) {
    case 'cdk-deploy': {
      if (step.assembly) {
        for (const stack of step.stacks) {
          cloud.deploy(stack, JSON.parse(readFileSync(join(step.assembly, `${stack}.template.json`), 'utf8')) as TemplateJson);
        }
        return;
      }
      // cdk deploy <keys> synthesises the whole app (a placeholder edge is fine: it is not deployed).
      const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
      await synthesize(contextOf(command), outdir);
      for (const stack of step.stacks) {
        cloud.deploy(stack, JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8')) as TemplateJson);
      }
      mkdirSync('.build', { recursive: true });
      writeFileSync(KEYS_OUTPUTS_FILE, JSON.stringify(cloud.outputs(step.stacks[0] as string)));
      return;
    }
    case 'fetch-public-key': {
      const out: string[] = [];
      const io: CliIo = { stdin: async () => Buffer.alloc(0), stdout: (t) => out.push(String(t)), stderr: (t) => out.push(t) };
      const status = await fetchPublicKeyCommand.run([...command.slice(3), '--kms-endpoint', kms.url], io);
      if (status !== 0) throw new Error(`fetch-public-key failed: ${out.join('')}`);
      return;
    }
    case 'cdk-synth':
      await synthesize(contextOf(command), step.assembly);
      return;
    case 'verify-keys':
      throw new Error('verify-keys runs in-process');
  }
}

const deps = {
  identity: async () => ({ account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer` }),
  publicKeyOf: async (arn: string) => {
    const response = await fetch(kms.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.GetPublicKey' },
      body: JSON.stringify({ KeyId: arn }),
    });
    return Buffer.from(((await response.json()) as { PublicKey: string }).PublicKey, 'base64');
  },
  makeSecret: async (kmsKeyId: string, version: number, keyId: string) => {
    const made = await loopbackKmsClient(kms.url).send(
      new GenerateDataKeyWithoutPlaintextCommand({
        KeyId: kmsKeyId,
        KeySpec: 'AES_256',
        EncryptionContext: secretEncryptionContext(version, keyId),
      }),
    );
    return { keyArn: made.KeyId ?? '', ciphertextBlob: made.CiphertextBlob ?? new Uint8Array() };
  },
  run,
  log: (line: string) => log.push(line),
};

function deploy(context: Json = {}): Promise<void> {
  return runDeploy(
    readParams((key) => ({ ...BASE_CONTEXT, ...context })[key]),
    Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${String(v)}`]),
    false,
    deps,
  );
}

/** Key id → ARN the keys stack holds now. */
function deployedKeyArns(): Map<string, string> {
  const outputs = cloud.outputs('EdgeFle-Keys')['EdgeFle-Keys'] as Record<string, string>;
  return new Map(
    Object.entries(outputs)
      .filter(([name]) => name.startsWith('KeyArn'))
      .map(([name, arn]) => [name.replace(/^KeyArn/, ''), arn]),
  );
}

/** The public keys the deployed edge bundle carries, by fingerprint, read from the bundle itself. */
function embeddedFingerprints(): string[] {
  const edge = cloud.stacks.get('EdgeFle-Edge') as TemplateJson;
  const fn = Object.values(edge.Resources).find((r) => r.Type === 'AWS::Lambda::Function') as Json;
  const hash = String(((fn.Properties as Json).Code as Json).S3Key).replace(/\.zip$/, '');
  const assets = JSON.parse(readFileSync('.build/deploy.out/EdgeFle-Edge.assets.json', 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  const source = readFileSync(join('.build/deploy.out', assets.files[hash]?.source.path as string, 'index.js'), 'utf8');
  // esbuild writes a PEM as a template literal (real newlines) or a string (escaped ones).
  const pems = source.match(/-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s\\n]+?-----END PUBLIC KEY-----/g) ?? [];
  return pems.map((pem) => fingerprintOf(pem.replace(/\\n/g, '\n')));
}

/** Role name → key ids it may decrypt, read three ways from the deployed templates. */
function permissions(): { keyPolicies: Json; roleGrants: Json; functions: Json } {
  const keys = cloud.stacks.get('EdgeFle-Keys') as TemplateJson;
  const keyIdOf = new Map(
    Object.entries(keys.Outputs ?? {}).map(([name, o]) => [((o.Value as Json)['Fn::GetAtt'] as string[])[0], name.replace(/^KeyArn/, '')]),
  );
  const roleName = new Map(
    Object.entries(keys.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([id, r]) => [id, (r.Properties as Json).RoleName as string]),
  );
  const nameOf = (principal: unknown): string =>
    typeof principal === 'string'
      ? principal
      : (roleName.get((principal as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string) as string);
  const add = (map: Json, role: string, keyId: string): void => {
    map[role] = [...((map[role] as string[]) ?? []), keyId].sort();
  };
  const keyPolicies: Json = {};
  // The edge secret's key (multi-Region, symmetric) has its own policy, checked by the secret's test.
  const secretKeys = new Set(
    Object.entries(keys.Resources)
      .filter(([, r]) => r.Type === 'AWS::KMS::Key' && (r.Properties as Json).MultiRegion === true)
      .map(([id]) => id),
  );
  for (const [id, resource] of Object.entries(keys.Resources)) {
    if (resource.Type !== 'AWS::KMS::Key' || secretKeys.has(id)) continue;
    const statements = ((resource.Properties as Json).KeyPolicy as { Statement: Json[] }).Statement;
    const allowed = [(statements.find((s) => s.Sid === 'DecryptByAudiences')?.Principal as Json | undefined)?.AWS ?? []].flat();
    const deny = statements.find((s) => s.Sid === 'DenyUseButByDecryptRoles') as Json;
    const exempt = [((deny.Condition as Json | undefined)?.ArnNotEquals as Json | undefined)?.['aws:PrincipalArn'] ?? []].flat();
    // The deny's exemptions are exactly the allowed principals: nobody else can decrypt.
    expect(exempt.map(nameOf).sort()).toEqual(allowed.map(nameOf).sort());
    // No other statement allows any use of the key.
    for (const s of statements.filter((st) => st.Effect === 'Allow' && st.Sid !== 'DecryptByAudiences')) {
      expect([s.Action].flat().join(' ')).not.toMatch(/Decrypt|ReEncrypt|CreateGrant|DeriveSharedSecret|kms:\*/);
    }
    for (const principal of allowed) add(keyPolicies, nameOf(principal), keyIdOf.get(id) as string);
  }
  const roleGrants: Json = {};
  for (const resource of Object.values(keys.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const props = resource.Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: Json[] } };
    for (const statement of props.PolicyDocument.Statement) {
      const actions = [statement.Action].flat() as string[];
      if (!actions.some((a) => a.startsWith('kms:'))) continue;
      const refs = [statement.Resource].flat() as { 'Fn::GetAtt'?: string[] }[];
      if (refs.some((r) => secretKeys.has(r['Fn::GetAtt']?.[0] ?? ''))) {
        // Unwrapping the edge secret: only with its encryption context.
        expect(JSON.stringify(statement.Condition)).toContain('"kms:EncryptionContext:edge-fle:purpose":"edge-secret"');
        continue;
      }
      expect(actions).toEqual(['kms:Decrypt']);
      for (const resourceRef of [statement.Resource].flat() as { 'Fn::GetAtt': string[] }[]) {
        for (const role of props.Roles)
          add(roleGrants, roleName.get(role.Ref) as string, keyIdOf.get(resourceRef['Fn::GetAtt'][0]) as string);
      }
    }
  }
  const decrypt = cloud.stacks.get('EdgeFle-Decrypt') as TemplateJson;
  const functions: Json = {};
  for (const resource of Object.values(decrypt.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = resource.Properties as Json;
    const role = /:role\/([\w-]+)/.exec(JSON.stringify(props.Role))?.[1] as string;
    const env = JSON.stringify((props.Environment as Json).Variables);
    functions[role] = [...env.matchAll(/alias\/edgefle\/(\w+)/g)].map((m) => m[1] as string).sort();
  }
  return { keyPolicies, roleGrants, functions };
}

function invokers(): Json {
  const decrypt = cloud.stacks.get('EdgeFle-Decrypt') as TemplateJson;
  const byFunction: Json = {};
  for (const resource of Object.values(decrypt.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Permission') continue;
    const props = resource.Properties as { FunctionName: { 'Fn::GetAtt': string[] }; Principal: string };
    const fn = decrypt.Resources[props.FunctionName['Fn::GetAtt'][0] as string] as Json;
    const name = (fn.Properties as Json).FunctionName as string;
    byFunction[name] = [...((byFunction[name] as string[]) ?? []), props.Principal].sort();
  }
  return byFunction;
}

/** The invariants every step must leave. */
async function expectIntended(audiences: Audience[]): Promise<void> {
  const expected = Object.fromEntries(audiences.map((a) => [`EdgeFle-decrypt-${a.name}`, [...a.keys].sort()]));
  const { keyPolicies, roleGrants, functions } = permissions();
  expect(keyPolicies).toEqual(expected);
  expect(roleGrants).toEqual(expected);
  expect(functions).toEqual(expected);
  expect(invokers()).toEqual(Object.fromEntries(audiences.map((a) => [`EdgeFle-decrypt-${a.name}`, [...a.invokers].sort()])));
  for (const template of cloud.stacks.values()) expect(importsOf(template)).toEqual([]);
  // The edge carries exactly the configured keys, each one KMS holds.
  const held = [...deployedKeyArns().values()];
  const manifest = (cloud.stacks.get('EdgeFle-Edge') as TemplateJson).Metadata?.[PUBLIC_KEYS_METADATA] as {
    status: string;
    keys: { id: string; fingerprint: string }[];
  };
  expect(manifest.status).toBe('kms');
  const embedded = embeddedFingerprints();
  expect(embedded.sort()).toEqual(manifest.keys.map((k) => k.fingerprint).sort());
  const heldFingerprints = await Promise.all(held.map(async (arn) => fingerprintOf(await deps.publicKeyOf(arn))));
  for (const fingerprint of embedded) expect(heldFingerprints).toContain(fingerprint);
  for (const key of manifest.keys) {
    const pem = readFileSync(`config/keys/${key.id}.pem`, 'utf8');
    expect(fingerprintOf(pem)).toBe(key.fingerprint);
    expect(held).toContain(JSON.parse(readFileSync(`config/keys/${key.id}.kms.json`, 'utf8')).keyArn);
  }
}

describe('deploy rehearsal: a key from first deploy to retirement', () => {
  const orders: Audience = { name: 'orders', keys: ['01'], invokers: [ORDERS] };
  let record01 = '';
  const plaintext = JSON.stringify([{ fname: 'Ada', lname: 'Lovelace', ssn: '123-45-6789' }]);

  it('refuses a dev key pair where the KMS public key goes, and an ARN of another Region, before creating anything', async () => {
    writeConfig(['01'], '01', [orders]);
    // As npm start leaves them.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync('config/keys/01.pem', publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync('config/keys/01.key.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(deploy()).rejects.toBeInstanceOf(DeployRefused);
    await expect(deploy()).rejects.toThrow(/keys\/01\.pem is not a KMS public key: a private key .*Fix: move config\/keys\/01\.pem/);
    expect(cloud.deployments).toEqual([]);
    mkdirSync('config/dev-keys');
    renameSync('config/keys/01.pem', 'config/dev-keys/01.pem');
    renameSync('config/keys/01.key.pem', 'config/dev-keys/01.key.pem');
    writeConfig(['01'], '01', [orders], new Map([['01', `arn:aws:kms:us-west-2:${ACCOUNT}:key/${randomUUID()}`]]));
    await expect(deploy()).rejects.toThrow(/kmsKeyId is in us-west-2 .* Fix: set -c edge-fle:dataRegion=us-west-2/);
    expect(cloud.deployments).toEqual([]);
    await expect(deploy({ 'edge-fle:account': '444455556666' })).rejects.toThrow(/credentials are for account 111122223333/);
  });

  it('first deploy: keys, fetched public keys, verified edge, decrypt', async () => {
    writeConfig(['01'], '01', [orders]);
    await deploy();
    expect(cloud.deployments).toEqual(['EdgeFle-Keys', 'EdgeFle-Edge', 'EdgeFle-Decrypt']);
    expect(log.join('\n')).toContain('every embedded public key matches KMS');
    expect(existsSync('config/keys/01.kms.json')).toBe(true);
    await expectIntended([orders]);
    // The second deploy of the same config changes nothing and still verifies.
    await deploy();
    await expectIntended([orders]);
    expect(deployedKeyArns().size).toBe(1);
  });

  it('records written under key 01 before rotation', async () => {
    writeConfig(['01'], '01', [orders], deployedKeyArns());
    const encrypted = await fleAsync(
      [
        'encrypt',
        '--config',
        join(dir, 'config/fields.json'),
        '--method',
        'POST',
        '--uri',
        '/api/people',
        '--content-type',
        'application/json',
      ],
      plaintext,
    );
    expect(encrypted.status, encrypted.stderr.toString()).toBe(0);
    record01 = encrypted.stdout.toString();
    expect(record01).toContain('#01#');
  });

  it('add key 02, then switch encryptWith to 02', async () => {
    const both: Audience = { ...orders, keys: ['01', '02'] };
    writeConfig(['01', '02'], '01', [both], deployedKeyArns());
    await deploy();
    await expectIntended([both]);
    expect(deployedKeyArns().size).toBe(2);
    const spec02 = JSON.parse(readFileSync('config/keys/02.kms.json', 'utf8')).keySpec;
    expect(spec02).toBe('RSA_3072');
    writeConfig(['01', '02'], '02', [both], deployedKeyArns());
    await deploy();
    await expectIntended([both]);
  });

  it('fle rewrap moves the records to 02 through KMS', async () => {
    writeConfig(['01', '02'], '02', [{ ...orders, keys: ['01', '02'] }], deployedKeyArns());
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDLOOPBACKTEST', AWS_SECRET_ACCESS_KEY: 'loopback-secret', AWS_REGION: REGION };
    const rewrapped = await fleAsync(
      [
        'rewrap',
        '--config',
        join(dir, 'config/fields.json'),
        '--to',
        '02',
        '--kms-endpoint',
        kms.url,
        '--content-type',
        'application/json',
      ],
      record01,
      env,
    );
    expect(rewrapped.status, rewrapped.stderr.toString()).toBe(0);
    expect(rewrapped.stdout.toString()).not.toContain('#01#');
    expect(rewrapped.stdout.toString()).toContain('#02#');
    const opened = await fleAsync(
      ['decrypt', '--config', join(dir, 'config/fields.json'), '--kms-endpoint', kms.url, '--content-type', 'application/json'],
      rewrapped.stdout,
      env,
    );
    expect(JSON.parse(opened.stdout.toString())).toEqual(JSON.parse(plaintext));
  });

  it('retire 01: it leaves every stack and stays in KMS', async () => {
    const arn01 = deployedKeyArns().get('01') as string;
    const only02: Audience = { ...orders, keys: ['02'] };
    renameSync('config/keys/01.pem', 'config/dev-keys/retired-01.pem');
    writeConfig(['02'], '02', [only02], deployedKeyArns());
    await deploy();
    await expectIntended([only02]);
    expect([...deployedKeyArns().keys()]).toEqual(['02']);
    // Retained: what is still encrypted to it can be opened.
    expect((await deps.publicKeyOf(arn01)).length).toBeGreaterThan(0);
  });

  it('add an audience, then remove it', async () => {
    const only02: Audience = { ...orders, keys: ['02'] };
    const billing: Audience = { name: 'billing', keys: ['02'], invokers: [BILLING] };
    writeConfig(['02'], '02', [only02, billing], deployedKeyArns());
    await deploy();
    await expectIntended([only02, billing]);
    writeConfig(['02'], '02', [only02], deployedKeyArns());
    await deploy();
    await expectIntended([only02]);
  });

  it('edge secret: made with KMS once, by the first deploy that lists it, kept by every later one', async () => {
    // Prepare: searchable emails, a secret version whose file does not exist yet.
    const only02: Audience = { ...orders, keys: ['02'] };
    writeConfig(['02'], '02', [only02], deployedKeyArns());
    const config = JSON.parse(readFileSync('config/fields.json', 'utf8'));
    config.routes[0].json = ['$[*].ssn', { path: '$[*].email', index: 'email' }];
    config.indexes = [{ name: 'email', normalize: ['trim', 'lowercase'] }];
    config.edgeSecret = { current: 1, versions: [{ version: 1, file: 'keys/edge-secret.1.json' }] };
    writeFileSync('config/fields.json', JSON.stringify(config, null, 2));
    // Act
    await deploy();
    const made = readFileSync('config/keys/edge-secret.1.json', 'utf8');
    await deploy();
    // Assert: the same version file (the same secret: every searchable marker stays findable).
    expect(readFileSync('config/keys/edge-secret.1.json', 'utf8')).toBe(made);
    const version = JSON.parse(made) as { version: number; kmsKeyId: string; ciphertextBlobs: Record<string, string> };
    // One secret per key id: the config has key 02 only.
    expect(Object.keys(version.ciphertextBlobs)).toEqual(['02']);
    expect(version.kmsKeyId).toMatch(/:key\/mrk-/);
    expect(made).not.toMatch(/"local"|Plaintext/);
    const manifest = (cloud.stacks.get('EdgeFle-Edge') as TemplateJson).Metadata?.[PUBLIC_KEYS_METADATA] as Json;
    expect(manifest).toMatchObject({ status: 'kms', secret: { version: 1, source: 'kms', kmsKeyId: version.kmsKeyId } });
    expect(JSON.stringify(cloud.stacks.get('EdgeFle-Decrypt'))).toContain(version.ciphertextBlobs['02']);
    // KMS opens it with the edge secret's encryption context, and only so.
    const keys = await createSecretSource({ ...version, file: 'x', source: 'kms' }, kmsSecretUnwrapper(loopbackKmsClient(kms.url)))('02');
    expect(keys.version).toBe(1);
    await expect(
      createSecretSource({ ...version, version: 2, file: 'x', source: 'kms' }, kmsSecretUnwrapper(loopbackKmsClient(kms.url, 1)))('02'),
    ).rejects.toThrow(/InvalidCiphertextException/);
    await expectIntended([only02]);
  });
});
