import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { renderPage, type PageSettings } from './page';

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
 * `GET /records`, and serves the try-it page at `GET /`.
 */
export class SampleOrigin {
  private nextId: number;

  constructor(
    private readonly recordsFile: string,
    private readonly page: PageSettings,
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
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(renderPage(this.page));
      return;
    }
    if (req.method === 'GET' && path === '/records') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
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
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ stored: record.id }));
  }
}
