import { createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, writeKmsRecord } from '../../cli/key-provenance';
import { createMarkerMatcher } from '../../core/format/marker';
import { revealMarkers } from '../helpers/keys';
import { fle, makeWorkspace, ROOT } from '../helpers/workspace';

const sample = readFileSync(join(ROOT, 'examples', 'people.json'));

describe('fle keygen', () => {
  it('writes a public SPKI PEM and a private PKCS#8 PEM with mode 0600', () => {
    const out = mkdtempSync(join(tmpdir(), 'fle-keygen-'));
    const result = fle(['keygen', '--out', out, '--id', 'k2', '--bits', '2048']);
    expect(result.status).toBe(0);
    expect(readFileSync(join(out, 'k2.pem'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(readFileSync(join(out, 'k2.key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(statSync(join(out, 'k2.key.pem')).mode & 0o777).toBe(0o600);
  });

  it('makes a P-256 key agreement pair with --type ec-p256, which a config takes as ECC_NIST_P256', () => {
    const out = mkdtempSync(join(tmpdir(), 'fle-keygen-'));
    const result = fle(['keygen', '--out', out, '--id', '03', '--type', 'ec-p256']);
    expect(result.status, result.stderr.toString()).toBe(0);
    const key = createPublicKey(readFileSync(join(out, '03.pem'), 'utf8'));
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(statSync(join(out, '03.key.pem')).mode & 0o777).toBe(0o600);
    const config = join(out, 'fields.json');
    writeFileSync(
      config,
      JSON.stringify({
        keys: [{ id: '03', publicKey: '03.pem', keySpec: 'ECC_NIST_P256' }],
        encryptWith: '03',
        routes: [{ name: 'people', methods: ['POST'], path: '/api/people*', json: ['$[*].ssn'] }],
      }),
    );
    const checked = fle(['check-config', '--config', config]);
    expect(checked.status, checked.stderr.toString()).toBe(0);
    expect(checked.stdout.toString()).toContain('03  P-256 key agreement  every value E2');
    const encrypted = fle(
      ['encrypt', '--config', config, '--method', 'POST', '--uri', '/api/people', '--content-type', 'application/json'],
      '[{"ssn":"123-45-6789"}]',
    );
    expect(encrypted.stdout.toString()).toMatch(/^\[\{"ssn":"#03#E2\.[A-Za-z0-9_-]+#30#"\}\]$/);
    const decrypted = fle(
      ['decrypt', '--config', config, '--private-key', `03=${join(out, '03.key.pem')}`, '--content-type', 'application/json'],
      encrypted.stdout,
    );
    expect(decrypted.stdout.toString()).toBe('[{"ssn":"123-45-6789"}]');
    expect(fle(['keygen', '--out', out, '--id', '04', '--type', 'ec-p256', '--bits', '2048']).status).toBe(2);
  });

  it('refuses to overwrite a key pair without --force', () => {
    const out = mkdtempSync(join(tmpdir(), 'fle-keygen-'));
    expect(fle(['keygen', '--out', out]).status).toBe(0);
    const before = readFileSync(join(out, '01.key.pem'), 'utf8');
    const again = fle(['keygen', '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr.toString()).toContain('--force');
    expect(readFileSync(join(out, '01.key.pem'), 'utf8')).toBe(before);
  });

  it('refuses key sizes KMS does not offer', () => {
    const result = fle(['keygen', '--out', mkdtempSync(join(tmpdir(), 'fle-keygen-')), '--bits', '1024']);
    expect(result.status).toBe(2);
    expect(result.stderr.toString()).toContain('--bits');
  });
});

describe('fle check-config', () => {
  it('prints a summary of routes, fields and keys with size and max plaintext', () => {
    const ws = makeWorkspace();
    const result = fle(['check-config', '--config', ws.configFile]);
    expect(result.status).toBe(0);
    const text = result.stdout.toString();
    expect(text).toContain('OK');
    expect(text).toMatch(/01 {2}RSA 2048-bit {2}max plaintext 190 bytes/);
    expect(text).toContain('people  POST,PUT,PATCH /api/people*');
    expect(text).toContain('$[*].ssn');
  });

  it('exits 3 listing every problem in one JSON line', () => {
    const ws = makeWorkspace({
      keys: [{ id: '0#', publicKey: 'keys/missing.pem' }],
      encryptWith: '02',
      routes: [{ name: 'r', methods: ['FETCH'], path: '/x', json: ['$[*.ssn'] }],
    });
    const result = fle(['check-config', '--config', ws.configFile]);
    expect(result.status).toBe(3);
    const lines = result.stderr.toString().trim().split('\n');
    expect(lines).toHaveLength(1);
    const error = JSON.parse(lines[0]!) as { code: string; problems: { where: string; message: string }[] };
    expect(error.code).toBe('InvalidConfig');
    const text = error.problems.map((p) => `${p.where}: ${p.message}`).join('\n');
    for (const expected of ['keys[0] (0#)', 'cannot read public key file', 'encryptWith', '"FETCH"', 'bad JSONPath']) {
      expect(text).toContain(expected);
    }
  });
});

describe('fle encrypt', () => {
  it('prints exactly what the origin would receive', () => {
    const ws = makeWorkspace();
    const result = fle(
      ['encrypt', '--config', ws.configFile, '--method', 'POST', '--uri', '/api/people?x=1', '--content-type', 'application/json'],
      sample,
    );
    expect(result.status).toBe(0);
    expect(result.stderr.toString()).toBe('');
    const out = result.stdout.toString();
    // Two ssn, two email, one card number (the other card is null).
    expect(createMarkerMatcher(['01']).find(out).length).toBe(5);
    expect(out).not.toContain('123-45-6789');
    expect(JSON.parse(revealMarkers(out))).toEqual(JSON.parse(sample.toString()));
  });

  it('passes a body without sensitive fields through byte for byte, and refuses one it cannot read', () => {
    const ws = makeWorkspace();
    const plain = fle(
      ['encrypt', '--config', ws.configFile, '--method', 'POST', '--uri', '/elsewhere', '--content-type', 'application/json'],
      '{"a": 1}',
    );
    expect(plain.status).toBe(0);
    expect(plain.stdout.toString()).toBe('{"a": 1}');
    const opaque = fle(
      ['encrypt', '--config', ws.configFile, '--method', 'POST', '--uri', '/elsewhere', '--content-type', 'text/plain'],
      'as is',
    );
    expect(opaque.status).toBe(1);
    expect(JSON.parse(opaque.stderr.toString())).toMatchObject({ status: 415, code: 'UnsupportedMediaType' });
  });

  it('on rejection exits 1 with empty stdout and one JSON line on stderr', () => {
    const ws = makeWorkspace();
    const result = fle(
      ['encrypt', '--config', ws.configFile, '--method', 'POST', '--uri', '/api/people', '--content-type', 'application/json'],
      '[{"ssn": "123-45-6789"',
    );
    expect(result.status).toBe(1);
    expect(result.stdout.length).toBe(0);
    const lines = result.stderr.toString().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ status: 400, code: 'MalformedJson', message: expect.any(String) });
  });
});

describe('fle build-edge', () => {
  it('writes a self-contained index.js for a config whose keys came from KMS, with their fingerprints', () => {
    const ws = makeWorkspace();
    // As fle fetch-public-key leaves a key: its record beside it, no private key.
    rmSync(ws.privateKeyFile);
    const pem = readFileSync(join(ws.dir, 'keys', '01.pem'), 'utf8');
    const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0000-4000-8000-000000000001';
    writeKmsRecord(join(ws.dir, 'keys', '01.pem'), { keyArn, keySpec: 'RSA_2048', fingerprint: fingerprintOf(pem) });
    const out = join(ws.dir, 'bundle');
    const result = fle(['build-edge', '--config', ws.configFile, '--out', out]);
    expect(result.status, result.stderr.toString()).toBe(0);
    expect(existsSync(join(out, 'index.js'))).toBe(true);
    const code = readFileSync(join(out, 'index.js'), 'utf8');
    expect(code).toContain('BEGIN PUBLIC KEY');
    expect(code).not.toContain('PRIVATE KEY');
    expect(JSON.parse(readFileSync(join(out, 'edge-fle-keys.json'), 'utf8'))).toEqual({
      status: 'kms',
      keys: [{ id: '01', fingerprint: fingerprintOf(pem), source: 'kms' }],
    });
  });

  it('refuses a local dev key unless --unsafe-dev-keys, naming the file and the fix', () => {
    const ws = makeWorkspace();
    const out = join(ws.dir, 'bundle');
    const refused = fle(['build-edge', '--config', ws.configFile, '--out', out]);
    expect(refused.status).toBe(3);
    expect(JSON.parse(refused.stderr.toString())).toMatchObject({
      code: 'KeysNotDeployable',
      message: expect.stringMatching(/key 01 \(\/.*\/keys\/01\.pem\): a private key .* Fix: run npm run deploy/),
    });
    expect(existsSync(join(out, 'index.js'))).toBe(false);
    const unsafe = fle(['build-edge', '--config', ws.configFile, '--out', out, '--unsafe-dev-keys']);
    expect(unsafe.status).toBe(0);
    expect(unsafe.stderr.toString()).toContain('UNSAFE');
    expect(JSON.parse(readFileSync(join(out, 'edge-fle-keys.json'), 'utf8'))).toMatchObject({
      status: 'dev',
      keys: [{ id: '01', source: 'local' }],
    });
  });

  it('refuses an invalid config and writes nothing', () => {
    const ws = makeWorkspace();
    writeFileSync(ws.configFile, '{"keys": []}');
    const out = join(ws.dir, 'bundle');
    expect(fle(['build-edge', '--config', ws.configFile, '--out', out]).status).toBe(3);
    expect(existsSync(join(out, 'index.js'))).toBe(false);
  });
});

describe('fle build-edge with missing key files', () => {
  it('makes the stand-in key the size the config names (RSA_3072), so a build works from a clean clone', () => {
    const ws = makeWorkspace({
      keys: [{ id: '01', publicKey: 'keys/big.pem', keySpec: 'RSA_3072' }],
      encryptWith: '01',
      routes: [{ name: 'people', methods: ['POST'], path: '/api/people*', json: ['$[*].ssn'] }],
    });
    const dev = fle(['build-edge', '--config', ws.configFile, '--out', join(ws.dir, 'dev'), '--unsafe-dev-keys'], '', ws.dir);
    expect(dev.status, dev.stderr.toString()).toBe(0);
    const key = readFileSync(join(ws.dir, '.build', 'dev-keys', 'big.pem'), 'utf8');
    expect(createPublicKey(key).asymmetricKeyDetails?.modulusLength).toBe(3072);
  });

  it('refuses by default, and with --unsafe-dev-keys builds with a labelled stand-in key', () => {
    const ws = makeWorkspace();
    rmSync(join(ws.dir, 'keys', '01.pem'));
    const strict = fle(['build-edge', '--config', ws.configFile, '--out', join(ws.dir, 'strict')], '', ws.dir);
    expect(strict.status).toBe(3);
    expect(strict.stderr.toString()).toContain('cannot read public key file');
    const dev = fle(['build-edge', '--config', ws.configFile, '--out', join(ws.dir, 'dev'), '--unsafe-dev-keys'], '', ws.dir);
    expect(dev.status).toBe(0);
    expect(dev.stderr.toString()).toContain('UNSAFE');
    expect(JSON.parse(readFileSync(join(ws.dir, 'dev', 'edge-fle-keys.json'), 'utf8'))).toMatchObject({
      status: 'dev',
      keys: [{ source: 'stand-in' }],
    });
    expect(existsSync(join(ws.dir, 'dev', 'index.js'))).toBe(true);
    expect(existsSync(join(ws.dir, '.build', 'dev-keys', '01.pem'))).toBe(true);
  });
});

describe('fle as a command line', () => {
  it('prints help with an example for every command, and the version', () => {
    const help = fle(['--help']);
    expect(help.status).toBe(0);
    const names = [...help.stdout.toString().matchAll(/^ {2}([a-z-]+) {2}/gm)].map((m) => m[1]!);
    expect(names).toContain('decrypt');
    for (const name of names) {
      const own = fle([name, '--help']);
      expect(own.status, name).toBe(0);
      expect(own.stdout.toString(), name).toMatch(new RegExp(`fle ${name}[\\s\\S]*example:\\n {2}(npx fle|npm start)`));
    }
    const version = fle(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.toString().trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('tells usage errors, config errors and refusals apart by exit code, each one JSON line', () => {
    const ws = makeWorkspace();
    const cases: [string[], number, string][] = [
      [['frobnicate'], 2, 'Usage'],
      [['keygen', '--out', ws.dir, '--no-such-flag'], 2, 'Usage'],
      [['encrypt', '--config', ws.configFile, '--uri', '/x'], 2, 'Usage'],
      [['check-config', '--config', join(ws.dir, 'missing.json')], 3, 'InvalidConfig'],
    ];
    for (const [args, status, code] of cases) {
      const result = fle(args, '');
      expect(result.status, args.join(' ')).toBe(status);
      const lines = result.stderr.toString().trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(JSON.parse(lines[0]!).code).toBe(code);
      expect(result.stderr.toString()).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses a --private-key id the config does not name instead of falling back to KMS', () => {
    const ws = makeWorkspace();
    const result = fle(['decrypt', '--config', ws.configFile, '--private-key', `9z=${join(ws.dir, 'keys', '01.key.pem')}`], '{}');
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stderr.toString()).message).toContain('"9z"');
  });

  it('reports invalid config JSON once, with line and column', () => {
    const ws = makeWorkspace();
    writeFileSync(ws.configFile, '{\n  "keys": [],\n  "routes": [,]\n}\n');
    const result = fle(['check-config', '--config', ws.configFile]);
    expect(result.status).toBe(3);
    const error = JSON.parse(result.stderr.toString());
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0].message).toBe('not valid JSON at line 3, column 14');
  });
});

describe('fle check-config --sample', () => {
  it('counts what each rule selects over sample bodies and fails on a rule that selects nothing', () => {
    const ws = makeWorkspace({
      keys: [{ id: '01', publicKey: 'keys/01.pem' }],
      encryptWith: '01',
      names: ['email'],
      routes: [{ name: 'people', methods: ['POST'], path: '/api/people*', json: ['$[*].ssn', '$[*].snn'], form: ['card_number'] }],
    });
    const json = join(ws.dir, 'people.json');
    const form = join(ws.dir, 'people.form');
    writeFileSync(
      json,
      JSON.stringify([
        { ssn: '1', Email: 'a@b' },
        { ssn: '2', nested: { email: 'c@d' } },
      ]),
    );
    writeFileSync(form, 'card.number=4111&email=x');
    const result = fle(['check-config', '--config', ws.configFile, '--sample', json, '--sample', form]);
    const out = result.stdout.toString();
    expect(out).toMatch(/ {5}2 {2}routes\[0\] \(people\)\.json "\$\[\*\]\.ssn"/);
    expect(out).toMatch(/ {5}0 {2}routes\[0\] \(people\)\.json "\$\[\*\]\.snn"/);
    expect(out).toMatch(/ {5}1 {2}routes\[0\] \(people\)\.form "card_number"/);
    expect(out).toMatch(/ {5}3 {2}names "email"/);
    expect(result.status).toBe(3);
    const error = JSON.parse(result.stderr.toString().trim().split('\n').at(-1)!);
    expect(error.code).toBe('RuleSelectsNothing');
    expect(error.message).toContain('$[*].snn');
    expect(error.message).not.toContain('$[*].ssn"');
  });
});

describe('searchable fields through the CLI', () => {
  it('keygen makes a dev edge secret; check-config shows the indexes; encrypt shows equal markers; decrypt opens them', () => {
    // Prepare: the workspace key, a dev secret from keygen, an email index on JSON and forms.
    const ws = makeWorkspace();
    rmSync(join(ws.dir, 'keys', 'edge-secret.1.json'));
    const made = fle(['keygen', '--out', join(ws.dir, 'keys'), '--type', 'edge-secret']);
    expect(made.status, made.stderr.toString()).toBe(0);
    expect(statSync(join(ws.dir, 'keys', 'edge-secret.1.json')).mode & 0o777).toBe(0o600);
    expect(fle(['keygen', '--out', join(ws.dir, 'keys'), '--type', 'edge-secret']).status).not.toBe(0);
    const config = JSON.parse(readFileSync(ws.configFile, 'utf8'));
    config.names = [{ name: 'email', index: 'email' }];
    config.indexes = [{ name: 'email', normalize: ['trim', 'lowercase'] }];
    config.edgeSecret = { current: 1, versions: [{ version: 1, file: 'keys/edge-secret.1.json' }] };
    config.routes[0].json = config.routes[0].json.filter((f: { path: string }) => f.path !== '$[*].email');
    writeFileSync(ws.configFile, JSON.stringify(config));
    // Act
    const checked = fle(['check-config', '--config', ws.configFile]);
    const encrypt = (type: string, body: string) =>
      fle(
        ['encrypt', '--config', ws.configFile, '--method', 'POST', '--uri', '/api/people', '--content-type', type],
        body,
      ).stdout.toString();
    const json = encrypt('application/json', '[{"email":" Alice@Example.com","ssn":"1"}]');
    const form = encrypt('application/x-www-form-urlencoded', 'email=alice%40EXAMPLE.com');
    // Assert
    expect(checked.stdout.toString()).toContain('email (searchable: email)');
    expect(checked.stdout.toString()).toContain('email  v1  key 01  normalize trim, lowercase');
    expect(checked.stdout.toString()).toContain('DEV secret in clear');
    const marker = JSON.parse(json)[0].email as string;
    expect(marker).toMatch(/^#01#D1\.email\.1\.1\./);
    expect(new URLSearchParams(form).get('email')).toBe(marker);
    const opened = fle(
      ['decrypt', '--config', ws.configFile, '--private-key', `01=${ws.privateKeyFile}`, '--content-type', 'application/json'],
      json,
    );
    expect(opened.status, opened.stderr.toString()).toBe(0);
    expect(JSON.parse(opened.stdout.toString())).toEqual([{ email: 'alice@example.com', ssn: '1' }]);
  });

  it('check-config fails on an index no field uses, naming it', () => {
    const ws = makeWorkspace();
    const config = JSON.parse(readFileSync(ws.configFile, 'utf8'));
    config.indexes = [{ name: 'ssn', normalize: ['digits'] }];
    config.edgeSecret = { current: 1, versions: [{ version: 1, file: 'keys/edge-secret.1.json' }] };
    writeFileSync(ws.configFile, JSON.stringify(config));
    const checked = fle(['check-config', '--config', ws.configFile]);
    expect(checked.status).not.toBe(0);
    expect(checked.stderr.toString()).toContain('indexes (ssn): no field names this index');
  });
});
