import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem, DEFAULT_LIMITS, HTTP_METHODS, validateConfig } from '../../../core/config';
import { testKeyPair } from '../../helpers/keys';

const rsa = testKeyPair();
const files: Record<string, string> = {
  'keys/01.pem': rsa.publicKeyPem,
  'keys/02.pem': rsa.publicKeyPem,
  'keys/01.key.pem': rsa.privateKeyPem,
  'keys/ec.pem': generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  'keys/p256.pem': generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  'keys/small.pem': generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  'keys/garbage.pem': '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n',
};
const devSecretFile = JSON.stringify({ version: 1, local: Buffer.alloc(32, 7).toString('base64') });
files['keys/edge-secret.1.json'] = devSecretFile;
files['keys/edge-secret.2.json'] = JSON.stringify({ version: 2, local: Buffer.alloc(32, 8).toString('base64') });
const readKeyFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error('ENOENT');
  return text;
};

/** A config as it is written, loose enough for a test to break it. */
interface RawConfig {
  keys: Record<string, unknown>[];
  routes: Record<string, unknown>[];
  [property: string]: unknown;
}

function validConfig(): RawConfig {
  return {
    keys: [{ id: '01', publicKey: 'keys/01.pem', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }],
    encryptWith: '01',
    routes: [{ name: 'people', methods: ['POST'], path: '/api/people*', json: ['$[*].ssn'], form: ['card_number'] }],
  };
}

const EMAIL = { name: 'email', normalize: ['trim', 'lowercase'] };

/** Makes a config searchable: an email index on `$[*].email`, with a dev edge secret, then the overrides. */
function searchable(
  c: RawConfig,
  overrides: { indexes?: object[]; field?: object; names?: object[]; form?: object[]; secret?: object | null } = {},
): void {
  const route = c.routes[0] as { json: unknown[]; form: unknown[] };
  route.json.push(overrides.field ?? { path: '$[*].email', index: 'email' });
  if (overrides.form) route.form.push(...overrides.form);
  if (overrides.names) c.names = overrides.names;
  c.indexes = overrides.indexes ?? [EMAIL];
  if (overrides.secret !== null)
    c.edgeSecret = overrides.secret ?? { current: 1, versions: [{ version: 1, file: 'keys/edge-secret.1.json' }] };
}

function problemsOf(raw: unknown): ConfigProblem[] {
  try {
    validateConfig(raw, readKeyFile);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function withChange(change: (config: RawConfig) => void): RawConfig {
  const config = validConfig();
  change(config);
  return config;
}

describe('validateConfig', () => {
  it('accepts a valid config and resolves its keys', () => {
    const config = validateConfig(validConfig(), readKeyFile);
    expect(config.keys[0]).toMatchObject({ id: '01', keySpec: 'RSA_2048', modulusBits: 2048, maxPlaintextBytes: 190 });
    expect(config.audiences).toEqual([]);
    expect(config.routes[0]).toMatchObject({
      name: 'people',
      mode: 'rsa',
      json: [{ path: '$[*].ssn', key: '01', mode: 'rsa' }],
      form: [{ name: 'card_number', key: '01', mode: 'rsa' }],
    });
    expect(config.limits).toEqual(DEFAULT_LIMITS);
  });

  it('accepts the repository config file shape (the schema and the validator agree on methods)', () => {
    const schema = JSON.parse(readFileSync('config/fields.schema.json', 'utf8'));
    expect(schema.properties.routes.items.properties.methods.items.enum).toEqual([...HTTP_METHODS]);
    const shipped = JSON.parse(readFileSync('config/fields.json', 'utf8'));
    expect(shipped.$schema).toBe('./fields.schema.json');
    const config = validateConfig(shipped, (file) => (file.endsWith('.json') ? devSecretFile : rsa.publicKeyPem));
    expect(config.routes.length).toBeGreaterThan(0);
    // The shipped config makes email searchable, normalised with trim and lowercase.
    expect(config.indexes).toEqual([{ name: 'email', key: '01', version: 1, normalize: ['trim', 'lowercase'] }]);
    expect(config.names.find((n) => n.name === 'email')).toMatchObject({ index: 'email' });
    expect(config.edgeSecret).toMatchObject({ current: 1, acceptUnprovenMarkers: false });
  });

  it.each<[string, (c: RawConfig) => void, string, string]>([
    ['an unknown encryptWith key id', (c) => (c.encryptWith = '09'), 'encryptWith', 'not a configured key id'],
    ['a duplicate key id', (c) => c.keys.push({ id: '01', publicKey: 'keys/02.pem' }), 'keys[1] (01)', 'duplicate key id'],
    ['a key id that could clash with markers', (c) => (c.keys[0]!.id = '0#1'), 'keys[0] (0#1)', '[A-Za-z0-9]{1,8}'],
    ['a key id longer than 8', (c) => (c.keys[0]!.id = '123456789'), 'keys[0] (123456789)', '[A-Za-z0-9]{1,8}'],
    [
      'a key id that is the reverse of another',
      (c) => c.keys.push({ id: '10', publicKey: 'keys/02.pem' }),
      'keys (01, 10)',
      'reverse of another',
    ],
    [
      'an unreadable PEM',
      (c) => (c.keys[0]!.publicKey = 'keys/missing.pem'),
      'keys[0] (01)',
      'cannot read public key file "keys/missing.pem"',
    ],
    ['a PEM that is not a key', (c) => (c.keys[0]!.publicKey = 'keys/garbage.pem'), 'keys[0] (01)', 'not a PEM public key'],
    ['a PEM neither RSA nor P-256', (c) => (c.keys[0]!.publicKey = 'keys/ec.pem'), 'keys[0] (01)', 'an RSA or P-256 key is required'],
    [
      'two key ids sharing one public key file',
      (c) => c.keys.push({ id: '02', publicKey: './keys/01.pem' }),
      'keys[1] (02)',
      "is key 01's file too",
    ],
    [
      'a keySpec that disagrees with a P-256 PEM',
      (c) => Object.assign(c.keys[0]!, { publicKey: 'keys/p256.pem', keySpec: 'RSA_2048' }),
      'keys[0] (01)',
      'keySpec is RSA_2048 but "keys/p256.pem" is a P-256 key',
    ],
    ['an RSA key under 2048 bits', (c) => (c.keys[0]!.publicKey = 'keys/small.pem'), 'keys[0] (01)', '1024-bit'],
    ['a private key as publicKey', (c) => (c.keys[0]!.publicKey = 'keys/01.key.pem'), 'keys[0] (01)', 'holds a private key'],
    ['a malformed kmsKeyId', (c) => (c.keys[0]!.kmsKeyId = 'arn:aws:s3:::bucket'), 'keys[0] (01)', 'kmsKeyId'],
    [
      'a method that is not an HTTP method',
      (c) => (c.routes[0]!.methods = ['POST', 'FETCH']),
      'routes[0] (people).methods',
      '"FETCH" is not an HTTP method',
    ],
    ['a lower-case method', (c) => (c.routes[0]!.methods = ['post']), 'routes[0] (people).methods', 'upper case'],
    ['no methods', (c) => (c.routes[0]!.methods = []), 'routes[0] (people)', 'methods must be a non-empty list'],
    [
      'a route that protects nothing',
      (c) => {
        c.routes[0]!.json = [];
        delete c.routes[0]!['form'];
      },
      'routes[0] (people)',
      'protects nothing',
    ],
    ['bad JSONPath syntax', (c) => (c.routes[0]!.json = ['$[*.ssn']), 'routes[0] (people).json[0] "$[*.ssn"', 'bad JSONPath'],
    ['a path that is not a pattern', (c) => (c.routes[0]!.path = 'api/*'), 'routes[0] (people)', 'path must be a pattern'],
    ['a duplicate route name', (c) => c.routes.push({ ...c.routes[0]! }), 'routes[1] (people)', 'duplicate route name'],
    ['an empty form field name', (c) => (c.routes[0]!.form = ['']), 'routes[0] (people).form[0] ""', 'must be a non-empty field name'],
    ['an unknown mode', (c) => (c.routes[0]!.mode = 'aes'), 'routes[0] (people)', 'mode must be one of rsa, envelope'],
    [
      'a field naming an unknown key',
      (c) => (c.routes[0]!.json = [{ path: '$..ssn', key: '07' }]),
      'routes[0] (people).json[0] "$..ssn"',
      'key "07" is not a configured key id',
    ],
    [
      'a field with an unknown mode',
      (c) => (c.routes[0]!.form = [{ name: 'pin', mode: 'aes' }]),
      'routes[0] (people).form[0] "pin"',
      'mode must be one of',
    ],
    [
      'an unknown field property',
      (c) => (c.routes[0]!.json = [{ path: '$..ssn', keys: '01' }]),
      'routes[0] (people).json[0] "$..ssn"',
      'unknown property "keys"',
    ],
    ['an unknown route property (a typo)', (c) => (c.routes[0]!.froms = ['x']), 'routes[0] (people)', 'unknown property "froms"'],
    ['an unknown top-level property', (c) => (c.encryptwith = '01'), 'config', 'unknown property "encryptwith"'],
    ['a keySpec KMS does not offer', (c) => (c.keys[0]!.keySpec = 'RSA_1024'), 'keys[0] (01)', 'keySpec must be one of'],
    ['a keySpec the PEM does not match', (c) => (c.keys[0]!.keySpec = 'RSA_4096'), 'keys[0] (01)', 'does not belong to this key'],
    [
      'an audience with an unknown key',
      (c) => (c.audiences = [{ name: 'billing', keys: ['02'] }]),
      'audiences[0] (billing).keys',
      '"02" is not a configured key id',
    ],
    ['an audience with a bad name', (c) => (c.audiences = [{ name: 'bill ing', keys: ['01'] }]), 'audiences[0] (bill ing)', 'name must be'],
    [
      'audience names IAM and CloudFormation would read as one',
      (c) =>
        (c.audiences = [
          { name: 'orders-eu', keys: ['01'] },
          { name: 'OrdersEu', keys: ['01'] },
        ]),
      'audiences[1] (OrdersEu)',
      'collides with another once case and "-" are ignored',
    ],
    [
      'an audience with a bad invoker',
      (c) => (c.audiences = [{ name: 'billing', keys: ['01'], invokers: ['billing-app'] }]),
      'audiences[0] (billing)',
      'IAM principal ARNs',
    ],
    [
      'duplicate audiences',
      (c) =>
        (c.audiences = [
          { name: 'a', keys: ['01'] },
          { name: 'a', keys: ['01'] },
        ]),
      'audiences[1] (a)',
      'collides with another once case and "-" are ignored',
    ],
    ['a bad limit', (c) => (c.limits = { maxDepth: 0 }), 'limits.maxDepth', 'whole number'],
    ['no keys', (c) => (c.keys = []), 'keys', 'non-empty list'],
    ['no routes', (c) => (c.routes = []), 'routes', 'non-empty list'],
    ['an index no field uses', (c) => searchable(c, { indexes: [EMAIL, { name: 'ssn' }] }), 'indexes (ssn)', 'no field names this index'],
    [
      'a field with two indexes',
      (c) => searchable(c, { field: { path: '$[*].email', index: ['email', 'login'] } }),
      'routes[0] (people).json[1] "$[*].email"',
      'index must name one index',
    ],
    [
      'one field under two indexes in two places',
      (c) =>
        searchable(c, {
          indexes: [EMAIL, { name: 'login' }],
          names: [{ name: 'E-Mail', index: 'login' }],
          form: [{ name: 'email', index: 'email' }],
        }),
      'routes[0] (people).form[1] "email"',
      'a field belongs to one index',
    ],
    [
      'a field naming an undeclared index',
      (c) => searchable(c, { field: { path: '$[*].email', index: 'mail' } }),
      'routes[0] (people).json[1] "$[*].email"',
      'not declared',
    ],
    [
      'a searchable field with its own key',
      (c) => searchable(c, { field: { path: '$[*].email', index: 'email', key: '01' } }),
      'routes[0] (people).json[1] "$[*].email"',
      'takes its key from its index',
    ],
    [
      'a route path selecting a searchable name without its index',
      (c) => searchable(c, { field: { path: "$[*]['e-mail']" }, names: [{ name: 'email', index: 'email' }] }),
      `routes[0] (people).json[1] "$[*]['e-mail']"`,
      "this route's rule would win",
    ],
    ['indexes without the edge secret', (c) => searchable(c, { secret: null }), 'indexes', 'need "edgeSecret"'],
    [
      'an unknown normalisation',
      (c) => searchable(c, { indexes: [{ name: 'email', normalize: ['upper'] }] }),
      'indexes[0] (email)',
      'normalize must be a list',
    ],
    ['a bad index name', (c) => searchable(c, { indexes: [EMAIL, { name: 'E.mail' }] }), 'indexes[1] (E.mail)', 'lower-case letters'],
    [
      'a missing secret file',
      (c) => searchable(c, { secret: { current: 1, versions: [{ version: 1, file: 'keys/none.json' }] } }),
      'edgeSecret.versions[0] (keys/none.json)',
      'cannot read',
    ],
    [
      'a secret file of another version',
      (c) => searchable(c, { secret: { current: 1, versions: [{ version: 1, file: 'keys/edge-secret.2.json' }] } }),
      'edgeSecret.versions[0] (keys/edge-secret.2.json)',
      'not the file of secret version 1',
    ],
    [
      'a current version not listed',
      (c) => searchable(c, { secret: { current: 3, versions: [{ version: 1, file: 'keys/edge-secret.1.json' }] } }),
      'edgeSecret.current',
      'one of the listed versions',
    ],
  ])('reports %s with where it is', (_name, change, where, message) => {
    const problems = problemsOf(withChange(change));
    expect(problems).toContainEqual({ where, message: expect.stringContaining(message) });
  });

  it('reports every problem at once, not just the first', () => {
    const problems = problemsOf(
      withChange((c) => {
        c.encryptWith = '09';
        c.keys[0]!.publicKey = 'keys/missing.pem';
        c.routes[0]!.methods = ['FETCH'];
        c.routes[0]!.json = ['$[*.ssn', 'ssn'];
      }),
    );
    expect(problems.map((p) => p.where)).toEqual(
      expect.arrayContaining([
        'encryptWith',
        'keys[0] (01)',
        'routes[0] (people).methods',
        'routes[0] (people).json[0] "$[*.ssn"',
        'routes[0] (people).json[1] "ssn"',
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(5);
  });

  it('resolves per-field keys and modes, defaulting to encryptWith and the route mode', () => {
    const config = validateConfig(
      withChange((c) => {
        c.keys.push({ id: '02', publicKey: 'keys/02.pem' });
        c.routes[0]!.mode = 'envelope';
        c.routes[0]!.json = ['$..email', { path: '$..ssn', key: '02', mode: 'rsa' }];
        c.routes[0]!.form = [{ name: 'pin', key: '02' }];
      }),
      readKeyFile,
    );
    expect(config.routes[0]!.json).toEqual([
      { path: '$..email', key: '01', mode: 'envelope' },
      { path: '$..ssn', key: '02', mode: 'rsa' },
    ]);
    expect(config.routes[0]!.form).toEqual([{ name: 'pin', key: '02', mode: 'envelope' }]);
  });

  it('reads audiences from the config', () => {
    const invoker = 'arn:aws:iam::111122223333:role/billing-app';
    const config = validateConfig(
      withChange((c) => (c.audiences = [{ name: 'billing', keys: ['01'], invokers: [invoker] }])),
      readKeyFile,
    );
    expect(config.audiences).toEqual([{ name: 'billing', keys: ['01'], invokers: [invoker] }]);
  });

  it('reads limits from the config', () => {
    const config = validateConfig(
      withChange((c) => (c.limits = { maxDepth: 8, maxValues: 50 })),
      readKeyFile,
    );
    expect(config.limits).toEqual({ maxDepth: 8, maxValues: 50 });
  });

  it('refuses a config that is not an object', () => {
    expect(problemsOf([])).toEqual([{ where: 'config', message: 'must be a JSON object' }]);
  });
});

describe('problem reports', () => {
  it('report one unreadable key file once, not again for every field that uses the key', () => {
    const problems = problemsOf({
      keys: [{ id: '01', publicKey: 'keys/missing.pem' }],
      encryptWith: '01',
      routes: [{ name: 'people', methods: ['POST'], path: '/x', json: ['$..ssn', '$..email'], form: ['pin'] }],
    });
    expect(problems).toEqual([{ where: 'keys[0] (01)', message: expect.stringContaining('cannot read public key file') }]);
  });
});
