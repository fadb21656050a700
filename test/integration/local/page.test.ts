import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sparticuz from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/stack';
import { startTestStack } from '../../helpers/local-stack';

/**
 * The try-it page in the Chromium that the `@sparticuz/chromium` npm package ships inside itself
 * (no system browser, nothing apt-installed), driven by playwright-core: a person submits a record
 * and sees the three panes. Never skipped: a missing or broken browser fails the run.
 */
const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', '.artifacts');
let stack: LocalStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startTestStack(
    {},
    {
      keys: [{ id: '01', publicKey: 'keys/01.pem' }],
      encryptWith: '01',
      // As the shipped config: email is a searchable name everywhere, with a (dev) edge secret.
      names: [{ name: 'email', index: 'email' }],
      indexes: [{ name: 'email', normalize: ['trim', 'lowercase'] }],
      edgeSecret: { current: 1, versions: [{ version: 1, file: 'keys/edge-secret.1.json' }] },
      routes: [
        {
          name: 'people',
          methods: ['POST'],
          path: '/api/people*',
          json: ['$[*].ssn', '$..card.number'],
          form: ['ssn', 'card_number'],
        },
      ],
    },
  );
  // The package unpacks its brotli-compressed binary (and the shared libraries it needs) into the
  // temp folder on first use; its flags run it headless, sandbox-less as root, without a GPU.
  browser = await chromium.launch({
    executablePath: await sparticuz.executablePath(),
    // Without --single-process: in it, closing one page closes the whole browser.
    args: [
      ...sparticuz.args.filter((arg) => arg !== '--single-process'),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    headless: true,
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the try-it page', () => {
  it.each([
    ['Send as JSON', '#send-json', '"ssn": "#01#'],
    ['Send as form', '#send-form', 'ssn=%2301%23'],
  ])('%s shows what the browser sent, what the origin stored and what decrypt returns', async (_name, button, storedMarker) => {
    const page = await browser.newPage({ viewport: { width: 390, height: 900 } });
    try {
      await page.goto(stack.pageUrl);
      await page.fill('input[name=ssn]', '555-12-3456');
      await page.click(button);
      await page.waitForFunction("document.getElementById('status').textContent.startsWith('done')", undefined, { timeout: 20_000 });
      const sent = await page.textContent('#sent');
      const stored = await page.textContent('#stored');
      const decrypted = await page.textContent('#decrypted');
      expect(sent).toContain('555-12-3456');
      expect(stored).toContain(storedMarker);
      expect(stored).not.toContain('555-12-3456');
      expect(decrypted).toContain('555-12-3456');
      expect(decrypted).not.toContain('#01#');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `page-${button.slice(1)}.png`), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('signs up, refuses the same email in other case by the database, and logs in by the email marker', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 900 } });
    const status = async (): Promise<string> => {
      await page.waitForFunction("!document.getElementById('account-status').textContent.endsWith('…')", undefined, { timeout: 20_000 });
      return (await page.textContent('#account-status')) ?? '';
    };
    try {
      await page.goto(stack.pageUrl);
      await page.fill('#account-email', 'Alice@Example.com');
      await page.click('#sign-up');
      expect(await status()).toBe('signed up');
      await page.fill('#account-email', '  alice@EXAMPLE.com ');
      await page.click('#sign-up');
      expect(await status()).toBe('refused by the database: this email has an account');
      await page.fill('#account-email', 'ALICE@example.COM');
      await page.click('#log-in');
      expect(await status()).toBe('logged in: account found by its email marker');
      const answer = (await page.textContent('#account-answer')) ?? '';
      expect(answer).toMatch(/"email": "#01#D1\.email\.1\.1\.[A-Za-z0-9_-]+#10#"/);
      expect(answer.toLowerCase()).not.toContain('alice@example.com');
      await page.fill('#account-email', 'bob@example.com');
      await page.click('#log-in');
      expect(await status()).toBe('no account has this email');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'page-accounts.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
