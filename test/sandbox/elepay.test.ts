import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createElepaySandbox, type ElepaySandbox } from '../../src/sandbox/elepay/index.js';

const SECRET_KEY = 'sk_test_4f2a9c61d0e8b7a5';
const WEBHOOK_SECRET = 'whsec_sandbox_3b1e';

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  event: { id: string; type: string; createTime: number; liveMode: boolean; data: { object: Json } };
}
// biome-ignore lint/suspicious/noExplicitAny: assertions read response JSON loosely
type Json = Record<string, any>;

let sandbox: ElepaySandbox;
let base: string;
let receiver: Server;
const deliveries: Delivery[] = [];
/** Status codes the receiver answers with, first to last; 200 once empty. */
const receiverStatuses: number[] = [];

const bearer = { authorization: `Bearer ${SECRET_KEY}` };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = bearer) {
  const init = { method, headers: { 'content-type': 'application/json', ...headers } };
  const response = await fetch(
    `${base}${path}`,
    body === undefined ? init : { ...init, body: JSON.stringify(body) },
  );
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

/** The errorCode a provider call answers with (elepay puts every M/U error at HTTP 400, §7). */
const errorCode = async (method: string, path: string, body?: unknown) =>
  (await call(method, path, body)).body.errorCode;

let orderSeq = 0;
async function createCharge(extra: Json = {}) {
  const body = {
    amount: 10000,
    paymentMethod: 'creditcard',
    orderNo: `T-${Date.now()}-${++orderSeq}`,
    ...extra,
  };
  const res = await call('POST', '/charges', body);
  expect(res.status).toBe(201);
  return res.body;
}

const settle = (id: string, outcome: string) =>
  call('POST', `/_sandbox/charges/${id}/settle`, { outcome }, {});
const settleRefund = (id: string, refundId: string, outcome = 'succeed') =>
  call('POST', `/_sandbox/charges/${id}/refunds/${refundId}/settle`, { outcome }, {});

async function waitFor<T>(find: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const eventsFor = (type: string, objectId: string) =>
  deliveries.filter((d) => d.event.type === type && d.event.data.object.id === objectId);

function verifySignature(delivery: Delivery): boolean {
  const header = String(delivery.headers['elepay-signature']);
  const match = /^t=(\d+),sign=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const expected = createHmac('sha256', WEBHOOK_SECRET).update(`${match[1]}.${delivery.raw}`).digest('hex');
  return expected === match[2] && Math.abs(Number(match[1]) - Date.now() / 1000) < 60;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      deliveries.push({ headers: req.headers, raw, event: JSON.parse(raw) });
      res.writeHead(receiverStatuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  sandbox = createElepaySandbox({
    secretKey: SECRET_KEY,
    webhook: { url: `http://127.0.0.1:${port}/webhooks/elepay`, secret: WEBHOOK_SECRET },
    webhookRetryDelaysMs: [50, 50],
    logger: createLogger({ level: 'silent' }),
  });
  base = await sandbox.server.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await sandbox.server.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('elepay sandbox: authentication', () => {
  it('accepts Basic (key as user, empty password) and Bearer', async () => {
    const basic = `Basic ${Buffer.from(`${SECRET_KEY}:`).toString('base64')}`;
    expect((await call('GET', '/charges', undefined, { authorization: basic })).status).toBe(200);
    expect((await call('GET', '/charges')).status).toBe(200);
  });

  it('rejects a missing header with M004002 and a wrong key with M004001, never echoing keys', async () => {
    const none = await call('GET', '/charges', undefined, {});
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ errorCode: 'M004002', providerError: null });
    expect(none.body.requestId).toMatch(/^req_/);
    const wrong = await call('GET', '/charges', undefined, { authorization: 'Bearer sk_test_wrong' });
    expect(wrong.body.errorCode).toBe('M004001');
    const wrongBasic = `Basic ${Buffer.from(`${SECRET_KEY}x:`).toString('base64')}`;
    const res = await call('GET', '/charges/ch_1', undefined, { authorization: wrongBasic });
    expect(res.body.errorCode).toBe('M004001');
    expect(JSON.stringify(res.body)).not.toContain(SECRET_KEY);
  });
});

describe('elepay sandbox: charges', () => {
  it('create → settle → captured, with a signed charge.succeeded', async () => {
    const charge = await createCharge({ amount: '1200', metadata: { cart: 'c_1' } });
    expect(charge).toMatchObject({ object: 'charge', status: 'pending', paid: false, amount: 1200 });
    expect(charge).toMatchObject({ currency: 'JPY', refunds: { amount: 0, totalCount: 0, data: [] } });
    const settled = await settle(charge.id, 'succeed');
    expect(settled.body).toMatchObject({ status: 'captured', paid: true });
    expect(typeof settled.body.paidTime).toBe('number');
    const delivery = await waitFor(() => eventsFor('charge.succeeded', charge.id)[0]);
    expect(delivery.event).toMatchObject({ object: 'event', data: { object: { status: 'captured' } } });
    expect(delivery.event.id).toMatch(/^evt_/);
    expect(verifySignature(delivery)).toBe(true);
    const status = await call('GET', `/charges/${charge.id}/status`);
    expect(status.body).toMatchObject({ id: charge.id, status: 'captured' });
  });

  it('capture=false → uncaptured → partial capture', async () => {
    const charge = await createCharge({ amount: 5000, capture: false });
    const auth = await settle(charge.id, 'succeed');
    expect(auth.body).toMatchObject({
      status: 'uncaptured',
      authorize: true,
      authorizeAmount: 5000,
      paid: false,
    });
    expect(await errorCode('POST', `/charges/${charge.id}/capture`, { amount: 5001 })).toBe('U008001');
    const captured = await call('POST', `/charges/${charge.id}/capture`, { amount: 3000 });
    expect(captured.body).toMatchObject({
      status: 'captured',
      amount: 3000,
      authorizeAmount: 5000,
      paid: true,
    });
    expect(await errorCode('POST', `/charges/${charge.id}/capture`)).toBe('M006000');
  });

  it('revokes pending and uncaptured charges only', async () => {
    const pending = await createCharge();
    expect((await call('POST', `/charges/${pending.id}/revoke`)).body.status).toBe('revoked');
    await waitFor(() => eventsFor('charge.revoked', pending.id)[0]);
    expect(await errorCode('POST', `/charges/${pending.id}/revoke`)).toBe('M006000');
    const captured = await createCharge();
    await settle(captured.id, 'succeed');
    const res = await call('POST', `/charges/${captured.id}/revoke`);
    expect(res).toMatchObject({ status: 400, body: { errorCode: 'M006007' } });
    expect((await settle(captured.id, 'succeed')).status).toBe(409);
    expect((await settle('ch_999999', 'succeed')).status).toBe(404);
    expect((await settle(captured.id, 'explode')).body.errorCode).toBe('M002002');
  });

  it('validates orderNo, amount, paymentMethod, currency and metadata', async () => {
    const first = await createCharge();
    const dup = await call('POST', '/charges', {
      amount: 100,
      paymentMethod: 'paypay',
      orderNo: first.orderNo,
    });
    expect(dup.body).toMatchObject({ errorCode: 'M002004', parameterName: 'orderNo' });
    const body = (extra: Json) => ({
      amount: 100,
      paymentMethod: 'paypay',
      orderNo: `V-${Math.random()}`,
      ...extra,
    });
    const cases: [Json, string, string][] = [
      [{ orderNo: 'x'.repeat(51) }, 'M002002', 'orderNo'],
      [{ orderNo: undefined }, 'M002001', 'orderNo'],
      [{ amount: 12.5 }, 'M002002', 'amount'],
      [{ amount: 0 }, 'M002002', 'amount'],
      [{ amount: '-5' }, 'M002002', 'amount'],
      [{ paymentMethod: 'bitcoin' }, 'M001002', 'paymentMethod'],
      [{ currency: 'ABC' }, 'M002009', 'currency'],
      [{ metadata: { route_to: 'x' } }, 'M002002', 'metadata'],
      [{ metadata: { note: 'あ'.repeat(86) } }, 'M002002', 'metadata'],
    ];
    for (const [extra, errorCode, parameterName] of cases) {
      const res = await call('POST', '/charges', body(extra));
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body, JSON.stringify(extra)).toMatchObject({ errorCode, parameterName });
    }
    expect((await call('POST', '/charges', body({ orderNo: 'y'.repeat(50) }))).status).toBe(201);
  });
});

describe('elepay sandbox: resource (ResourceType, §4 Enums)', () => {
  const RESOURCE_TYPES = ['web', 'ios', 'android', 'liff', 'mini', 'cpm', 'mpm', 'reader', 'posapp'];

  it('a charge created without resource (or with null) is a web charge, in every answer', async () => {
    const plain = await createCharge();
    expect(plain.resource).toBe('web');
    expect((await createCharge({ resource: null })).resource).toBe('web');
    expect((await call('GET', `/charges/${plain.id}`)).body.resource).toBe('web');
    const listed = await call('GET', '/charges?limit=100');
    const resources = listed.body.charges.map((charge: Json) => charge.resource);
    expect(resources.filter((resource: unknown) => !RESOURCE_TYPES.includes(resource as string))).toEqual([]);
    expect((await createCharge({ resource: 'liff' })).resource).toBe('liff');
  });

  it('refuses a resource outside the enum with M002002 (legacy 40035 invalid resource)', async () => {
    for (const resource of ['desktop', 'WEB', 7]) {
      const res = await call('POST', '/charges', {
        amount: 100,
        paymentMethod: 'paypay',
        orderNo: `R-${Date.now()}-${++orderSeq}`,
        resource,
      });
      expect(res.status, String(resource)).toBe(400);
      expect(res.body, String(resource)).toMatchObject({
        errorCode: 'M002002',
        code: '9_elepay_40035',
        parameterName: 'resource',
      });
      expect(res.body.message).toContain(RESOURCE_TYPES.join(', '));
    }
  });
});

describe('elepay sandbox: refunds', () => {
  it('pending refunds count against the remaining amount; settling completes them', async () => {
    const charge = await createCharge({ amount: 10000 });
    expect(await errorCode('POST', `/charges/${charge.id}/refunds`, { amount: 100 })).toBe('M006000');
    await settle(charge.id, 'succeed');
    expect(await errorCode('POST', `/charges/${charge.id}/refunds`, { amount: 10001 })).toBe('U008001');
    const first = await call('POST', `/charges/${charge.id}/refunds`, { amount: 4000, reason: 'size' });
    expect(first).toMatchObject({ status: 201, body: { object: 'refund', status: 'pending', amount: 4000 } });
    // 4000 is still pending but already counts: only 6000 remains.
    expect(await errorCode('POST', `/charges/${charge.id}/refunds`, { amount: 6001 })).toBe('U008001');

    const settled = await settleRefund(charge.id, first.body.id);
    expect(settled.body).toMatchObject({ status: 'refunded' });
    expect(typeof settled.body.refundedTime).toBe('number');
    const partial = await call('GET', `/charges/${charge.id}`);
    expect(partial.body).toMatchObject({ status: 'partially_refunded', refunded: false });
    expect(partial.body.refunds).toMatchObject({ amount: 4000, totalCount: 1 });

    const second = await call('POST', `/charges/${charge.id}/refunds`, { amount: 6000 });
    expect((await settleRefund(charge.id, second.body.id, 'fail')).body.errorCode).toBe('M002005');
    await settleRefund(charge.id, second.body.id);
    expect((await settleRefund(charge.id, second.body.id)).status).toBe(409);
    const full = await call('GET', `/charges/${charge.id}`);
    expect(full.body).toMatchObject({
      status: 'refunded',
      refunded: true,
      refunds: { amount: 10000, totalCount: 2 },
    });
    expect(typeof full.body.refundTime).toBe('number');

    const list = await call('GET', `/charges/${charge.id}/refunds`);
    expect(list.body.total).toBe(2);
    expect((await call('GET', `/charges/${charge.id}/refunds/${second.body.id}`)).body.amount).toBe(6000);
    expect(await errorCode('GET', `/charges/${charge.id}/refunds/re_999999`)).toBe('M002003');
    const event = await waitFor(() => eventsFor('refund.succeeded', second.body.id)[0]);
    expect(event.event.data.object).toMatchObject({
      object: 'refund',
      chargeId: charge.id,
      status: 'refunded',
    });
    expect(verifySignature(event)).toBe(true);
  });
});

describe('elepay sandbox: list, stats, retries', () => {
  // Only seeded charges are older than 12 hours (the newest seed is a 40-minute-old pending one).
  const seeded = () => `to=${Date.now() - 12 * 3_600_000}`;

  it('filters and pages with the full match count', async () => {
    const all = await call('GET', `/charges?${seeded()}&order=asc`);
    expect(all.body.total).toBe(6);
    expect(all.body.charges[0]).toMatchObject({
      status: 'captured',
      orderNo: expect.stringMatching(/-0001$/),
    });
    const methods = await call('GET', `/charges?${seeded()}&paymentMethod=paypay&paymentMethod=linepay`);
    const statuses = methods.body.charges.map((c: Json) => c.status).sort();
    expect(statuses).toEqual(['partially_refunded', 'refunded']);
    const page = await call('GET', `/charges?${seeded()}&limit=2&offset=4`);
    expect(page.body).toMatchObject({ total: 6 });
    expect(page.body.charges).toHaveLength(2);
    expect((await call('GET', `/charges?${seeded()}&status=uncaptured`)).body.total).toBe(1);
    expect((await call('GET', `/charges?${seeded()}&dateField=paid_time`)).body.total).toBe(4);
    const usd = all.body.charges.find((c: Json) => c.currency === 'USD');
    expect(usd).toMatchObject({ amount: 2599, status: 'captured' });
    const tooMany = await call('GET', '/charges?limit=101');
    expect(tooMany.body).toMatchObject({ errorCode: 'M002002', parameterName: 'limit' });
  });

  it('counts provider calls per route, not helper calls, and resets', async () => {
    await call('POST', '/_sandbox/stats/reset', undefined, {});
    const charge = await createCharge();
    await call('GET', `/charges/${charge.id}`);
    await call('GET', `/charges/${charge.id}`);
    await settle(charge.id, 'fail');
    const stats = await call('GET', '/_sandbox/stats', undefined, {});
    expect(stats.body).toEqual({ total: 3, routes: { 'GET /charges/:id': 2, 'POST /charges': 1 } });
    expect((await call('POST', '/_sandbox/stats/reset', undefined, {})).body.total).toBe(0);
  });

  it('retries a failed delivery with the same event id and a fresh signature', async () => {
    await sandbox.webhooks.idle();
    receiverStatuses.push(500);
    const charge = await createCharge();
    await settle(charge.id, 'succeed');
    const attempts = await waitFor(() => {
      const found = eventsFor('charge.succeeded', charge.id);
      return found.length >= 2 ? found : undefined;
    });
    expect(attempts[0]!.event.id).toBe(attempts[1]!.event.id);
    expect(attempts[0]!.raw).toBe(attempts[1]!.raw);
    expect(attempts.every(verifySignature)).toBe(true);
    await sandbox.webhooks.idle();
    expect(eventsFor('charge.succeeded', charge.id)).toHaveLength(2);
  });
});
