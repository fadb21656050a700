import { Worker } from 'node:worker_threads';

/**
 * Runs a Lambda bundle (`index.js` exporting `handler`) the way Lambda does, for the local stack:
 * in its own container (a worker thread), loaded once and reused, with a timeout after which the
 * container is killed and the next invocation starts cold.
 */

/** Code run inside the worker: load the bundle as CommonJS, answer invocations. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
let handler;
try {
  handler = createRequire(workerData.file)(workerData.file).handler;
} catch (error) {
  handler = () => { throw error; };
}
parentPort.on('message', async ({ id, event }) => {
  try {
    const result = await handler(event, { functionName: 'local', awsRequestId: id });
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: { name: String(error && error.name), message: String(error && error.message) } });
  }
});
`;

/** Why an invocation produced no result. */
export class InvocationError extends Error {
  constructor(
    readonly kind: 'FunctionError' | 'Timeout',
    message: string,
  ) {
    super(message);
    this.name = 'InvocationError';
  }
}

export interface LambdaRuntimeOptions {
  /** The bundle file. */
  readonly file: string;
  /** Lambda's timeout: past it the container is killed (default 30 s, the origin-request maximum). */
  readonly timeoutMs?: number;
  /** Receives each line the function logs. */
  readonly log?: (line: string) => void;
}

/** A warm container, restarted after a timeout. */
export class LambdaRuntime {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(private readonly options: LambdaRuntimeOptions) {}

  /** Invokes the handler with `event`; rejects with an InvocationError when it throws or times out. */
  invoke(event: unknown): Promise<unknown> {
    const worker = this.container();
    this.nextId += 1;
    const id = this.nextId;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.kill();
        reject(new InvocationError('Timeout', `the function ran past its ${timeoutMs} ms timeout`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      worker.postMessage({ id, event });
    });
  }

  /** Stops the container. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private container(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.options.file }, stdout: true });
    let buffered = '';
    worker.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line) this.options.log?.(line);
    });
    worker.on('message', ({ id, result, error }: { id: number; result?: unknown; error?: { name: string; message: string } }) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (!waiting) return;
      if (error) waiting.reject(new InvocationError('FunctionError', `${error.name}: ${error.message}`));
      else waiting.resolve(result);
    });
    worker.on('error', (error) => {
      for (const waiting of this.pending.values()) waiting.reject(new InvocationError('FunctionError', error.message));
      this.pending.clear();
      this.worker = undefined;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private kill(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }
}
