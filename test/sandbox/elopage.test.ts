import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { parseExactJson } from '../../src/providers/json.js';
import { createElopageSandbox, type ElopageSandbox } from '../../src/sandbox/elopage/index.js';

const KEY = 'elopage-test-key';
const SECRET = 'elopage-test-secret';

type Reply = { status: number; text: string; json: unknown };

let sandbox: ElopageSandbox;
let base: string;
let receiver: Server;
let hookBase: string;
const hooks: { path: string; body: unknown }[] = [];
/** Receiver paths that answer 500 this many more times. */
const failures = new Map<string, number>();

/** Reads `a.b.0.c` out of parsed JSON. */
function at(value: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | null)?.[key], value);
}

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body: Record<string, unknown> = {},
  creds: { key?: string; secret?: string } = { key: KEY, secret: SECRET },
): Promise<Reply> {
  const url = new URL(path, base);
  let payload: string | undefined;
  if (method === 'GET') {
    if (creds.key !== undefined) url.searchParams.set('key', creds.key);
    if (creds.secret !== undefined) url.searchParams.set('secret', creds.secret);
  } else payload = JSON.stringify({ ...creds, ...body });
  const response = await request(url, { method, body: payload });
  const text = await response.body.text();
  return { status: response.statusCode, text, json: text ? parseExactJson(text) : undefined };
}

const helper = (path: string, body: Record<string, unknown>) => call('POST', path, body, {});
const checkout = (body: Record<string, unknown>) => helper('/_sandbox/checkout', body);

async function waitFor(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 2000) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const hooksFor = (id: string) => hooks.filter((hook) => at(hook.body, 'id') === id);

const ONE_TIME = { form: 'one_time', preferences: { price: '199.9', old_price: 200 } };
const SUBSCRIPTION = {
  form: 'subscription',
  preferences: { first_interval: '1w', first_amount: 20.0, next_interval: '1m', next_amount: '10.0' },
};
const SPLIT = {
  form: 'split',
  preferences: { ...SUBSCRIPTION.preferences, p_count: 5, splitting_type: 'installment' },
};

async function createPage(extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await call('POST', '/api/sales_pages', {
    name: 'Test Kurs',
    webhook_url: `${hookBase}/hooks/main`,
    pricing_plans: [ONE_TIME, SUBSCRIPTION, SPLIT],
    authors: [{ id: 4, custom_commission_enabled: true, commission: 10 }],
    ...extra,
  });
  expect(reply.status).toBe(200);
  return at(reply.json, 'id') as string;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      hooks.push({ path, body: parseExactJson(Buffer.concat(chunks).toString('utf8')) });
      const left = failures.get(path) ?? 0;
      if (left > 0) failures.set(path, left - 1);
      res.writeHead(left > 0 ? 500 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  sandbox = createElopageSandbox({
    apiKey: KEY,
    apiSecret: SECRET,
    webhookRetryDelaysMs: [50, 50],
    // The receiver plays the gateway: the one local target the simulator posts to.
    allowedWebhookOrigins: [hookBase],
    logger: createLogger({ level: 'silent' }),
  });
  base = await sandbox.server.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await sandbox.server.close();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('elopage sandbox', () => {
  it('answers UserNotFound / NoAccessRight for GET (query) and POST (body) credentials', async () => {
    for (const creds of [{}, { key: 'nope', secret: SECRET }]) {
      const reply = await call('GET', '/api/payments/540391', {}, creds);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ error: 'UserNotFound', message: 'The key of the user was not found.' });
      expect((await call('POST', '/api/sales_pages', { name: 'x' }, creds)).status).toBe(401);
    }
    const forbidden = await call('GET', '/api/payments/540391', {}, { key: KEY, secret: 'wrong' });
    expect(forbidden.status).toBe(403);
    expect(at(forbidden.json, 'error')).toBe('NoAccessRight');
    const post = await call('POST', '/api/sales_pages', { name: 'x' }, { key: KEY });
    expect(post.status).toBe(403);
    expect(post.text).not.toContain(KEY);
  });

  it('serves the seeded example payment with exact numbers', async () => {
    const reply = await call('GET', '/api/payments/540391');
    expect(reply.text).toContain('"revenue":199.90,"amount":193.85,"fee":6.05');
    expect(at(reply.json, 'author_commissions.0.amount')).toBe('19.385');
    expect(at(reply.json, 'created_date')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    expect(at(reply.json, 'sales_page_id')).toBe('1087');
  });

  it('creates a sales page and reads it back in the documented shape (no id)', async () => {
    const id = await createPage();
    const reply = await call('GET', `/api/sales_pages/${id}`);
    expect(reply.status).toBe(200);
    const page = reply.json as Record<string, unknown>;
    expect(page).not.toHaveProperty('id');
    expect(page.url_to_pay).toMatch(new RegExp(`^${base}/s/paygraph-sandbox/test-kurs-${id}/payment$`));
    expect(page.free).toBe(false);
    expect(at(page, 'pricing_plans.0.form')).toBe('one_time');
    expect(at(page, 'pricing_plans.0.preferences')).toEqual({ price: '199.9', old_price: '200.0' });
    expect(at(page, 'pricing_plans.1.preferences.first_amount')).toBe('20.0');
    expect(at(page, 'pricing_plans.2.preferences.p_count')).toBe('5');
    expect(at(page, 'pricing_plans.2.preferences.splitting_type')).toBe('installment');
    expect(reply.text).toMatch(/"pricing_plans":\[\{"id":"\d+"/);
    expect(page.authors).toEqual([{ author_id: '4', c_c_enabled: true, commission: '10.0' }]);
  });

  it('validates plans: six plans, missing preferences, bad intervals', async () => {
    const six = await call('POST', '/api/sales_pages', { name: 'x', pricing_plans: Array(6).fill(ONE_TIME) });
    expect(six.status).toBe(422);
    expect(six.json).toMatchObject({
      error: 'ValidationError',
      errors: { pricing_plans: [expect.any(String)] },
    });
    const bad = await call('POST', '/api/sales_pages', {
      name: ' ',
      pricing_plans: [
        { form: 'split', preferences: { ...SPLIT.preferences, first_interval: '5d', p_count: '0' } },
      ],
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(at(bad.json, 'errors') as object).sort()).toEqual([
      'name',
      'pricing_plans.0.preferences.first_interval',
      'pricing_plans.0.preferences.p_count',
    ]);
  });

  it('updates a page: edits a plan by id, adds one, rejects foreign plans', async () => {
    const id = await createPage({ pricing_plans: [ONE_TIME] });
    const planId = at((await call('GET', `/api/sales_pages/${id}`)).json, 'pricing_plans.0.id') as string;
    const edit = { id: Number(planId), form: 'one_time', preferences: { price: '220' } };
    const put = await call('PUT', `/api/sales_pages/${id}`, {
      name: 'Neu',
      pricing_plans: [edit, SUBSCRIPTION],
    });
    expect(put.status).toBe(200);
    const page = (await call('GET', `/api/sales_pages/${id}`)).json;
    expect(at(page, 'name')).toBe('Neu');
    expect(at(page, 'pricing_plans.0')).toEqual({
      id: planId,
      form: 'one_time',
      preferences: { price: '220.0' },
    });
    expect(at(page, 'pricing_plans.1.form')).toBe('subscription');
    const foreign = await call('PUT', `/api/sales_pages/${id}`, { pricing_plans: [{ ...edit, id: 1306 }] });
    expect(foreign.status).toBe(422);
    expect((await call('GET', '/api/sales_pages/999999')).status).toBe(404);
  });

  it('creates, reads and deletes pricing plans', async () => {
    const id = await createPage({ pricing_plans: [ONE_TIME] });
    const created = await call('POST', '/api/pricing_plans', {
      sales_page_id: Number(id),
      pricing_plan: { form: 'split', preferences: { ...SPLIT.preferences, p_count: 2, first_amount: 0.5 } },
    });
    expect(created.status).toBe(200);
    expect(at(created.json, 'form')).toBe('splited');
    expect(at(created.json, 'preferences.first_amount')).toBe('0.5');
    const planId = at(created.json, 'id') as string;
    expect(at((await call('GET', `/api/pricing_plans/${planId}`)).json, 'form')).toBe('split');
    const unknownPage = await call('POST', '/api/pricing_plans', {
      sales_page_id: 99999,
      pricing_plan: ONE_TIME,
    });
    expect(unknownPage.status).toBe(404);

    const deleted = await call('DELETE', `/api/pricing_plans/${planId}`);
    expect(deleted.json).toEqual({
      status: 'success',
      response: `Pricing plan ${planId} was successfully destroyed`,
    });
    const lastId = at((await call('GET', `/api/sales_pages/${id}`)).json, 'pricing_plans.0.id') as string;
    const last = await call('DELETE', `/api/pricing_plans/${lastId}`);
    expect(last.status).toBe(200);
    expect(at(last.json, 'status')).toBe('error');
    expect((await call('DELETE', `/api/pricing_plans/${planId}`)).status).toBe(404);
  });

  it('checks out with a test card: exact fee, net and commission; webhook sent', async () => {
    const id = await createPage();
    const reply = await checkout({ sales_page_id: id, outcome: 'succeed', card_number: '5017670000005900' });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('"revenue":199.90,"amount":193.85,"fee":6.05');
    expect(reply.text).toContain('"rate":"10.0","amount":"19.385"');
    expect(at(reply.json, 'state')).toBe('successful');
    expect(at(reply.json, 'success_date_short')).toMatch(/^\d{4}-\d\d-\d\d$/);
    const paymentId = at(reply.json, 'id') as string;
    await waitFor(() => hooksFor(paymentId).length === 1);
    expect(at(hooksFor(paymentId)[0]?.body, 'state')).toBe('successful');

    const declined = await checkout({
      sales_page_id: id,
      outcome: 'succeed',
      card_number: '4111111111111111',
    });
    expect(at(declined.json, 'state')).toBe('error');
    const foreignPlan = await checkout({ sales_page_id: id, pricing_plan_id: '1306', outcome: 'succeed' });
    expect(foreignPlan.status).toBe(422);
    expect((await checkout({ sales_page_id: '99999', outcome: 'succeed' })).status).toBe(404);
  });

  it('keeps SEPA pending until settled, with a webhook each time', async () => {
    const id = await createPage();
    const sepa = { sales_page_id: id, payment_method: 'bank_account', iban: 'DE89370400440532013000' };
    const failed = await checkout({ ...sepa, iban: 'DE62370400440532013001', outcome: 'succeed' });
    expect(at(failed.json, 'state')).toBe('error');
    const pending = await checkout({ ...sepa, outcome: 'succeed' });
    expect(at(pending.json, 'state')).toBe('pending');
    expect(at(pending.json, 'success_date')).toBeNull();
    const paymentId = at(pending.json, 'id') as string;
    const settled = await helper(`/_sandbox/payments/${paymentId}/settle`, { outcome: 'succeed' });
    expect(settled.status).toBe(200);
    expect(at(settled.json, 'state')).toBe('successful');
    await waitFor(() => hooksFor(paymentId).length === 2);
    expect(hooksFor(paymentId).map((hook) => at(hook.body, 'state'))).toEqual(['pending', 'successful']);
    const again = await helper(`/_sandbox/payments/${paymentId}/settle`, { outcome: 'fail' });
    expect(again.status).toBe(409);
    expect(at(again.json, 'error')).toBe('InvalidState');
    const wire = await checkout({ ...sepa, payment_method: 'bank_wire', outcome: 'pending' });
    expect(at(wire.json, 'state')).toBe('waiting');
  });

  it('refunds in full only, once; the refund is readable by its ID', async () => {
    const id = await createPage();
    const paid = await checkout({ sales_page_id: id, outcome: 'succeed' });
    const paymentId = at(paid.json, 'id') as string;
    const partial = await call('POST', `/api/payments/${paymentId}/refund`, { amount: '10.00' });
    expect(partial.status).toBe(422);
    expect(at(partial.json, 'errors.amount')).toEqual(['partial refunds are not supported']);

    const refund = await call('POST', `/api/payments/${paymentId}/refund`);
    expect(refund.status).toBe(200);
    expect(refund.json).toMatchObject({
      total: '-199.90',
      amount: '-193.85',
      fee: '0',
      refunded_transfer_id: paymentId,
      state: 'successful',
      author_commissions: [{ rate: '10.0', amount: '-19.385' }],
    });
    const refundId = at(refund.json, 'id') as string;
    await waitFor(() => hooksFor(refundId).length === 1);
    expect(at(hooksFor(refundId)[0]?.body, 'total')).toBe('-199.90');

    const second = await call('POST', `/api/payments/${paymentId}/refund`);
    expect(second.status).toBe(409);
    expect(at(second.json, 'message')).toContain('already refunded');
    const read = await call('GET', `/api/payments/${refundId}`);
    expect(read.json).toEqual(refund.json);
    expect(at((await call('GET', `/api/payments/${paymentId}`)).json, 'state')).toBe('successful');
    const pendingRefund = await call('POST', '/api/payments/540393/refund');
    expect(pendingRefund.status).toBe(409);
  });

  it('counts provider calls only, and resets the counts', async () => {
    await call('POST', '/_sandbox/stats/reset');
    await call('GET', '/api/payments/540391');
    await call('GET', '/api/payments/540392');
    await checkout({ sales_page_id: '1087', outcome: 'cancel' });
    const stats = await call('GET', '/_sandbox/stats');
    expect(stats.json).toEqual({ total: '2', routes: { 'GET /api/payments/:id': '2' } });
    const reset = await call('POST', '/_sandbox/stats/reset');
    expect(reset.json).toEqual({ total: '0', routes: {} });
  });

  it('retries a failed webhook delivery', async () => {
    const id = await createPage({ webhook_url: `${hookBase}/hooks/flaky` });
    failures.set('/hooks/flaky', 1);
    const paid = await checkout({ sales_page_id: id, payment_method: 'paypal', outcome: 'succeed' });
    const paymentId = at(paid.json, 'id') as string;
    await waitFor(() => hooksFor(paymentId).length === 2);
    expect(hooksFor(paymentId).every((hook) => hook.path === '/hooks/flaky')).toBe(true);
    await sandbox.webhooks.idle();
  });
});
