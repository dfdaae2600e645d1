import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kind, parse } from 'graphql';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warmGraphiqlAssets } from '../../src/graphiql.js';
import { loadGraphiqlTabs } from '../../src/graphiqlTabs.js';
import {
  ChargesDocument,
  CreateChargeDocument,
  SandboxSettleTransactionDocument,
} from '../generated/graphql.js';
import { startTestGateway, type TestGateway, testClient } from '../support/harness.js';

/**
 * GraphiQL in a real Chromium, driven as a user would: every operation of every tab in
 * schema/operations is run through the UI (run button, then the operation picker) on a fresh
 * gateway and must show data and no errors; the live-status subscription runs in one window while
 * another settles a charge; with API clients, a token typed into the Headers pane is enough; and a
 * page on another site can neither run a mutation nor subscribe. Any console error on a GraphiQL
 * page fails the suite. Screenshots go to test/browser/screenshots/ (git-ignored).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const OPERATIONS = new URL('../../schema/operations/', import.meta.url);
/** Headless Chromium, nothing phoning home, a fresh profile per window. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const UI_TIMEOUT = 30_000;

const contexts: BrowserContext[] = [];
const profiles: string[] = [];
const consoleErrors: string[] = [];
let gw: TestGateway;

async function openBrowser(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'paygraph-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1600, height: 1000 },
  });
  contexts.push(context);
  return context;
}

/** A page's address without the query GraphiQL keeps in it. */
const where = (page: Page) => page.url().split('?')[0];

/** A GraphiQL window; its console errors and uncaught exceptions are collected for the final check. */
async function openGraphiql(url: string, context?: BrowserContext): Promise<Page> {
  const browser = context ?? (await openBrowser());
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${where(page)}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${where(page)}: ${error.message}`));
  await page.goto(`${url}/graphql`);
  await page.locator('.graphiql-tab-button').first().waitFor({ timeout: UI_TIMEOUT });
  return page;
}

/**
 * Opens a tab by its position (a tab's title follows the operation last run in it). The first click
 * can land while GraphiQL is still loading the schema, so it clicks until the tab is active.
 */
async function selectTab(page: Page, index: number): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.locator('.graphiql-tab-button').nth(index).click();
        return page.locator('.graphiql-tab').nth(index).getAttribute('class');
      },
      { timeout: UI_TIMEOUT, interval: 250 },
    )
    .toMatch(/graphiql-tab-active/);
  // The run button acts on the editor's document: wait until it holds this tab's operations.
  const first = tabs[index]?.operations[0]?.name ?? '';
  await expect
    .poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: UI_TIMEOUT })
    .toContain(first);
}

/**
 * Presses run; a tab with several operations then asks which one, as GraphiQL does for a user. A
 * press that lands while GraphiQL is still busy (a previous result arriving) opens no menu: press again.
 */
async function run(page: Page, operation: string, operationsInTab: number): Promise<void> {
  if (operationsInTab === 1) {
    // Pressed again only when the first press sent nothing, so nothing ever runs twice.
    await expect
      .poll(
        async () => {
          const sent = page.waitForRequest((request) => request.method() === 'POST', { timeout: 3000 });
          await page.locator('.graphiql-execute-button').click();
          return sent.then(
            () => true,
            () => false,
          );
        },
        { timeout: UI_TIMEOUT },
      )
      .toBe(true);
    return;
  }
  const item = page.getByRole('menuitem', { name: operation, exact: true });
  await expect
    .poll(
      async () => {
        // Never press while it reads "Stop": that would end a subscription this press started.
        const idle = page.locator('.graphiql-execute-button[aria-label^="Execute"]');
        if (!(await item.isVisible()) && (await idle.isVisible())) await idle.click();
        return item.waitFor({ timeout: 2000 }).then(
          () => true,
          () => false,
        );
      },
      { timeout: UI_TIMEOUT },
    )
    .toBe(true);
  await item.click();
}

interface Result {
  data?: Record<string, unknown> | null;
  errors?: unknown;
}

/** What the result pane shows (Monaco renders what fits on screen: enough for these checks). */
const pane = async (page: Page) =>
  (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');

/**
 * Runs a query or mutation through the UI and returns the result GraphiQL received, once its
 * result pane shows it.
 */
async function runForResult(page: Page, operation: string, operationsInTab: number): Promise<Result> {
  const answered = page.waitForResponse(
    (response) => {
      if (response.request().method() !== 'POST') return false;
      const sent = JSON.parse(response.request().postData() ?? '{}') as {
        operationName?: string;
        query?: string;
      };
      // GraphiQL may leave operationName out when the document has only that operation.
      return (sent.operationName ?? /(?:query|mutation) (\w+)/.exec(sent.query ?? '')?.[1]) === operation;
    },
    { timeout: UI_TIMEOUT },
  );
  await run(page, operation, operationsInTab);
  const response = await answered.catch(async (error: unknown) => {
    await page.screenshot({ path: `${SCREENSHOTS}failed-${operation}.png` });
    throw error;
  });
  const result = (await response.json()) as Result;
  const firstField = Object.keys(result.data ?? {})[0] ?? 'errors';
  await expect.poll(() => pane(page), { timeout: UI_TIMEOUT }).toContain(`"${firstField}"`);
  return result;
}

/** The latest subscription event the result pane shows. */
async function nextEvent(page: Page): Promise<Result> {
  await expect.poll(() => pane(page), { timeout: UI_TIMEOUT }).toMatch(/^\{\s*"(data|errors)"/);
  return JSON.parse(await pane(page)) as Result;
}

/** Every userErrors list in a result, wherever it is. */
function userErrorsIn(value: unknown): unknown[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'userErrors' && Array.isArray(inner) ? inner : userErrorsIn(inner),
  );
}

interface Tab {
  title: string;
  operations: { name: string; kind: string }[];
}

let tabs: Tab[];
/** The position of the tab that holds an operation. */
const tabIndex = (operation: string) =>
  tabs.findIndex((tab) => tab.operations.some((op) => op.name === operation));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  tabs = (await loadGraphiqlTabs(OPERATIONS)).map(({ query }) => {
    const operations = parse(query).definitions.flatMap((d) =>
      d.kind === Kind.OPERATION_DEFINITION && d.name ? [{ name: d.name.value, kind: d.operation }] : [],
    );
    return { title: operations[0]?.name ?? '', operations };
  });
  // Compressing GraphiQL's files is the slow part of a first visit; start it with the gateway.
  [gw] = await Promise.all([startTestGateway(), warmGraphiqlAssets()]);
}, 120_000);

afterAll(async () => {
  // Checked before the windows close: closing cuts running subscriptions, which Chromium reports.
  const errors = [...consoleErrors];
  await Promise.allSettled(contexts.map((context) => context.close()));
  for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  gw?.expectNoLeaks();
  await gw?.close();
  expect(errors).toEqual([]);
});

describe('GraphiQL in Chromium', () => {
  const ran = new Set<string>();

  it('shows live status: a subscription in one window sees a charge settled in another', async () => {
    const watcher = await openGraphiql(gw.url);
    await selectTab(watcher, tabIndex('TransactionStatusChanged'));
    await run(watcher, 'TransactionStatusChanged', 2);
    // Subscribed once the run button turns into a stop button.
    await watcher.locator('.graphiql-execute-button[aria-label^="Stop"]').waitFor();
    const payer = await openGraphiql(gw.url);
    await selectTab(payer, tabIndex('SandboxSettleTransaction'));
    const settled = await runForResult(payer, 'SandboxSettleTransaction', 1);
    expect(settled).toMatchObject({ data: { sandboxSettleTransaction: { userErrors: [] } } });
    await payer.screenshot({ path: `${SCREENSHOTS}live-settle.png` });
    const event = await nextEvent(watcher);
    expect(event.errors).toBeUndefined();
    expect(event.data).toMatchObject({
      transactionStatusChanged: {
        status: 'SUCCEEDED',
        transaction: { providerId: 'ch_7' },
      },
    });
    await watcher.screenshot({ path: `${SCREENSHOTS}live-event.png` });
    ran.add('TransactionStatusChanged').add('SandboxSettleTransaction');
  }, 120_000);

  it('runs every operation of every tab through the UI with the variables it opens with', async () => {
    // A first visit (fresh profile) transfers at most 2 MB: the page, its five compressed files
    // (script, stylesheet, Monaco's three workers) and the schema.
    const context = await openBrowser();
    const loaded: { url: string; bytes: number }[] = [];
    // Chromium reports no body size for a worker's script: its content-length says what was sent.
    context.on('requestfinished', (request) => {
      void Promise.all([request.sizes(), request.response()]).then(([sizes, response]) => {
        const sent = Math.max(sizes.responseBodySize, Number(response?.headers()['content-length'] ?? 0));
        loaded.push({ url: request.url(), bytes: sent + sizes.responseHeadersSize });
      });
    });
    const page = await openGraphiql(gw.url, context);
    await expect
      .poll(() => loaded.filter(({ url }) => url.includes('/graphiql/')).length, { timeout: UI_TIMEOUT })
      .toBe(5);
    // A second worker from the same URL comes from the browser's cache (the server sees one request).
    const once = new Map(loaded.map(({ url, bytes }, i) => [url.includes('/graphiql/') ? url : i, bytes]));
    const transferred = [...once.values()].reduce((sum, bytes) => sum + bytes, 0);
    expect(transferred).toBeLessThanOrEqual(2_000_000);
    expect((await page.locator('.graphiql-tab-button').allTextContents()).map((t) => t.trim())).toEqual(
      tabs.map((tab) => tab.title),
    );
    for (const [index, tab] of tabs.entries()) {
      await selectTab(page, index);
      for (const { name, kind } of tab.operations) {
        if (ran.has(name)) continue;
        let answer: Result;
        if (kind === 'subscription') {
          await run(page, name, tab.operations.length);
          await page.locator('.graphiql-execute-button[aria-label^="Stop"]').waitFor();
          // A live event for it: a new charge, settled (a subscription without `after` sees only new ones).
          const created = await gw.gql(CreateChargeDocument, {
            input: { amount: '500', currency: 'JPY', paymentMethod: 'creditcard' },
          });
          const id = created.data?.createCharge.charge?.id ?? '';
          await gw.gql(SandboxSettleTransactionDocument, {
            input: { transactionId: id, outcome: 'SUCCEED' },
          });
          answer = await nextEvent(page).catch(async (error: unknown) => {
            await page.screenshot({ path: `${SCREENSHOTS}failed-${name}.png` });
            throw error;
          });
        } else {
          answer = await runForResult(page, name, tab.operations.length);
        }
        await page.screenshot({ path: `${SCREENSHOTS}${tab.title}-${name}.png` });
        expect({ name, errors: answer.errors }).toEqual({ name, errors: undefined });
        expect({ name, data: answer.data }).not.toEqual({ name, data: null });
        expect({ name, userErrors: userErrorsIn(answer.data) }).toEqual({ name, userErrors: [] });
        // A subscription runs until stopped: stop it before the next operation.
        if (kind === 'subscription') await page.locator('.graphiql-execute-button').click();
        ran.add(name);
      }
    }
    const everyOperation = [...new Set(tabs.flatMap((tab) => tab.operations.map((op) => op.name)))];
    expect([...ran].sort()).toEqual(everyOperation.sort());
  }, 180_000);

  it('subscribes with an API token typed into the Headers pane, and only with it', async () => {
    const { token, client } = testClient('graphiql', ['read', 'write']);
    const secured = await startTestGateway({ PAYGRAPH_CLIENTS: JSON.stringify([client]) });
    try {
      const page = await openGraphiql(secured.url);
      await selectTab(page, tabIndex('TransactionStatusChanged'));
      await page.getByRole('button', { name: 'Headers' }).click();
      const headers = page.locator('.graphiql-editor-tool .monaco-editor').last();
      await expect
        .poll(
          async () => {
            await headers.click();
            await page.keyboard.press('Control+A');
            await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));
            return (await headers.innerText()).replace(/\u00a0/g, ' ');
          },
          { timeout: UI_TIMEOUT },
        )
        .toContain('"Authorization"');
      await run(page, 'TransactionStatusChanged', 2);
      await page.locator('.graphiql-execute-button[aria-label^="Stop"]').waitFor();
      const settled = await secured.gql(
        SandboxSettleTransactionDocument,
        { input: { transactionId: 'Q2hhcmdlOmVsZXBheTpjaF83', outcome: 'SUCCEED' } },
        { authorization: `Bearer ${token}` },
      );
      expect(settled.data?.sandboxSettleTransaction.userErrors).toEqual([]);
      const event = await nextEvent(page);
      expect(event.errors).toBeUndefined();
      expect(event.data).toMatchObject({ transactionStatusChanged: { status: 'SUCCEEDED' } });
      await page.screenshot({ path: `${SCREENSHOTS}token-subscription.png` });
      // Stopped by the user, not cut by the gateway closing (which Chromium would report).
      await page.locator('.graphiql-execute-button').click();
      await page.locator('.graphiql-execute-button[aria-label^="Execute"]').waitFor();
      await page.context().close();
      // Before the token was typed, GraphiQL's schema requests were refused (401): Chromium logged that.
      const refused = consoleErrors.filter((line) => line.startsWith(`${secured.url}/graphql:`));
      expect(refused.length).toBeGreaterThan(0);
      for (const line of refused) expect(line).toMatch(/status of 401 \(Unauthorized\)$/);
      consoleErrors.splice(
        0,
        consoleErrors.length,
        ...consoleErrors.filter((line) => !refused.includes(line)),
      );
      secured.expectNoLeaks([token]);
    } finally {
      await secured.close();
    }
  }, 120_000);
});

describe('a page on another site', () => {
  let site: Server;
  beforeAll(async () => {
    site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    site.closeAllConnections();
    await new Promise<void>((resolve) => site.close(() => resolve()));
  });

  it('can neither run a mutation nor subscribe, by any request a browser sends without a preflight', async () => {
    const context = await openBrowser();
    const page = context.pages()[0] ?? (await context.newPage());
    // `localhost` is another site than the gateway's 127.0.0.1.
    await page.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
    const before = (await gw.gql(ChargesDocument, { first: 1 })).data?.charges?.totalCount;
    const mutation =
      'mutation { createCharge(input: { amount: "1", currency: "JPY", paymentMethod: "creditcard" }) { charge { id } } }';
    const subscription = 'subscription { transactionStatusChanged { status } }';
    const outcomes = await page.evaluate(
      async ({ target, mutation, subscription }) => {
        const endpoint = `${target}/graphql`;
        const settle = <T>(promise: Promise<T>) =>
          promise.then(
            (value) => ({ ok: true, value }),
            (error: Error) => ({ ok: false, value: error.name }),
          );
        const plain = await settle(
          fetch(endpoint, {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({ query: mutation }),
          }).then(() => 'sent'),
        );
        const form = await settle(
          fetch(endpoint, {
            method: 'POST',
            mode: 'no-cors',
            body: new URLSearchParams({ query: mutation }),
          }).then(() => 'sent'),
        );
        const json = await settle(
          fetch(endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: mutation }),
          }).then((r) => r.status),
        );
        const sse = await new Promise<string>((resolve) => {
          const source = new EventSource(`${endpoint}?query=${encodeURIComponent(subscription)}`);
          source.onmessage = () => resolve('message');
          source.onerror = () => {
            source.close();
            resolve('error');
          };
        });
        const socket = await new Promise<string>((resolve) => {
          const ws = new WebSocket(endpoint.replace(/^http/, 'ws'), 'graphql-transport-ws');
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('error');
        });
        return { plain, form, json, sse, socket };
      },
      { target: gw.url, mutation, subscription },
    );
    // The no-cors POSTs reach the server (the page just cannot read the answer): CSRF refuses them.
    expect(outcomes).toEqual({
      plain: { ok: true, value: 'sent' },
      form: { ok: true, value: 'sent' },
      json: { ok: false, value: 'TypeError' },
      sse: 'error',
      socket: 'error',
    });
    const after = (await gw.gql(ChargesDocument, { first: 1 })).data?.charges?.totalCount;
    expect(after).toBe(before);
  }, 60_000);
});
