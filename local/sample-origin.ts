import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
// Type only: the module loads node:sqlite when a sample origin opens, so every other command of
// the CLI still runs on a Node without it.
import type { DatabaseSync } from 'node:sqlite';

/** One request the sample origin received, as stored. */
export interface StoredRecord {
  readonly id: number;
  readonly receivedAt: string;
  readonly method: string;
  readonly uri: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A user as the sample origin's `users` table holds it: whatever the edge let through, markers included. */
export interface StoredUser {
  readonly id: number;
  readonly email: string;
  readonly name: string;
  readonly createdAt: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, method TEXT NOT NULL, uri TEXT NOT NULL,
  headers TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (email);
`;

/**
 * The sample origin, an application that knows nothing of edge-fle: a SQLite database
 * (`node:sqlite`) with every submission it receives (any method but GET and HEAD) in `records`,
 * listed at `GET /records`, and a small account service on top:
 *
 * - `POST /api/signup` (form or JSON: `email`, `name`) inserts into `users`, whose `email` column
 *   has a UNIQUE index: a second sign-up with the same address is refused by the database itself
 *   (409 `EmailTaken`), because the edge turned both spellings into the same searchable marker;
 * - `POST /api/login` (form or JSON: `email`) is `SELECT … FROM users WHERE email = ?` on the value
 *   it received, the marker, with no decrypt anywhere.
 *
 * CORS for the try-it page's origin (the decrypt endpoint's) only.
 */
export class SampleOrigin {
  private constructor(
    private readonly db: DatabaseSync,
    /** The try-it page's origin, allowed to submit and to read records cross-origin. */
    private readonly pageOrigin: string,
  ) {}

  /** Opens (or creates) the database file and its tables. */
  static async open(databaseFile: string, pageOrigin: string): Promise<SampleOrigin> {
    const { DatabaseSync } = await import('node:sqlite');
    mkdirSync(dirname(databaseFile), { recursive: true });
    const db = new DatabaseSync(databaseFile);
    db.exec(SCHEMA);
    return new SampleOrigin(db, pageOrigin);
  }

  /** Every stored record, oldest first. */
  records(): StoredRecord[] {
    return readRecords(this.db);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?', 1)[0];
    const cors = { 'access-control-allow-origin': this.pageOrigin, vary: 'origin' };
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type' });
      res.end();
      return;
    }
    if (req.method === 'GET' && path === '/records') return reply(200, this.records());
    if (req.method === 'GET' && path === '/users') return reply(200, this.users());
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Reads (a browser's favicon, say) are not submissions: nothing to store.
      return reply(404, { code: 'NotFound', message: 'the sample origin stores POST, PUT, PATCH and DELETE requests' });
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const stored = this.db
      .prepare('INSERT INTO records (received_at, method, uri, headers, body) VALUES (?, ?, ?, ?, ?)')
      .run(new Date().toISOString(), req.method ?? 'POST', req.url ?? '/', JSON.stringify(req.headers), body);
    const id = Number(stored.lastInsertRowid);
    if (req.method === 'POST' && path === '/api/signup') return this.signup(fieldsOf(body, req.headers['content-type']), id, reply);
    if (req.method === 'POST' && path === '/api/login') return this.login(fieldsOf(body, req.headers['content-type']), reply);
    reply(201, { stored: id });
  }

  private signup(fields: Record<string, string>, stored: number, reply: (status: number, body: unknown) => void): void {
    const { email, name = '' } = fields;
    if (!email) {
      reply(400, { code: 'MissingEmail', message: 'sign up needs an email' });
      return;
    }
    try {
      const user = this.db
        .prepare('INSERT INTO users (email, name, created_at) VALUES (?, ?, ?)')
        .run(email, name, new Date().toISOString());
      reply(201, { stored, user: Number(user.lastInsertRowid) });
    } catch (error) {
      // The UNIQUE index decides, not application code: the edge made equal emails equal markers.
      if (!(error instanceof Error && /UNIQUE constraint failed/.test(error.message))) throw error;
      reply(409, { code: 'EmailTaken', message: 'an account with this email exists (the database refused the duplicate)' });
    }
  }

  private login(fields: Record<string, string>, reply: (status: number, body: unknown) => void): void {
    const { email } = fields;
    const user = email
      ? this.db.prepare('SELECT id, email, name, created_at AS createdAt FROM users WHERE email = ?').get(email)
      : undefined;
    if (!email) reply(400, { code: 'MissingEmail', message: 'log in needs an email' });
    else if (!user) reply(404, { code: 'NoSuchUser', message: 'no account has this email' });
    else reply(200, { user });
  }

  private users(): StoredUser[] {
    return this.db.prepare('SELECT id, email, name, created_at AS createdAt FROM users ORDER BY id').all() as unknown as StoredUser[];
  }
}

/** The records in a sample origin's database file, oldest first (tests read the file with it). */
export async function readRecordsFile(file: string): Promise<StoredRecord[]> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return readRecords(db);
  } finally {
    db.close();
  }
}

function readRecords(handle: DatabaseSync): StoredRecord[] {
  const rows = handle.prepare('SELECT id, received_at, method, uri, headers, body FROM records ORDER BY id').all();
  return rows.map((row) => ({
    id: Number(row.id),
    receivedAt: String(row.received_at),
    method: String(row.method),
    uri: String(row.uri),
    headers: JSON.parse(String(row.headers)) as StoredRecord['headers'],
    body: String(row.body),
  }));
}

/** The string fields of a form or JSON object body (the first of repeated form fields). */
function fieldsOf(body: string, contentType: string | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  if (contentType?.includes('json')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') fields[name] = value;
      }
    } catch {
      // Not JSON: no fields.
    }
    return fields;
  }
  for (const [name, value] of new URLSearchParams(body)) if (!(name in fields)) fields[name] = value;
  return fields;
}
