import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';

/** One request the sample origin received, as stored. */
export interface StoredRecord {
  readonly id: number;
  readonly receivedAt: string;
  readonly method: string;
  readonly uri: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * The sample origin: stores every submission it receives (any method but GET and HEAD) as one JSON
 * line in `recordsFile` (written synchronously, so a Ctrl-C never loses one), lists them at
 * `GET /records`, with CORS for the try-it page's origin (the decrypt endpoint's).
 */
export class SampleOrigin {
  private nextId: number;

  constructor(
    private readonly recordsFile: string,
    /** The try-it page's origin, allowed to submit and to read records cross-origin. */
    private readonly pageOrigin: string,
  ) {
    mkdirSync(dirname(recordsFile), { recursive: true });
    this.nextId = this.records().length + 1;
  }

  /** Every stored record, oldest first. */
  records(): StoredRecord[] {
    if (!existsSync(this.recordsFile)) return [];
    return readFileSync(this.recordsFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as StoredRecord);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?', 1)[0];
    const cors = { 'access-control-allow-origin': this.pageOrigin, vary: 'origin' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type' });
      res.end();
      return;
    }
    if (req.method === 'GET' && path === '/records') {
      res.writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(this.records()));
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Reads (a browser's favicon, say) are not submissions: nothing to store.
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'NotFound', message: 'the sample origin stores POST, PUT, PATCH and DELETE requests' }));
      return;
    }
    const record: StoredRecord = {
      id: this.nextId,
      receivedAt: new Date().toISOString(),
      method: req.method ?? 'GET',
      uri: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.nextId += 1;
    appendFileSync(this.recordsFile, `${JSON.stringify(record)}\n`);
    res.writeHead(201, { ...cors, 'content-type': 'application/json' });
    res.end(JSON.stringify({ stored: record.id }));
  }
}
