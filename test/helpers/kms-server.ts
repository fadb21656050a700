import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  privateDecrypt,
  randomBytes,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A KMS-protocol endpoint on 127.0.0.1 for tests: AWS JSON 1.1, `X-Amz-Target: TrentService.*`,
 * real RSA private keys behind it. It checks what KMS checks for RSA `Decrypt` (KeyId required,
 * EncryptionAlgorithm an RSA one, no EncryptionContext, key usage), answers `GetPublicKey`, returns
 * KMS-shaped errors with their HTTP status, and lets a test inject faults and latency. P-256 keys
 * (usage KEY_AGREEMENT) answer `DeriveSharedSecret` (ECDH, the peer's DER SPKI) as KMS does.
 * Symmetric keys (`symmetricKey`, SYMMETRIC_DEFAULT) answer `GenerateDataKey`,
 * `GenerateDataKeyWithoutPlaintext` and `Decrypt` with an encryption context, which binds the
 * ciphertext as KMS binds it (a different context fails with InvalidCiphertextException).
 */

/** A key held by the fake KMS. */
export interface FakeKmsKey {
  readonly arn: string;
  /** An asymmetric key's private key (PKCS#8 PEM); empty for a symmetric key. */
  readonly privateKeyPem: string;
  /** A symmetric key's 256-bit key material (SYMMETRIC_DEFAULT). */
  readonly symmetricKey?: Buffer;
  /** Alias ARNs that name it too (KMS resolves an alias in KeyId). */
  readonly aliases?: readonly string[];
  readonly keySpec?: string;
  readonly keyUsage?: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'KEY_AGREEMENT';
  readonly enabled?: boolean;
}

/** What the endpoint does instead of (or before) answering. */
export type Fault =
  | { readonly kind: 'error'; readonly status: number; readonly type: string; readonly message?: string }
  | { readonly kind: 'delay'; readonly ms: number };

/** One request the endpoint received. */
export interface SeenRequest {
  readonly target: string;
  readonly body: Record<string, unknown>;
  readonly signed: boolean;
}

export interface FakeKms {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Most requests in flight at once since the start (or the last reset). */
  readonly maxInFlight: number;
  /** Latency added to every answer, in ms. */
  latencyMs: number;
  /** Decides a fault per request (after latency); undefined answers normally. */
  fault: ((request: SeenRequest, index: number) => Fault | undefined) | undefined;
  /**
   * Holds every answer until `count` requests are in flight at once, or `timeoutMs` has passed.
   * A concurrency test then sees the client's real limit, whatever the machine's load.
   */
  holdUntilInFlight(count: number, timeoutMs: number): void;
  /** Holds one more key from now on (CreateKey, as a deployment harness needs it). */
  addKey(key: FakeKmsKey): void;
  reset(): void;
  close(): Promise<void>;
}

const JSON_11 = 'application/x-amz-json-1.1';
const RSA_ALGORITHMS = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];

class KmsFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the endpoint on an ephemeral loopback port. */
export async function startFakeKms(keys: readonly FakeKmsKey[], identity = STS_IDENTITY): Promise<FakeKms> {
  const byId = new Map<string, FakeKmsKey>();
  const addKey = (key: FakeKmsKey): void => {
    byId.set(key.arn, key);
    byId.set(key.arn.split('/').pop() ?? key.arn, key);
    for (const alias of key.aliases ?? []) byId.set(alias, key);
  };
  for (const key of keys) addKey(key);
  let inFlight = 0;
  let gate: { readonly count: number; readonly open: Promise<void>; readonly release: () => void } | undefined;
  const state = {
    requests: [] as SeenRequest[],
    maxInFlight: 0,
    latencyMs: 0,
    fault: undefined as FakeKms['fault'],
  };

  const findKey = (keyId: unknown): FakeKmsKey => {
    if (typeof keyId !== 'string' || keyId === '')
      throw new KmsFailure(400, 'ValidationException', 'KeyId is required for asymmetric KMS keys');
    const key = byId.get(keyId);
    if (!key) throw new KmsFailure(400, 'NotFoundException', `Key '${keyId}' does not exist`);
    if (key.enabled === false) throw new KmsFailure(400, 'DisabledException', `${key.arn} is disabled.`);
    return key;
  };

  /** Symmetric ciphertext: the key's ARN, then AES-256-GCM under the key with the context as additional data. */
  const sealSymmetric = (key: FakeKmsKey, material: Buffer, plaintext: Buffer, context: unknown): Buffer => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', material, iv);
    cipher.setAAD(contextBytes(context));
    const arn = Buffer.from(key.arn, 'utf8');
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([arn.length]), arn, iv, sealed, cipher.getAuthTag()]);
  };
  const openSymmetric = (body: Record<string, unknown>): Record<string, unknown> => {
    if (typeof body.CiphertextBlob !== 'string') throw new KmsFailure(400, 'ValidationException', 'CiphertextBlob is required');
    const blob = Buffer.from(body.CiphertextBlob, 'base64');
    const arnLength = blob[0] ?? 0;
    const key = byId.get(blob.subarray(1, 1 + arnLength).toString('utf8'));
    if (!key?.symmetricKey && body.KeyId === undefined) {
      throw new KmsFailure(400, 'ValidationException', 'KeyId is required for asymmetric KMS keys');
    }
    if (!key?.symmetricKey) throw new KmsFailure(400, 'InvalidCiphertextException', '');
    if (key.enabled === false) throw new KmsFailure(400, 'DisabledException', `${key.arn} is disabled.`);
    if (body.KeyId !== undefined && byId.get(String(body.KeyId)) !== key) {
      throw new KmsFailure(
        400,
        'IncorrectKeyException',
        'The key ID in the request does not identify a KMS key that can perform this operation.',
      );
    }
    if (body.EncryptionAlgorithm !== undefined && body.EncryptionAlgorithm !== 'SYMMETRIC_DEFAULT') {
      throw new KmsFailure(400, 'InvalidKeyUsageException', `${key.arn} is a symmetric key`);
    }
    const at = 1 + arnLength;
    const decipher = createDecipheriv('aes-256-gcm', key.symmetricKey, blob.subarray(at, at + 12));
    decipher.setAAD(contextBytes(body.EncryptionContext));
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    try {
      const plaintext = Buffer.concat([decipher.update(blob.subarray(at + 12, blob.length - 16)), decipher.final()]);
      return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    } catch {
      throw new KmsFailure(400, 'InvalidCiphertextException', '');
    }
  };
  const generateDataKey = (body: Record<string, unknown>): { key: FakeKmsKey; plaintext: Buffer; blob: Buffer } => {
    const key = findKey(body.KeyId);
    if (!key.symmetricKey) throw new KmsFailure(400, 'InvalidKeyUsageException', `${key.arn} is not a symmetric encryption key`);
    const bytes = body.KeySpec === 'AES_256' ? 32 : body.KeySpec === 'AES_128' ? 16 : Number(body.NumberOfBytes);
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024)
      throw new KmsFailure(400, 'ValidationException', 'KeySpec or NumberOfBytes is required');
    const plaintext = randomBytes(bytes);
    return { key, plaintext, blob: sealSymmetric(key, key.symmetricKey, plaintext, body.EncryptionContext) };
  };

  const operations: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey(body) {
      const { key, plaintext, blob } = generateDataKey(body);
      return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), CiphertextBlob: blob.toString('base64') };
    },
    GenerateDataKeyWithoutPlaintext(body) {
      const { key, blob } = generateDataKey(body);
      return { KeyId: key.arn, CiphertextBlob: blob.toString('base64') };
    },
    Decrypt(body) {
      // Symmetric ciphertext names its key (KeyId optional); asymmetric needs KeyId.
      if (body.KeyId === undefined || byId.get(String(body.KeyId))?.symmetricKey) return openSymmetric(body);
      const key = findKey(body.KeyId);
      if (body.EncryptionContext !== undefined) {
        throw new KmsFailure(400, 'ValidationException', 'EncryptionContext is not supported for asymmetric KMS keys');
      }
      if (key.keyUsage === 'SIGN_VERIFY' || key.keyUsage === 'KEY_AGREEMENT') {
        throw new KmsFailure(400, 'InvalidKeyUsageException', `${key.arn} key usage is ${key.keyUsage}`);
      }
      const algorithm = body.EncryptionAlgorithm;
      if (typeof algorithm !== 'string' || !RSA_ALGORITHMS.includes(algorithm)) {
        throw new KmsFailure(
          400,
          'InvalidKeyUsageException',
          `The key usage ENCRYPT_DECRYPT with algorithm ${String(algorithm ?? 'SYMMETRIC_DEFAULT')} is not supported for ${key.arn}`,
        );
      }
      if (typeof body.CiphertextBlob !== 'string') throw new KmsFailure(400, 'ValidationException', 'CiphertextBlob is required');
      let plaintext: Buffer;
      try {
        plaintext = privateDecrypt(
          {
            key: key.privateKeyPem,
            padding: constants.RSA_PKCS1_OAEP_PADDING,
            oaepHash: algorithm === 'RSAES_OAEP_SHA_256' ? 'sha256' : 'sha1',
          },
          Buffer.from(body.CiphertextBlob, 'base64'),
        );
      } catch {
        throw new KmsFailure(400, 'InvalidCiphertextException', '');
      }
      return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: algorithm };
    },
    DeriveSharedSecret(body) {
      const key = findKey(body.KeyId);
      if (key.keyUsage !== 'KEY_AGREEMENT')
        throw new KmsFailure(400, 'InvalidKeyUsageException', `${key.arn} key usage is not KEY_AGREEMENT`);
      if (body.KeyAgreementAlgorithm !== 'ECDH') throw new KmsFailure(400, 'ValidationException', 'KeyAgreementAlgorithm must be ECDH');
      if (typeof body.PublicKey !== 'string') throw new KmsFailure(400, 'ValidationException', 'PublicKey is required');
      let secret: Buffer;
      try {
        const peer = createPublicKey({ key: Buffer.from(body.PublicKey, 'base64'), format: 'der', type: 'spki' });
        secret = diffieHellman({ privateKey: createPrivateKey(key.privateKeyPem), publicKey: peer });
      } catch {
        throw new KmsFailure(400, 'ValidationException', 'PublicKey is not a valid public key of the key spec');
      }
      return { KeyId: key.arn, SharedSecret: secret.toString('base64'), KeyAgreementAlgorithm: 'ECDH', KeyOrigin: 'AWS_KMS' };
    },
    GetPublicKey(body) {
      const key = findKey(body.KeyId);
      const publicKey = createPublicKey(key.privateKeyPem);
      if (publicKey.asymmetricKeyType === 'ec') {
        return {
          KeyId: key.arn,
          PublicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
          KeySpec: 'ECC_NIST_P256',
          KeyUsage: key.keyUsage ?? 'KEY_AGREEMENT',
          KeyAgreementAlgorithms: ['ECDH'],
        };
      }
      const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
      const usage = key.keyUsage ?? 'ENCRYPT_DECRYPT';
      return {
        KeyId: key.arn,
        PublicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        KeySpec: key.keySpec ?? `RSA_${bits}`,
        KeyUsage: usage,
        ...(usage === 'ENCRYPT_DECRYPT'
          ? { EncryptionAlgorithms: RSA_ALGORITHMS }
          : { SigningAlgorithms: ['RSASSA_PSS_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256'] }),
      };
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      body = {};
    }
    const seen: SeenRequest = { target, body, signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256') };
    const index = state.requests.push(seen) - 1;
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    if (gate && inFlight >= gate.count) gate.release();
    // A request stops being in flight when answered or when the client gives up on it.
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        inFlight -= 1;
      }
    };
    res.on('close', finish);
    try {
      if (gate) await gate.open;
      if (state.latencyMs > 0) await sleep(state.latencyMs);
      const fault = state.fault?.(seen, index);
      if (fault?.kind === 'delay') await sleep(fault.ms);
      if (fault?.kind === 'error') throw new KmsFailure(fault.status, fault.type, fault.message ?? fault.type);
      // STS (AWS query protocol) shares the endpoint: the deploy's credential check.
      if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        sendStsIdentity(res, Buffer.concat(chunks).toString('utf8'), identity);
        return;
      }
      if (req.headers['content-type'] !== JSON_11)
        throw new KmsFailure(400, 'SerializationException', 'expected application/x-amz-json-1.1');
      const [service, operation = ''] = target.split('.');
      const run = service === 'TrentService' ? operations[operation] : undefined;
      if (!run) throw new KmsFailure(400, 'UnknownOperationException', '');
      send(res, 200, run(body));
    } catch (error) {
      const failure = error instanceof KmsFailure ? error : new KmsFailure(500, 'KMSInternalException', 'internal error');
      send(res, failure.status, { __type: failure.type, message: failure.message });
    } finally {
      finish();
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms;
    },
    get fault() {
      return state.fault;
    },
    set fault(fault) {
      state.fault = fault;
    },
    holdUntilInFlight(count, timeoutMs) {
      let release = (): void => {};
      const open = new Promise<void>((resolve) => {
        release = resolve;
        setTimeout(resolve, timeoutMs).unref();
      });
      gate = { count, open, release };
    },
    addKey,
    reset() {
      gate = undefined;
      state.requests = [];
      state.maxInFlight = 0;
      state.fault = undefined;
      state.latencyMs = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_11, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': 'fake-kms' });
  res.end(text);
}

/** The caller STS GetCallerIdentity reports. */
const STS_IDENTITY = { account: '111122223333', arn: 'arn:aws:iam::111122223333:user/deployer' };

function sendStsIdentity(res: ServerResponse, form: string, identity: { account: string; arn: string }): void {
  const ok = new URLSearchParams(form).get('Action') === 'GetCallerIdentity';
  const xml = ok
    ? `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${identity.arn}</Arn><UserId>AIDALOOPBACK</UserId><Account>${identity.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake-sts</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
    : '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>unsupported</Message></Error><RequestId>fake-sts</RequestId></ErrorResponse>';
  res.writeHead(ok ? 200 : 400, { 'content-type': 'text/xml' });
  res.end(xml);
}

/** An encryption context as additional data: its pairs sorted by key, as KMS canonicalises it. */
function contextBytes(context: unknown): Buffer {
  const pairs = context && typeof context === 'object' ? Object.entries(context as Record<string, unknown>) : [];
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
