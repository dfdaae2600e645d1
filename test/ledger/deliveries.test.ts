import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalId } from '../../src/domain/ids.js';
import {
  CreateChargeDocument,
  ReconcileTransactionDocument,
  ReplayWebhookDeliveryDocument,
  SandboxCompleteCheckoutDocument,
  SandboxSettleTransactionDocument,
  TransactionHistoryDocument,
  type TransactionStatusChangedSubscription,
  WebhookDeliveriesDocument,
  type WebhookDeliveriesQuery,
  type WebhookDeliveryFilter,
} from '../generated/graphql.js';
import { deliverElepayWebhook, paidChargeEvent } from '../support/elepayWebhooks.js';
import { createSalesPage } from '../support/flows.js';
import { startTestGateway, type TestGateway, testClient } from '../support/harness.js';
import { createTestDatabase, skipWithoutPostgres, type TestDatabase } from '../support/postgres.js';
import { type Subscriber, watchStatusChanges } from '../support/subscriptions.js';
import { until, within } from '../support/wait.js';

/**
 * Webhook deliveries and the operator view: every webhook request the gateway gets is recorded in
 * the ledger with how it was verified and answered; an operator lists them, replays one, and polls
 * one transaction now. On SQLite (a file, so the test can read the stored rows) and PostgreSQL.
 */
const ELEPAY_WEBHOOK_SECRET = 'whsec_deliveries_test_current_0000000001';
const ELOPAGE_WEBHOOK_TOKEN = 'deliveries-test-elopage-webhook-token-0002';

const SKIP_POSTGRES = await skipWithoutPostgres('test/ledger/deliveries.test.ts (PostgreSQL)');

interface Storage {
  url: string;
  /** Every stored delivery row, as text. */
  rows(): Promise<string>;
  drop(): Promise<void>;
}

const engines: { name: string; skip: boolean; open: () => Promise<Storage> }[] = [
  {
    name: 'SQLite',
    skip: false,
    open: async () => {
      const folder = mkdtempSync(join(tmpdir(), 'paygraph-deliveries-'));
      const path = join(folder, 'ledger.db');
      return {
        url: `sqlite:${path}`,
        rows: async () => {
          const db = new Database(path, { readonly: true });
          try {
            return JSON.stringify(db.prepare('select * from webhook_deliveries').all());
          } finally {
            db.close();
          }
        },
        drop: async () => rmSync(folder, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: SKIP_POSTGRES,
    open: async () => {
      const database: TestDatabase = await createTestDatabase();
      return {
        url: database.url,
        rows: async () => {
          const client = new pg.Client({ connectionString: database.url });
          await client.connect();
          try {
            return JSON.stringify((await client.query('select * from webhook_deliveries')).rows);
          } finally {
            await client.end();
          }
        },
        drop: () => database.drop(),
      };
    },
  },
];

type Delivery = NonNullable<WebhookDeliveriesQuery['webhookDeliveries']['edges'][number]['node']>;
type Event = TransactionStatusChangedSubscription;

/** A signed-looking elepay event for a charge ID (the gateway reads the charge, never trusts the body). */
function chargeEvent(chargeId: string): string {
  return JSON.stringify({
    id: `evt_${randomBytes(12).toString('hex')}`,
    object: 'event',
    createTime: Date.now(),
    type: 'charge.succeeded',
    data: { object: { id: chargeId, object: 'charge' } },
  });
}

const chargeGlobalId = (providerId: string) => encodeGlobalId({ kind: 'Charge', id: providerId });

describe.each(engines)('webhook deliveries on $name', ({ skip, open }) => {
  let storage: Storage;
  let gw: TestGateway;
  let subscriber: Subscriber<Event>;
  let elepayUrl = '';

  beforeAll(async () => {
    if (skip) return;
    storage = await open();
    gw = await startTestGateway({
      DATABASE_URL: storage.url,
      SANDBOX_WEBHOOKS: 'off',
      // Only the passes a test runs itself: replays must not race the reconciler.
      RECONCILE_INTERVAL_MS: '3600000',
      ELEPAY_WEBHOOK_SECRET,
      ELOPAGE_WEBHOOK_TOKEN,
    });
    elepayUrl = gw.gateway.sandboxes.elepay?.url ?? '';
    subscriber = await watchStatusChanges(gw);
  });
  afterAll(async () => {
    if (skip) return;
    await subscriber?.close();
    await gw?.close();
    await storage?.drop();
  });

  async function deliveries(filter: WebhookDeliveryFilter = {}, first = 100, after?: string) {
    const { data, errors } = await gw.gql(WebhookDeliveriesDocument, { filter, first, after });
    expect(errors).toEqual([]);
    if (!data) throw new Error('no webhookDeliveries');
    return data.webhookDeliveries;
  }

  /** The newest delivery, once `count` are recorded (recording does not hold up the answer). */
  async function newestOnce(count: number): Promise<Delivery> {
    const page = await until(
      () => deliveries(),
      // The page and its count are two queries: wait for both to see the row.
      (found) => found.totalCount >= count && found.edges.length >= count,
      `${count} webhook deliveries`,
    );
    const node = page.edges[0]?.node;
    if (!node) throw new Error('no delivery');
    return node;
  }

  /** The ID the simulator gives the next charge it makes (IDs are sequential: ch_8, ch_9, …). */
  async function nextChargeId(): Promise<string> {
    const made = await trigger();
    return `ch_${Number(made.slice(3)) + 1}`;
  }

  /** A captured charge made at the simulator itself: the gateway has never heard of it. */
  async function trigger(): Promise<string> {
    const response = await request(`${elepayUrl}/_sandbox/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'charge.succeeded' }),
    });
    expect(response.statusCode).toBe(200);
    const body = (await response.body.json()) as { object: { id: string } };
    return body.object.id;
  }

  async function replay(id: string) {
    const { data, errors } = await gw.gql(ReplayWebhookDeliveryDocument, { id });
    expect(errors).toEqual([]);
    expect(data?.replayWebhookDelivery.userErrors).toEqual([]);
    return data?.replayWebhookDelivery;
  }

  it.skipIf(skip)('records each delivery with how it was verified and answered', async () => {
    const paid = await paidChargeEvent(gw, elepayUrl, '1500');
    let count = 0;

    expect((await deliverElepayWebhook(gw.url, ELEPAY_WEBHOOK_SECRET, paid.body)).status).toBe(200);
    const recorded = await newestOnce(++count);
    expect(recorded).toMatchObject({
      provider: 'ELEPAY',
      verified: true,
      refusal: null,
      outcome: 'RECORDED',
      httpStatus: 200,
      transactionIds: [paid.id],
      awaitingReconciliation: false,
    });
    expect(recorded.eventCursors).toHaveLength(1);
    expect(recorded.providerEventId).toMatch(/^evt_/);
    const [event] = await subscriber.waitFor(1);
    expect(recorded.eventCursors).toEqual([event?.transactionStatusChanged.cursor]);

    // The same webhook again (providers retry): nothing new.
    expect((await deliverElepayWebhook(gw.url, ELEPAY_WEBHOOK_SECRET, paid.body)).status).toBe(200);
    expect(await newestOnce(++count)).toMatchObject({
      outcome: 'DUPLICATE',
      eventCursors: [],
      verified: true,
    });

    // Signed with a secret the gateway does not have.
    expect((await deliverElepayWebhook(gw.url, 'whsec_not_the_configured_one_0000', paid.body)).status).toBe(
      400,
    );
    expect(await newestOnce(++count)).toMatchObject({
      verified: false,
      refusal: 'BAD_SIGNATURE',
      outcome: 'REFUSED',
      httpStatus: 400,
      transactionIds: [],
    });

    // elopage, with a token that is the right one plus a character: refused, and never stored.
    const wrongToken = await request(`${gw.url}/webhooks/elopage/${ELOPAGE_WEBHOOK_TOKEN}x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1089 }),
    });
    expect(wrongToken.statusCode).toBe(404);
    await wrongToken.body.dump();
    expect(await newestOnce(++count)).toMatchObject({
      provider: 'ELOPAGE',
      verified: false,
      refusal: 'WRONG_TOKEN',
      outcome: 'REFUSED',
      httpStatus: 404,
    });

    // A verified webhook for a charge elepay cannot show yet: 503, and the reconciler follows it up.
    const unknown = `ch_${900_000 + Math.floor(Math.random() * 90_000)}`;
    expect((await deliverElepayWebhook(gw.url, ELEPAY_WEBHOOK_SECRET, chargeEvent(unknown))).status).toBe(
      503,
    );
    expect(await newestOnce(++count)).toMatchObject({
      verified: true,
      refusal: 'OBJECT_NOT_READABLE_YET',
      outcome: 'RETRY_LATER',
      httpStatus: 503,
      transactionIds: [chargeGlobalId(unknown)],
      awaitingReconciliation: true,
    });

    // A good elopage notification, through the right token.
    const page = await createSalesPage(gw, 'Deliveries course', '29.00');
    const checkout = await gw.gql(SandboxCompleteCheckoutDocument, {
      input: { salesPageId: page.id, outcome: 'SUCCEED' },
    });
    const payment = checkout.data?.sandboxCompleteCheckout.payment;
    const good = await request(`${gw.url}/webhooks/elopage/${ELOPAGE_WEBHOOK_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: Number(payment?.providerId), event: 'payment.successful' }),
    });
    expect(good.statusCode).toBe(200);
    await good.body.dump();
    expect(await newestOnce(++count)).toMatchObject({
      provider: 'ELOPAGE',
      verified: true,
      outcome: 'RECORDED',
      transactionIds: [payment?.id],
    });

    // The filters, and paging newest first.
    expect((await deliveries({ verified: false })).totalCount).toBe(2);
    expect((await deliveries({ outcome: 'RETRY_LATER' })).edges.map((edge) => edge.node.refusal)).toEqual([
      'OBJECT_NOT_READABLE_YET',
    ]);
    expect((await deliveries({ provider: 'ELOPAGE' })).totalCount).toBe(2);
    expect(
      (await deliveries({ receivedAfter: new Date(Date.now() + 60_000).toISOString() })).totalCount,
    ).toBe(0);
    const all = await deliveries();
    const first = await deliveries({}, 4);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await deliveries({}, 4, first.pageInfo.endCursor ?? undefined);
    expect([...first.edges, ...rest.edges].map((edge) => edge.node.id)).toEqual(
      all.edges.map((edge) => edge.node.id),
    );
    const times = all.edges.map((edge) => Date.parse(edge.node.receivedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // No configured secret in any stored row (the bodies and signature headers are kept).
    const rows = await storage.rows();
    expect(rows).toContain('charge.succeeded');
    expect(gw.gateway.secrets.length).toBeGreaterThanOrEqual(4);
    for (const secret of [...gw.gateway.secrets, ELEPAY_WEBHOOK_SECRET, ELOPAGE_WEBHOOK_TOKEN]) {
      expect(rows).not.toContain(secret);
    }
  });

  it.skipIf(skip)(
    'replays a refused delivery once it can be read, and publishes a duplicate never',
    async () => {
      const next = await nextChargeId();
      const before = subscriber.received.length;
      expect((await deliverElepayWebhook(gw.url, ELEPAY_WEBHOOK_SECRET, chargeEvent(next))).status).toBe(503);
      const naming = (page: Awaited<ReturnType<typeof deliveries>>) =>
        page.edges.find((edge) => edge.node.transactionIds.includes(chargeGlobalId(next)))?.node;
      const refused = naming(
        await until(
          () => deliveries({ outcome: 'RETRY_LATER' }),
          (page) => naming(page) !== undefined,
          'the refusal',
        ),
      );
      expect(refused?.awaitingReconciliation).toBe(true);
      // Now elepay has it (captured), and the gateway has still heard nothing of it.
      expect(await trigger()).toBe(next);

      const replayed = await replay(refused?.id ?? '');
      expect(replayed?.result).toBe('PUBLISHED');
      expect(replayed?.transactions).toEqual([
        { __typename: 'Charge', id: chargeGlobalId(next), status: 'SUCCEEDED' },
      ]);
      expect(replayed?.eventCursors).toHaveLength(1);
      expect(replayed?.delivery).toMatchObject({ id: refused?.id, awaitingReconciliation: false });
      const events = await subscriber.waitFor(before + 1);
      expect(events.at(-1)?.transactionStatusChanged).toMatchObject({
        cursor: replayed?.eventCursors?.[0],
        status: 'SUCCEEDED',
      });

      const again = await replay(refused?.id ?? '');
      expect(again).toMatchObject({ result: 'DUPLICATE', eventCursors: [] });
      // A delivery that was recorded in the first place: a duplicate too.
      const recorded = (await deliveries({ outcome: 'RECORDED', provider: 'ELEPAY' })).edges[0]?.node;
      expect(await replay(recorded?.id ?? '')).toMatchObject({ result: 'DUPLICATE', eventCursors: [] });
      // Unverified: checked again, still wrong, and no provider is called.
      const forged = (await deliveries({ verified: false, provider: 'ELEPAY' })).edges[0]?.node;
      await gw.resetStats();
      expect(await replay(forged?.id ?? '')).toMatchObject({ result: 'NOT_VERIFIED', transactions: [] });
      const wrongToken = (await deliveries({ verified: false, provider: 'ELOPAGE' })).edges[0]?.node;
      expect(await replay(wrongToken?.id ?? '')).toMatchObject({ result: 'NOT_VERIFIED' });
      expect((await gw.stats('elepay')).total + (await gw.stats('elopage')).total).toBe(0);

      expect(subscriber.received).toHaveLength(before + 1);
      const unknown = await gw.gql(ReplayWebhookDeliveryDocument, { id: 'V2ViaG9va0RlbGl2ZXJ5Ojk5OTk5' });
      expect(unknown.data?.replayWebhookDelivery.userErrors.map((error) => error.code)).toEqual([
        'NOT_FOUND',
      ]);
    },
  );
});

describe('the reconciler follows up a verified webhook answered 503', () => {
  let gw: TestGateway;
  let subscriber: Subscriber<Event>;

  beforeAll(async () => {
    gw = await startTestGateway({
      SANDBOX_WEBHOOKS: 'off',
      RECONCILE_INTERVAL_MS: '200',
      ELEPAY_WEBHOOK_SECRET,
    });
    subscriber = await watchStatusChanges(gw);
  });
  afterAll(async () => {
    await subscriber?.close();
    await gw?.close();
  });

  it('polls what it named until the provider shows it, and publishes it once', async () => {
    const elepayUrl = gw.gateway.sandboxes.elepay?.url ?? '';
    const trigger = async () => {
      const response = await request(`${elepayUrl}/_sandbox/trigger`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event: 'charge.succeeded' }),
      });
      return ((await response.body.json()) as { object: { id: string } }).object.id;
    };
    const made = await trigger();
    const next = `ch_${Number(made.slice(3)) + 1}`;
    const id = chargeGlobalId(next);
    expect((await deliverElepayWebhook(gw.url, ELEPAY_WEBHOOK_SECRET, chargeEvent(next))).status).toBe(503);
    // elepay has it now; no webhook will come (SANDBOX_WEBHOOKS=off), and the ledger never knew it.
    expect(await trigger()).toBe(next);

    const [event] = await subscriber.waitFor(1, 30_000);
    expect(event?.transactionStatusChanged).toMatchObject({ status: 'SUCCEEDED', transaction: { id } });
    const history = await until(
      () => gw.gql(TransactionHistoryDocument, { id }),
      (answer) => (answer.data?.transaction?.statusHistory.length ?? 0) > 0,
      'the history',
    );
    expect(history.data?.transaction?.statusHistory.map((change) => [change.status, change.source])).toEqual([
      ['SUCCEEDED', 'RECONCILIATION'],
    ]);
    const delivery = await until(
      () => gw.gql(WebhookDeliveriesDocument, { filter: { outcome: 'RETRY_LATER' } }),
      (answer) => answer.data?.webhookDeliveries.edges[0]?.node.awaitingReconciliation === false,
      'the follow-up to end',
    );
    expect(delivery.data?.webhookDeliveries.edges[0]?.node.transactionIds).toEqual([id]);
    // Later passes find nothing new.
    await gw.gateway.reconciler.pass();
    expect(await gw.gateway.reconciler.pass()).toBe(0);
    expect(subscriber.received).toHaveLength(1);
  });
});

describe('the reconciler follows up an elopage notification answered 503', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      SANDBOX_WEBHOOKS: 'off',
      RECONCILE_INTERVAL_MS: '200',
      ELOPAGE_WEBHOOK_TOKEN,
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('learns once read whether the ID was a payment, and names it', async () => {
    const page = await createSalesPage(gw, 'Follow-up course', '15.00');
    // The simulator plays the buyer: the gateway notes nothing of it (webhooks are off).
    const checkout = async () => {
      const { data } = await gw.gql(SandboxCompleteCheckoutDocument, {
        input: { salesPageId: page.id, outcome: 'SUCCEED' },
      });
      expect(data?.sandboxCompleteCheckout.userErrors).toEqual([]);
      return data?.sandboxCompleteCheckout.payment;
    };
    const first = await checkout();
    const next = String(Number(first?.providerId) + 1);
    const notified = await request(`${gw.url}/webhooks/elopage/${ELOPAGE_WEBHOOK_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: Number(next), event: 'payment.successful' }),
    });
    expect(notified.statusCode).toBe(503);
    await notified.body.dump();
    const paid = await checkout();
    expect(paid?.providerId).toBe(next);

    const followed = await until(
      () => gw.gql(WebhookDeliveriesDocument, { filter: { outcome: 'RETRY_LATER' } }),
      (answer) => answer.data?.webhookDeliveries.edges[0]?.node.awaitingReconciliation === false,
      'the follow-up to end',
      30_000,
    );
    expect(followed.data?.webhookDeliveries.edges[0]?.node).toMatchObject({
      provider: 'ELOPAGE',
      verified: true,
      refusal: 'OBJECT_NOT_READABLE_YET',
      transactionIds: [paid?.id],
    });
    const history = await until(
      () => gw.gql(TransactionHistoryDocument, { id: paid?.id ?? '' }),
      (answer) => (answer.data?.transaction?.statusHistory.length ?? 0) > 0,
      'the history',
    );
    expect(history.data?.transaction?.statusHistory[0]?.source).toBe('RECONCILIATION');
  });
});

describe('the operator scope', () => {
  const operator = testClient('ops', ['operator']);
  const shop = testClient('shop', ['read', 'write', 'refund']);
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      SANDBOX_WEBHOOKS: 'off',
      PAYGRAPH_CLIENTS: JSON.stringify([operator.client, shop.client]),
    });
  });
  afterAll(async () => {
    gw?.expectNoLeaks([operator.token, shop.token]);
    await gw?.close();
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const seededCharge = chargeGlobalId('ch_7');

  it('refuses the three operator fields without it', async () => {
    const answers = [
      await gw.gql(WebhookDeliveriesDocument, {}, as(shop.token)),
      await gw.gql(ReplayWebhookDeliveryDocument, { id: 'V2ViaG9va0RlbGl2ZXJ5OjE' }, as(shop.token)),
      await gw.gql(ReconcileTransactionDocument, { id: seededCharge }, as(shop.token)),
    ];
    for (const answer of answers) {
      expect(
        answer.errors.map((error) => [error.extensions?.code, error.extensions?.requiredScopes]),
      ).toEqual([['FORBIDDEN', ['operator']]]);
    }
  });

  it('serves them with it, and nothing else', async () => {
    const list = await gw.gql(WebhookDeliveriesDocument, {}, as(operator.token));
    expect(list.errors).toEqual([]);
    expect(list.data?.webhookDeliveries.totalCount).toBe(0);

    const polled = await gw.gql(ReconcileTransactionDocument, { id: seededCharge }, as(operator.token));
    expect(polled.errors).toEqual([]);
    expect(polled.data?.reconcileTransaction).toMatchObject({
      userErrors: [],
      transaction: { id: seededCharge, status: 'PENDING' },
    });
    const replay = await gw.gql(ReplayWebhookDeliveryDocument, { id: 'not-a-delivery' }, as(operator.token));
    expect(replay.data?.replayWebhookDelivery.userErrors.map((error) => error.code)).toEqual(['INVALID']);
    const read = await gw.gql(TransactionHistoryDocument, { id: seededCharge }, as(operator.token));
    expect(read.errors.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('reconcileTransaction', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ SANDBOX_WEBHOOKS: 'off', RECONCILE_INTERVAL_MS: '3600000' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("converges a charge settled behind the gateway's back, once", async () => {
    const created = await gw.gql(CreateChargeDocument, {
      input: { amount: '2500', currency: 'JPY', paymentMethod: 'creditcard' },
    });
    const id = created.data?.createCharge.charge?.id ?? '';
    const settled = await gw.gql(SandboxSettleTransactionDocument, {
      input: { transactionId: id, outcome: 'SUCCEED' },
    });
    expect(settled.data?.sandboxSettleTransaction.userErrors).toEqual([]);

    const subscriber = await watchStatusChanges(gw);
    try {
      const first = await gw.gql(ReconcileTransactionDocument, { id });
      expect(first.errors).toEqual([]);
      expect(first.data?.reconcileTransaction).toMatchObject({
        changed: true,
        previousStatus: 'PENDING',
        transaction: { id, status: 'SUCCEEDED' },
        userErrors: [],
      });
      const [event] = await subscriber.waitFor(1);
      expect(event?.transactionStatusChanged).toMatchObject({
        cursor: first.data?.reconcileTransaction.eventCursor,
        previousStatus: 'PENDING',
        status: 'SUCCEEDED',
      });
      const history = await until(
        () => gw.gql(TransactionHistoryDocument, { id }),
        (answer) => answer.data?.transaction?.statusHistory.length === 2,
        'the reconciled change in the history',
      );
      expect(history.data?.transaction?.statusHistory.map((change) => change.source)).toEqual([
        'MUTATION',
        'RECONCILIATION',
      ]);

      const second = await gw.gql(ReconcileTransactionDocument, { id });
      expect(second.data?.reconcileTransaction).toMatchObject({
        changed: false,
        previousStatus: 'SUCCEEDED',
        eventCursor: null,
      });
      expect(subscriber.received).toHaveLength(1);
    } finally {
      await subscriber.close();
    }
  });
});

describe.skipIf(SKIP_POSTGRES)('a webhook answer never waits for its delivery record', () => {
  let database: TestDatabase;
  let gw: TestGateway;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    gw = await startTestGateway({
      DATABASE_URL: database.url,
      SANDBOX_WEBHOOKS: 'off',
      ELEPAY_WEBHOOK_SECRET,
    });
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await gw?.close();
    await database?.drop();
  });

  it('answers and publishes while the deliveries table is locked, and records it once released', async () => {
    const subscriber = await watchStatusChanges(gw);
    try {
      const paid = await paidChargeEvent(gw, gw.gateway.sandboxes.elepay?.url ?? '', '1800');
      // A database that does not take the record: every insert into the table waits for this lock.
      await admin.query('begin');
      await admin.query('lock table webhook_deliveries in access exclusive mode');
      const answer = await within(
        20_000,
        'the webhook answer while its record waits',
        deliverElepayWebhook(gw.url, ELEPAY_WEBHOOK_SECRET, paid.body),
      );
      expect(answer.status).toBe(200);
      const [event] = await subscriber.waitFor(1);
      expect(event?.transactionStatusChanged).toMatchObject({
        status: 'SUCCEEDED',
        transaction: { id: paid.id },
      });
      await admin.query('commit');

      const listed = await until(
        () => gw.gql(WebhookDeliveriesDocument, {}),
        (page) => (page.data?.webhookDeliveries.edges.length ?? 0) === 1,
        'the delivery, once the table is free',
      );
      expect(listed.data?.webhookDeliveries.edges[0]?.node).toMatchObject({
        outcome: 'RECORDED',
        eventCursors: [event?.transactionStatusChanged.cursor],
      });
    } finally {
      await admin.query('rollback').catch(() => undefined);
      await subscriber.close();
    }
  });
});
