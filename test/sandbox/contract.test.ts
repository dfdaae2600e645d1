/**
 * Every response of every simulator route, and every webhook body, against the provider's own
 * documented schema. The seeds hold no machine-readable schema (an overview guide and an HTML API
 * document), so contracts/*.schema.json transcribe them: elepay's from providers/elepay.md §4/§7/§8
 * (itself from elepay's OpenAPI spec), elopage's from the document's response tables. Checked with
 * ajv: required fields, types, enums, and no field the document does not have.
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createElepaySandbox, type ElepaySandbox } from '../../src/sandbox/elepay/index.js';
import { createElopageSandbox, type ElopageSandbox } from '../../src/sandbox/elopage/index.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read response JSON loosely
type Json = Record<string, any>;

const ajv = new Ajv({ allErrors: true });
for (const name of ['elepay', 'elopage']) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(`contracts/${name}.schema.json`, import.meta.url), 'utf8')));
}

/** What is wrong with `body` as the documented `definition` (`elepay#/definitions/ChargeDto`). */
function violations(definition: string, body: unknown): string[] {
  const validate = ajv.getSchema(definition);
  if (!validate) throw new Error(`no schema ${definition}`);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

let receiver: Server;
let hookBase = '';
const hooks: { path: string; body: Json }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hooks.push({ path: req.url ?? '/', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

/** Calls a simulator and asserts the answer is the documented `definition` with `status`. */
function caller(base: () => string, schema: string, send: (init: RequestInit, body?: Json) => RequestInit) {
  return async (method: string, path: string, status: number, definition: string, body?: Json) => {
    const response = await fetch(`${base()}${path}`, send({ method }, body));
    const json = (await response.json()) as Json;
    expect(response.status, `${method} ${path}: ${JSON.stringify(json)}`).toBe(status);
    expect(violations(`${schema}#/definitions/${definition}`, json), `${method} ${path}`).toEqual([]);
    return json;
  };
}

/** `POST /_sandbox/trigger`: its `object` is the provider's object. */
async function trigger(base: string, body: Json): Promise<Json> {
  const response = await fetch(`${base}/_sandbox/trigger`, { method: 'POST', body: JSON.stringify(body) });
  const json = (await response.json()) as Json;
  expect(response.status, JSON.stringify(json)).toBe(200);
  return json;
}

describe('elepay simulator against providers/elepay.md', () => {
  const SECRET_KEY = 'sk_test_contract';
  let sandbox: ElepaySandbox;
  let base = '';
  const call = caller(
    () => base,
    'elepay',
    (init, body) => ({
      ...init,
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  let orderSeq = 0;
  const newCharge = (extra: Json = {}) =>
    call('POST', '/charges', 201, 'ChargeDto', {
      amount: 5000,
      paymentMethod: 'creditcard',
      orderNo: `C-${++orderSeq}`,
      ...extra,
    });

  beforeAll(async () => {
    sandbox = createElepaySandbox({
      secretKey: SECRET_KEY,
      webhook: { url: `${hookBase}/webhooks/elepay`, secret: 'whsec_contract' },
      logger: createLogger({ level: 'silent' }),
    });
    base = await sandbox.server.listen(0, '127.0.0.1');
  });
  afterAll(() => sandbox.server.close());

  it('the schema refuses what elepay SDKs cannot read: a null or unknown resource', async () => {
    const charge = await newCharge();
    expect(violations('elepay#/definitions/ChargeDto', { ...charge, resource: null })).not.toEqual([]);
    expect(violations('elepay#/definitions/ChargeDto', { ...charge, resource: 'desktop' })).not.toEqual([]);
    expect(violations('elepay#/definitions/ChargeDto', { ...charge, nickname: 'x' })).not.toEqual([]);
  });

  it('every provider route, helper route and webhook answers in the documented shape', async () => {
    const seeded = await call('GET', '/charges?limit=100', 200, 'ChargesResponse');
    expect(seeded.charges.length).toBeGreaterThanOrEqual(7);
    await call('GET', '/charges?status=captured&order=asc', 200, 'ChargesResponse');

    const pending = await newCharge();
    expect(pending.resource).toBe('web');
    await newCharge({ resource: 'mpm', paymentMethod: 'paypay' });
    await call('POST', '/charges', 400, 'Error', {
      amount: 1,
      paymentMethod: 'paypay',
      orderNo: 'x',
      resource: 'pos',
    });
    await call('GET', `/charges/${pending.id}`, 200, 'ChargeDto');
    await call('GET', `/charges/${pending.id}/status`, 200, 'ChargeStatusDto');
    await call('POST', `/charges/${pending.id}/revoke`, 200, 'ChargeDto');
    await call('GET', '/charges/ch_999999', 400, 'Error');

    const held = await newCharge({ capture: false, resource: 'ios' });
    await call('POST', `/_sandbox/charges/${held.id}/settle`, 200, 'ChargeDto', { outcome: 'succeed' });
    await call('POST', `/charges/${held.id}/capture`, 200, 'ChargeDto', { amount: 4000 });
    const refund = await call('POST', `/charges/${held.id}/refunds`, 201, 'RefundDto', { amount: 1000 });
    await call('GET', `/charges/${held.id}/refunds`, 200, 'RefundsResponse');
    await call('POST', `/_sandbox/charges/${held.id}/refunds/${refund.id}/settle`, 200, 'RefundDto', {
      outcome: 'succeed',
    });
    await call('GET', `/charges/${held.id}/refunds/${refund.id}`, 200, 'RefundDto');
    await call('GET', `/charges/${held.id}`, 200, 'ChargeDto');
    await call('POST', `/_sandbox/charges/${held.id}/settle`, 409, 'Error', { outcome: 'succeed' });

    for (const event of ['charge.succeeded', 'charge.revoked', 'refund.succeeded']) {
      const { object } = await trigger(base, { event });
      expect(
        violations(`elepay#/definitions/${event.startsWith('refund') ? 'RefundDto' : 'ChargeDto'}`, object),
      ).toEqual([]);
    }

    const stats = await (await fetch(`${base}/_sandbox/stats`)).json();
    expect(Object.keys(stats.routes).sort()).toEqual(sandbox.server.providerRoutes().sort());
    await sandbox.webhooks.idle();
    const events = hooks.filter((hook) => hook.path === '/webhooks/elepay');
    expect(new Set(events.map((hook) => hook.body.type))).toEqual(
      new Set(['charge.succeeded', 'charge.revoked', 'refund.succeeded']),
    );
    for (const { body } of events)
      expect(violations('elepay#/definitions/Event', body), body.type).toEqual([]);
  });
});

describe('elopage simulator against the elopage API document', () => {
  const KEY = 'elopage-contract-key';
  const SECRET = 'elopage-contract-secret';
  let sandbox: ElopageSandbox;
  let base = '';
  const call = caller(
    () => base,
    'elopage',
    (init, body) => {
      if (init.method !== 'GET')
        return { ...init, body: JSON.stringify({ key: KEY, secret: SECRET, ...body }) };
      return init;
    },
  );
  const auth = `key=${KEY}&secret=${SECRET}`;
  const helper = async (path: string, body: Json) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Json };
  };

  beforeAll(async () => {
    sandbox = createElopageSandbox({
      apiKey: KEY,
      apiSecret: SECRET,
      allowedWebhookOrigins: [hookBase],
      logger: createLogger({ level: 'silent' }),
    });
    base = await sandbox.server.listen(0, '127.0.0.1');
  });
  afterAll(() => sandbox.server.close());

  it('the schema refuses what the document does not have: a sales page with an id', async () => {
    const page = await call('GET', `/api/sales_pages/1087?${auth}`, 200, 'SalesPage');
    expect(violations('elopage#/definitions/SalesPage', { ...page, id: 1087 })).not.toEqual([]);
    const payment = await call('GET', `/api/payments/540391?${auth}`, 200, 'Payment');
    expect(violations('elopage#/definitions/Payment', { ...payment, state: 'refunded' })).not.toEqual([]);
  });

  it('every provider route, helper route and webhook answers in the documented shape', async () => {
    for (let id = 540391; id <= 540396; id += 1)
      await call('GET', `/api/payments/${id}?${auth}`, 200, 'Payment');
    await call('GET', `/api/payments/540397?${auth}`, 200, 'Refund');
    await call('GET', `/api/sales_pages/1088?${auth}`, 200, 'SalesPage');
    await call('GET', `/api/pricing_plans/1306?${auth}`, 200, 'PricingPlan');

    const saved = await call('POST', '/api/sales_pages', 200, 'SavedSalesPage', {
      name: 'Contract course',
      webhook_url: `${hookBase}/hooks/contract`,
      pricing_plans: [{ form: 'one_time', preferences: { price: '49.5' } }],
      authors: [{ id: 4, custom_commission_enabled: true, commission: 10 }],
    });
    const pageId = String(saved.id);
    await call('PUT', `/api/sales_pages/${pageId}`, 200, 'SavedSalesPage', {
      pricing_plans: [
        {
          form: 'subscription',
          preferences: { first_interval: '1m', first_amount: '9.9', next_interval: '1m', next_amount: '9.9' },
        },
      ],
    });
    const split = await call('POST', '/api/pricing_plans', 200, 'CreatedPricingPlan', {
      sales_page_id: Number(pageId),
      pricing_plan: {
        form: 'split',
        preferences: {
          p_count: 3,
          first_interval: '1m',
          first_amount: '20',
          next_interval: '1m',
          next_amount: '20',
          splitting_type: 'installment',
        },
      },
    });
    await call('GET', `/api/sales_pages/${pageId}?${auth}`, 200, 'SalesPage');
    await call('DELETE', `/api/pricing_plans/${split.id}`, 200, 'DeletedPricingPlan');
    const lone = await call('POST', '/api/sales_pages', 200, 'SavedSalesPage', {
      name: 'One plan',
      pricing_plans: [{ form: 'one_time', preferences: { price: '5' } }],
    });
    const lonePlan = (await call('GET', `/api/sales_pages/${lone.id}?${auth}`, 200, 'SalesPage'))
      .pricing_plans[0];
    const refused = await call('DELETE', `/api/pricing_plans/${lonePlan.id}`, 200, 'DeletedPricingPlan');
    expect(refused.status).toBe('error');

    const paid = await helper('/_sandbox/checkout', { sales_page_id: pageId, outcome: 'succeed' });
    expect(violations('elopage#/definitions/Payment', paid.json)).toEqual([]);
    const sepa = await helper('/_sandbox/checkout', {
      sales_page_id: pageId,
      payment_method: 'bank_account',
      iban: 'DE89370400440532013000',
      outcome: 'succeed',
    });
    const settled = await helper(`/_sandbox/payments/${sepa.json.id}/settle`, { outcome: 'succeed' });
    expect(violations('elopage#/definitions/Payment', settled.json)).toEqual([]);
    const refund = await call('POST', `/api/payments/${paid.json.id}/refund`, 200, 'Refund');
    await call('GET', `/api/payments/${refund.id}?${auth}`, 200, 'Refund');
    for (const event of ['payment.successful', 'payment.pending', 'payment.error', 'payment.canceled']) {
      const { object } = await trigger(base, { event, sales_page_id: pageId });
      expect(violations('elopage#/definitions/Payment', object), event).toEqual([]);
    }
    const { object } = await trigger(base, { event: 'refund.successful', sales_page_id: pageId });
    expect(violations('elopage#/definitions/Refund', object)).toEqual([]);

    const stats = await (await fetch(`${base}/_sandbox/stats`)).json();
    expect(Object.keys(stats.routes).sort()).toEqual(sandbox.server.providerRoutes().sort());
    await sandbox.webhooks.idle();
    const bodies = hooks.filter((hook) => hook.path === '/hooks/contract').map((hook) => hook.body);
    expect(bodies.length).toBeGreaterThanOrEqual(9);
    for (const body of bodies) expect(violations('elopage#/definitions/Transaction', body)).toEqual([]);
  });
});
