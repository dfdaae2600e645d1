import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SandboxCompleteCheckoutDocument,
  type SandboxOutcome,
  SandboxSettleTransactionDocument,
  TransactionHistoryDocument,
  type TransactionStatusChangedSubscription,
} from '../generated/graphql.js';
import { createCharge, createSalesPage } from '../support/flows.js';
import { startTestGateway, startTwoInstances, type TestGateway } from '../support/harness.js';
import { createTestDatabase, skipWithoutPostgres, type TestDatabase } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { type Subscriber, watchStatusChanges } from '../support/subscriptions.js';
import { until } from '../support/wait.js';

/**
 * The reconciler (src/services/reconcile.ts): with the simulators' webhooks off, the gateway still
 * learns what happened at the providers behind its back, by polling every non-final transaction in
 * the ledger, and tells subscribers once per change through the event log, which the ledger's
 * history shows with source RECONCILIATION.
 */
const INTERVAL_MS = 200;

const SKIP_SHARED =
  (await skipWithoutPostgres('test/ledger/reconcile.test.ts (two instances)')) ||
  (await skipWithoutRedis('test/ledger/reconcile.test.ts (two instances)'));

type Event = TransactionStatusChangedSubscription['transactionStatusChanged'];

describe('reconciliation with SANDBOX_WEBHOOKS=off', () => {
  let gw: TestGateway;
  let subscriber: Subscriber<TransactionStatusChangedSubscription>;

  beforeAll(async () => {
    gw = await startTestGateway({ SANDBOX_WEBHOOKS: 'off', RECONCILE_INTERVAL_MS: String(INTERVAL_MS) });
    subscriber = await watchStatusChanges(gw);
  });
  afterAll(async () => {
    await subscriber?.close();
    await gw?.close();
  });

  /** The simulator settles it as the payer would; it sends no webhook, and the gateway notes nothing. */
  async function settleBehindTheGatewaysBack(transactionId: string, outcome: SandboxOutcome): Promise<void> {
    const { data, errors } = await gw.gql(SandboxSettleTransactionDocument, {
      input: { transactionId, outcome },
    });
    expect(errors).toEqual([]);
    expect(data?.sandboxSettleTransaction.userErrors).toEqual([]);
  }

  async function history(id: string) {
    const { data, errors } = await gw.gql(TransactionHistoryDocument, { id });
    expect(errors).toEqual([]);
    return data?.transaction?.statusHistory ?? [];
  }

  it('brings a settled charge, a failed charge and a paid elopage payment to subscribers once each', async () => {
    const settled = await createCharge(gw, '1200');
    const failed = await createCharge(gw, '3400');
    const page = await createSalesPage(gw, 'Reconciled course', '19.00');
    const checkout = await gw.gql(SandboxCompleteCheckoutDocument, {
      input: { salesPageId: page.id, paymentMethod: 'bank_wire', outcome: 'PENDING' },
    });
    expect(checkout.data?.sandboxCompleteCheckout.userErrors).toEqual([]);
    const payment = checkout.data?.sandboxCompleteCheckout.payment?.id ?? '';
    // The gateway learns of the pending payment by reading it, as a frontend would.
    expect((await history(payment)).map((change) => [change.status, change.source])).toEqual([
      ['PENDING', 'READ'],
    ]);

    await settleBehindTheGatewaysBack(settled, 'SUCCEED');
    await settleBehindTheGatewaysBack(failed, 'FAIL');
    await settleBehindTheGatewaysBack(payment, 'SUCCEED');

    const events = await subscriber.waitFor(3, 30_000);
    const byTransaction = (event: { transactionStatusChanged: Event }) =>
      [event.transactionStatusChanged.transaction.id, event.transactionStatusChanged.status] as const;
    expect(new Map(events.map(byTransaction))).toEqual(
      new Map([
        [settled, 'SUCCEEDED'],
        [failed, 'FAILED'],
        [payment, 'SUCCEEDED'],
      ]),
    );
    for (const { transactionStatusChanged: event } of events) {
      expect(event.previousStatus).toBe('PENDING');
    }

    const expected: [string, string[][]][] = [
      [
        settled,
        [
          ['PENDING', 'MUTATION'],
          ['SUCCEEDED', 'RECONCILIATION'],
        ],
      ],
      [
        failed,
        [
          ['PENDING', 'MUTATION'],
          ['FAILED', 'RECONCILIATION'],
        ],
      ],
      [
        payment,
        [
          ['PENDING', 'READ'],
          ['SUCCEEDED', 'RECONCILIATION'],
        ],
      ],
    ];
    for (const [id, changes] of expected) {
      await until(
        () => history(id),
        (steps) => steps.length === changes.length,
        `${changes.length} changes in the history of ${id}`,
      );
      expect((await history(id)).map((change) => [change.status, change.source])).toEqual(changes);
    }

    // Further passes find nothing new: no event is published twice.
    await gw.gateway.reconciler.pass();
    await gw.gateway.reconciler.pass();
    expect(await gw.gateway.reconciler.pass()).toBe(0);
    expect(subscriber.received).toHaveLength(3);
    expect(gw.logs.some((line) => line.includes('webhook delivered'))).toBe(false);
  });
});

describe('a change a read saw before any webhook or poll', () => {
  let gw: TestGateway;
  let subscriber: Subscriber<TransactionStatusChangedSubscription>;

  beforeAll(async () => {
    // Passes run only when the test asks, so the read surely comes first.
    gw = await startTestGateway({ SANDBOX_WEBHOOKS: 'off', RECONCILE_INTERVAL_MS: '600000' });
    subscriber = await watchStatusChanges(gw);
  });
  afterAll(async () => {
    await subscriber?.close();
    await gw?.close();
  });

  async function history(id: string) {
    const { data, errors } = await gw.gql(TransactionHistoryDocument, { id });
    expect(errors).toEqual([]);
    return (data?.transaction?.statusHistory ?? []).map((change) => [change.status, change.source]);
  }

  it('still reaches subscribers once, by the next pass, a final status too', async () => {
    const settled = await createCharge(gw, '1300');
    const failed = await createCharge(gw, '3500');
    for (const [transactionId, outcome] of [
      [settled, 'SUCCEED'],
      [failed, 'FAIL'],
    ] as const) {
      const { data } = await gw.gql(SandboxSettleTransactionDocument, { input: { transactionId, outcome } });
      expect(data?.sandboxSettleTransaction.userErrors).toEqual([]);
    }
    // A frontend reads both before the reconciler polls: the ledger learns the news from the read.
    for (const [id, status] of [
      [settled, 'SUCCEEDED'],
      [failed, 'FAILED'],
    ] as const) {
      await until(
        () => history(id),
        (steps) => steps.length === 2,
        `the read's change in the history of ${id}`,
      );
      expect(await history(id)).toEqual([
        ['PENDING', 'MUTATION'],
        [status, 'READ'],
      ]);
    }
    expect(subscriber.received).toHaveLength(0);

    await gw.gateway.reconciler.pass();
    const events = await subscriber.waitFor(2, 10_000);
    expect(
      new Map(
        events.map(({ transactionStatusChanged: event }) => [
          event.transaction.id,
          [event.previousStatus, event.status],
        ]),
      ),
    ).toEqual(
      new Map([
        [settled, ['PENDING', 'SUCCEEDED']],
        [failed, ['PENDING', 'FAILED']],
      ]),
    );
    // The history keeps who told the gateway first, and later passes publish nothing again.
    expect(await history(failed)).toEqual([
      ['PENDING', 'MUTATION'],
      ['FAILED', 'READ'],
    ]);
    await gw.gateway.reconciler.pass();
    expect(await gw.gateway.reconciler.pass()).toBe(0);
    expect(subscriber.received).toHaveLength(2);
  });
});

describe.skipIf(SKIP_SHARED)('two instances on one PostgreSQL and one Redis', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix();
  let a: TestGateway;
  let b: TestGateway;
  const subscribers: Subscriber<TransactionStatusChangedSubscription>[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const shared = {
      SANDBOX_WEBHOOKS: 'off',
      // Long enough that the lease (three intervals) never lapses on a loaded machine during the test.
      RECONCILE_INTERVAL_MS: '1000',
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    };
    [a, b] = await startTwoInstances(shared);
  });
  afterAll(async () => {
    for (const subscriber of subscribers) await subscriber.close();
    await a?.close();
    await b?.close();
    await database?.drop();
    await deleteKeys(prefix);
  });

  it('polls each transaction on one instance only, and both instances hear each change once', async () => {
    for (const gw of [a, b]) subscribers.push(await watchStatusChanges(gw));
    const charges = [
      await createCharge(a, '700'),
      await createCharge(a, '800'),
      await createCharge(a, '900'),
    ];
    for (const [n, id] of charges.entries()) {
      const { data } = await a.gql(SandboxSettleTransactionDocument, {
        input: { transactionId: id, outcome: n === 1 ? 'FAIL' : 'SUCCEED' },
      });
      expect(data?.sandboxSettleTransaction.userErrors).toEqual([]);
    }

    for (const subscriber of subscribers) {
      const events = await subscriber.waitFor(3, 30_000);
      expect(events.map((event) => event.transactionStatusChanged.transaction.id).sort()).toEqual(
        [...charges].sort(),
      );
    }
    // One instance holds the lease: the other's pass polls nothing.
    const passes = [await a.gateway.reconciler.pass(), await b.gateway.reconciler.pass()];
    expect(passes.filter((pass) => pass === null)).toHaveLength(1);
    const recordedBy = [a, b].map(
      (gw) => gw.logs.filter((line) => line.includes('reconciler: status change recorded')).length,
    );
    expect(recordedBy.sort()).toEqual([0, 3]);
    for (const id of charges) {
      const { data } = await b.gql(TransactionHistoryDocument, { id });
      expect(data?.transaction?.statusHistory.map((change) => change.source)).toEqual([
        'MUTATION',
        'RECONCILIATION',
      ]);
    }
    for (const subscriber of subscribers) expect(subscriber.received).toHaveLength(3);
  });
});
