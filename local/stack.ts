import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { KMSClient } from '@aws-sdk/client-kms';
import { buildEdgeBundle } from '../cli/bundle';
import type { FleConfig } from '../core/config';
import { createDecryptor, type DecryptKey, keyringFor } from '../decrypt/decryptor';
import { decryptSecretOptions } from '../decrypt/provenance';
import { handleViewer, sendError } from './cloudfront';
import { handleDecrypt } from './decrypt-endpoint';
import { LambdaRuntime } from './lambda-runtime';
import { renderPage } from './page';
import { SampleOrigin } from './sample-origin';

/** How to run the local stack. Ports 0 pick free ones. */
export interface LocalStackOptions {
  readonly config: FleConfig;
  /** Folder of the config file (key files are relative to it). */
  readonly configDir: string;
  /** Key id → PKCS#8 PEM text, for the decrypt endpoint. Keys without one use a dev private key beside the public one, else KMS. */
  readonly privateKeys?: ReadonlyMap<string, string>;
  readonly edgePort?: number;
  readonly originPort?: number;
  readonly decryptPort?: number;
  /** A real origin to forward to instead of the sample one. */
  readonly origin?: string;
  /** Where records and the built bundle go (default `.local`). */
  readonly dataDir?: string;
  /** Run this bundle instead of building one for the config (tests use broken ones). */
  readonly bundleFile?: string;
  /** The function's timeout (default 30 s, as Lambda@Edge origin-request). */
  readonly functionTimeoutMs?: number;
  readonly kmsClient?: KMSClient;
  /** Receives the edge function's log lines. */
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly edgeUrl: string;
  readonly originUrl: string;
  readonly decryptUrl: string;
  /** The try-it page, served beside the decrypt endpoint (same origin). */
  readonly pageUrl: string;
  /** A ready-to-paste curl line that sends the sample body through the edge. */
  readonly curl: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** A path on the first route with fields, with its wildcards filled in, to submit to. */
export function submitPath(config: FleConfig): string {
  const route = config.routes.find((r) => r.json.length > 0 && (r.methods as readonly string[]).includes('POST')) ?? config.routes[0];
  return (route?.path ?? '/').replace(/\*/g, '').replace(/\?/g, 'x') || '/';
}

/** The decrypt keyring: given private keys, else dev private keys beside the public ones, else KMS. */
export function localDecryptKeys(config: FleConfig, configDir: string, privateKeys: ReadonlyMap<string, string> = new Map()): DecryptKey[] {
  const found = new Map(privateKeys);
  for (const key of config.keys) {
    const beside = resolve(configDir, key.publicKeyFile.replace(/\.pem$/, '.key.pem'));
    if (!found.has(key.id) && key.publicKeyFile.endsWith('.pem') && existsSync(beside)) found.set(key.id, readFileSync(beside, 'utf8'));
  }
  return keyringFor(config.keys, found);
}

function listen(server: Server, port: number, flag: string): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'EADDRINUSE' ? new Error(`port ${port} is already in use: pass ${flag} <another port>`) : error);
    });
    server.listen(port, HOST, () => done((server.address() as AddressInfo).port));
  });
}

function serve(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
  return createServer((req, res) => {
    handler(req, res).catch(() => sendError(res, 500, 'InternalError', 'the local stack failed on this request'));
  });
}

/** Starts the sample origin, the decrypt endpoint and the CloudFront stand-in. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.local');
  const bundleFile = options.bundleFile ?? (await buildEdgeBundle(options.config, join(dataDir, 'edge'))).file;
  const runtime = new LambdaRuntime({
    file: bundleFile,
    timeoutMs: options.functionTimeoutMs ?? 30_000,
    ...(options.log ? { log: options.log } : {}),
  });
  const decryptor = createDecryptor({
    keys: localDecryptKeys(options.config, options.configDir, options.privateKeys),
    knownKeyIds: options.config.keys.map((k) => k.id),
    ...(options.config.edgeSecret ? { secret: decryptSecretOptions(options.config.edgeSecret, options.config.indexes) } : {}),
    ...(options.kmsClient ? { kmsClient: options.kmsClient } : {}),
  });
  const servers: Server[] = [];
  const closers: (() => void)[] = [];
  const close = async (): Promise<void> => {
    await runtime.close();
    for (const closeOne of closers) closeOne();
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      ),
    );
  };
  try {
    // Each part needs another's address (the page: the edge's; the origin's CORS: the page's), so
    // the edge starts first and learns its origin once that listens.
    let originUrl: URL | undefined;
    const edge = serve(async (req, res) => {
      if (originUrl) await handleViewer(req, res, runtime, originUrl);
      else sendError(res, 503, 'Starting', 'the local stack is still starting');
    });
    const edgePort = await listen(edge, options.edgePort ?? 8080, '--edge-port');
    servers.push(edge);
    const edgeUrl = `http://${HOST}:${edgePort}`;
    const pageSettings = {
      submitUrl: `${edgeUrl}${submitPath(options.config)}`,
      recordsUrl: `${edgeUrl}/records`,
      signupUrl: `${edgeUrl}/api/signup`,
      loginUrl: `${edgeUrl}/api/login`,
    };
    let decryptUrl = '';
    const decryptServer = serve(async (req, res) => handleDecrypt(req, res, decryptor, decryptUrl, () => renderPage(pageSettings)));
    const decryptPort = await listen(decryptServer, options.decryptPort ?? 8082, '--decrypt-port');
    servers.push(decryptServer);
    decryptUrl = `http://${HOST}:${decryptPort}`;
    if (options.origin) {
      originUrl = new URL(options.origin);
    } else {
      const sample = await SampleOrigin.open(join(dataDir, 'origin.sqlite'), decryptUrl);
      closers.push(() => sample.close());
      const originServer = serve(async (req, res) => sample.handle(req, res));
      const originPort = await listen(originServer, options.originPort ?? 8081, '--origin-port');
      servers.push(originServer);
      originUrl = new URL(`http://${HOST}:${originPort}`);
    }
    const sampleBody = join(dirname(options.configDir), 'examples', 'people.json');
    const curl = `curl -sS ${edgeUrl}${submitPath(options.config)} -H 'content-type: application/json' --data-binary @${existsSync(sampleBody) ? sampleBody : 'body.json'}`;
    return { edgeUrl, originUrl: originUrl.origin, decryptUrl: `${decryptUrl}/decrypt`, pageUrl: `${decryptUrl}/`, curl, close };
  } catch (error) {
    await close();
    throw error;
  }
}
