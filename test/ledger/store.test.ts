import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { globalIdOf } from '../../src/domain/ids.js';
import type { Charge, ElepayRefund, ElopageRefund, Payment, Transaction } from '../../src/domain/model.js';
import type { PaymentStatus } from '../../src/domain/status.js';
import type { LedgerConfig } from '../../src/ledger/config.js';
import type { NewDelivery } from '../../src/ledger/deliveries.js';
import { openLedger } from '../../src/ledger/index.js';
import type { Ledger, LedgerFilter, StatusChange } from '../../src/ledger/ledger.js';
import { chargeWith } from '../support/charges.js';
import { captureLogs } from '../support/harness.js';
import { createTestDatabase, skipWithoutPostgres, type TestDatabase } from '../support/postgres.js';

/**
 * The Ledger contract, one suite, every engine: SQLite in memory (the default), SQLite in a file,
 * and PostgreSQL in a database made for this run and dropped after it.
 */
const SKIP_POSTGRES = await skipWithoutPostgres('test/ledger/store.test.ts (PostgreSQL ledger)');
const silent = captureLogs().logger;

interface Engine {
  name: string;
  skip: boolean;
  /** A fresh, empty database for one test. */
  fresh(): Promise<LedgerConfig>;
  /** Several instances may share one database (PostgreSQL); SQLite serves one process. */
  shared: boolean;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const engines: Engine[] = [
  {
    name: 'SQLite in memory',
    skip: false,
    shared: false,
    fresh: async () => ({ engine: 'sqlite', path: null }),
  },
  {
    name: 'SQLite in a file',
    skip: false,
    shared: false,
    async fresh() {
      const folder = mkdtempSync(join(tmpdir(), 'paygraph-ledger-'));
      cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
      return { engine: 'sqlite', path: join(folder, 'ledger.db') };
    },
  },
  {
    name: 'PostgreSQL',
    skip: SKIP_POSTGRES,
    shared: true,
    async fresh() {
      const database: TestDatabase = await createTestDatabase();
      cleanups.push(() => database.drop());
      return { engine: 'postgres', url: database.url, password: null };
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Transactions shaped as providers/*/map.ts makes them.

let counter = 0;
const nextId = (prefix: string) => `${prefix}${++counter}`;
const t0 = Date.parse('2026-03-01T10:00:00.000Z');
const minutes = (n: number) => new Date(t0 + n * 60_000);

function charge(status: PaymentStatus, createdAt: Date, amount = '1000', currency = 'JPY'): Charge {
  return chargeWith({
    providerId: nextId('ch_'),
    status,
    amount: { amount, currency },
    createdAt,
    orderNo: nextId('order-'),
  });
}

function payment(
  status: PaymentStatus,
  createdAt: Date | null,
  salesPageId: string,
  amount = '199.90',
): Payment {
  const money = { amount, currency: 'EUR' };
  return {
    kind: 'Payment',
    provider: 'ELOPAGE',
    providerId: nextId('5400'),
    status,
    providerStatus: status === 'SUCCEEDED' ? 'successful' : 'pending',
    amount: money,
    createdAt,
    payer: null,
    revenue: money,
    netAmount: money,
    fee: { amount: '0.00', currency: 'EUR' },
    recurring: false,
    recurringForm: null,
    paymentMethod: 'card',
    paymentSessionId: null,
    salesPageId,
    succeededAt: null,
    succeededOn: null,
    invoiceUrl: null,
    successUrl: null,
    authorCommissions: [],
  };
}

function elepayRefund(of: Charge, status: PaymentStatus, createdAt: Date): ElepayRefund {
  return {
    kind: 'Refund',
    provider: 'ELEPAY',
    providerId: nextId('re_'),
    chargeId: of.providerId,
    status,
    providerStatus: status === 'SUCCEEDED' ? 'refunded' : 'pending',
    amount: { amount: '300', currency: 'JPY' },
    createdAt,
    reason: null,
    refundedAt: null,
    metadata: null,
  };
}

function elopageRefund(of: Payment, createdAt: Date): ElopageRefund {
  return {
    kind: 'Refund',
    provider: 'ELOPAGE',
    providerId: nextId('5401'),
    refundedPaymentId: of.providerId,
    status: 'SUCCEEDED',
    providerStatus: 'successful',
    amount: of.amount,
    createdAt,
    payer: null,
    netAmount: of.amount,
    fee: { amount: '0.00', currency: 'EUR' },
    paymentMethod: 'card',
    paymentSessionId: null,
    salesPageId: of.salesPageId,
    authorCommissions: [],
  };
}

const withStatus = <T extends Transaction>(transaction: T, status: PaymentStatus): T => ({
  ...transaction,
  status,
  providerStatus: status.toLowerCase(),
});

async function ids(ledger: Ledger, filter: LedgerFilter = {}, first = 100): Promise<string[]> {
  return (await ledger.list(filter, first, null)).entries.map(({ entry }) => entry.id);
}

async function historyOf(ledger: Ledger, transaction: Transaction): Promise<StatusChange[]> {
  const [history] = await ledger.histories([globalIdOf(transaction)]);
  return history ?? [];
}

const steps = (history: StatusChange[]) =>
  history.map(({ previousStatus, status, source }) => `${previousStatus ?? '∅'}→${status} ${source}`);

describe.each(engines)('the ledger on $name', (engine) => {
  const open = async (config?: LedgerConfig): Promise<Ledger> => {
    const ledger = await openLedger(config ?? (await engine.fresh()), silent);
    cleanups.unshift(() => ledger.close());
    return ledger;
  };

  it.skipIf(engine.skip)('starts empty, and opening it again keeps what it holds', async () => {
    const config = await engine.fresh();
    const first = await openLedger(config, silent);
    expect(await first.checkpoint()).toBe('0-0');
    expect(await first.list({}, 10, null)).toEqual({ entries: [], hasNextPage: false, totalCount: 0 });
    const seen = charge('PENDING', minutes(0));
    await first.observe([seen], 'MUTATION');
    await first.project([
      { cursor: '1700000000000-0', occurredAt: minutes(1), transaction: withStatus(seen, 'SUCCEEDED') },
    ]);
    await first.close();
    if (config.engine === 'sqlite' && config.path === null) return; // memory ends with its connection
    // The migrations run again and find nothing to do; the data and the checkpoint are still there.
    const again = await open(config);
    expect(await again.checkpoint()).toBe('1700000000000-0');
    expect(await ids(again)).toEqual([globalIdOf(seen)]);
  });

  it.skipIf(engine.skip)(
    'notes a new transaction with exact money, UTC times and its first status',
    async () => {
      const ledger = await open();
      // Beyond 2^53 minor units: a double would round it.
      const big = charge('PENDING', new Date('2026-03-01T10:00:00.123Z'), '12345678901234567', 'JPY');
      const cents = payment('SUCCEEDED', minutes(5), '1089', '199.90');
      await ledger.observe([big, cents], 'READ');
      const page = await ledger.list({}, 10, null);
      expect(page.totalCount).toBe(2);
      expect(page.entries.map(({ entry }) => entry)).toEqual([
        {
          id: globalIdOf(cents),
          provider: 'ELOPAGE',
          kind: 'PAYMENT',
          providerId: cents.providerId,
          status: 'SUCCEEDED',
          providerStatus: 'successful',
          amount: { amount: '199.90', currency: 'EUR' },
          currency: 'EUR',
          salesPageId: '1089',
          createdAt: minutes(5),
          updatedAt: expect.any(Date),
        },
        {
          id: globalIdOf(big),
          provider: 'ELEPAY',
          kind: 'CHARGE',
          providerId: big.providerId,
          status: 'PENDING',
          providerStatus: 'pending',
          amount: { amount: '12345678901234567', currency: 'JPY' },
          currency: 'JPY',
          salesPageId: null,
          createdAt: new Date('2026-03-01T10:00:00.123Z'),
          updatedAt: expect.any(Date),
        },
      ]);
      const [history] = await ledger.histories([globalIdOf(big)]);
      expect(history).toEqual([
        {
          transactionId: globalIdOf(big),
          status: 'PENDING',
          previousStatus: null,
          providerStatus: 'pending',
          source: 'READ',
          providerEventId: null,
          observedAt: expect.any(Date),
          cursor: null,
        },
      ]);
    },
  );

  it.skipIf(engine.skip)(
    'keeps an amount finer than its currency allows as unknown rather than rounded',
    async () => {
      const ledger = await open();
      await ledger.observe([payment('SUCCEEDED', minutes(0), '1089', '19.385')], 'READ');
      const [only] = (await ledger.list({}, 10, null)).entries;
      expect(only?.entry.amount).toBeNull();
      expect(only?.entry.currency).toBe('EUR');
    },
  );

  it.skipIf(engine.skip)(
    'moves a status only forward, each status once, whichever source tells it',
    async () => {
      const ledger = await open();
      const created = charge('PENDING', minutes(0));
      await ledger.observe([created], 'MUTATION');
      await ledger.observe([created], 'READ');
      await ledger.observe([withStatus(created, 'SUCCEEDED')], 'READ');
      await ledger.observe([withStatus(created, 'PENDING')], 'READ');
      await ledger.project([
        { cursor: '1-0', occurredAt: minutes(2), transaction: withStatus(created, 'SUCCEEDED') },
      ]);
      await ledger.project([
        { cursor: '2-0', occurredAt: minutes(3), transaction: withStatus(created, 'REFUNDED') },
      ]);
      await ledger.observe([withStatus(created, 'SUCCEEDED')], 'READ');
      expect(steps(await historyOf(ledger, created))).toEqual([
        '∅→PENDING MUTATION',
        'PENDING→SUCCEEDED READ',
        'SUCCEEDED→REFUNDED WEBHOOK',
      ]);
      const [entry] = (await ledger.list({}, 1, null)).entries;
      expect(entry?.entry.status).toBe('REFUNDED');
    },
  );

  it.skipIf(engine.skip)(
    'takes in each event-log change once, in log order, keyed by its cursor',
    async () => {
      const ledger = await open();
      const paid = charge('PENDING', minutes(0));
      const pending = { cursor: '1772359200000-0', occurredAt: minutes(1), transaction: paid };
      expect(await ledger.project([pending])).toBe(1);
      expect(await ledger.project([pending])).toBe(0);
      // An older cursor was taken in before (or lost to retention): never applied after a newer one.
      expect(
        await ledger.project([
          { ...pending, cursor: '1772359199999-5', transaction: withStatus(paid, 'FAILED') },
        ]),
      ).toBe(0);
      const succeeded = {
        cursor: '1772359200000-1',
        occurredAt: minutes(2),
        transaction: withStatus(paid, 'SUCCEEDED'),
        providerEventId: 'evt_0123456789abcdef',
      };
      // In one batch with a duplicate before it: only the new one counts.
      expect(await ledger.project([pending, succeeded])).toBe(1);
      expect(await ledger.checkpoint()).toBe('1772359200000-1');
      expect(await historyOf(ledger, paid)).toEqual([
        {
          transactionId: globalIdOf(paid),
          status: 'PENDING',
          previousStatus: null,
          providerStatus: 'pending',
          source: 'WEBHOOK',
          providerEventId: null,
          observedAt: minutes(1),
          cursor: '1772359200000-0',
        },
        {
          transactionId: globalIdOf(paid),
          status: 'SUCCEEDED',
          previousStatus: 'PENDING',
          providerStatus: 'succeeded',
          source: 'WEBHOOK',
          providerEventId: 'evt_0123456789abcdef',
          observedAt: minutes(2),
          cursor: '1772359200000-1',
        },
      ]);
    },
  );

  it.skipIf(engine.skip)(
    'takes in a change it already learned from a read, without a second entry',
    async () => {
      const ledger = await open();
      const read = charge('SUCCEEDED', minutes(0));
      await ledger.observe([read], 'READ');
      expect(await ledger.project([{ cursor: '5-0', occurredAt: minutes(1), transaction: read }])).toBe(1);
      expect(await ledger.checkpoint()).toBe('5-0');
      expect(steps(await historyOf(ledger, read))).toEqual(['∅→SUCCEEDED READ']);
    },
  );

  it.skipIf(engine.skip)(
    'keeps a change a read saw due for a poll, final or not, until the log carries it',
    async () => {
      const ledger = await open();
      const failed = charge('FAILED', minutes(0));
      await ledger.observe([{ ...failed, status: 'PENDING', providerStatus: 'pending' }], 'MUTATION');
      await ledger.observe([failed], 'READ');
      // First seen already final: no change that subscribers missed, nothing to poll.
      await ledger.observe([charge('CANCELED', minutes(1))], 'READ');
      const due = async () =>
        (await ledger.dueForReconciliation(minutes(60), 10)).map(({ entry, unpublished }) => [
          entry.id,
          unpublished,
        ]);
      expect(await due()).toEqual([[globalIdOf(failed), true]]);
      expect(await ledger.project([{ cursor: '5-0', occurredAt: minutes(2), transaction: failed }])).toBe(1);
      expect(await due()).toEqual([]);
      expect(steps(await historyOf(ledger, failed))).toEqual(['∅→PENDING MUTATION', 'PENDING→FAILED READ']);
    },
  );

  it.skipIf(engine.skip)('lists newest first under every filter and pages forward without gaps', async () => {
    const ledger = await open();
    const c1 = charge('SUCCEEDED', minutes(1));
    const c2 = charge('FAILED', minutes(2));
    const p1 = payment('SUCCEEDED', minutes(3), '1089');
    // elopage states minutes only: same creation time, so the one noted later comes first.
    const p2 = payment('PENDING', minutes(3), '1090');
    const r1 = elepayRefund(c1, 'PENDING', minutes(4));
    const r2 = elopageRefund(p1, minutes(5));
    const p3 = payment('FAILED', null, '1089'); // no creation time: when first seen (now, the newest)
    for (const transaction of [c1, c2, p1, p2, r1, r2, p3]) await ledger.observe([transaction], 'READ');
    const id = globalIdOf;
    expect(await ids(ledger)).toEqual([p3, r2, r1, p2, p1, c2, c1].map(id));
    expect(await ids(ledger, { provider: 'ELEPAY' })).toEqual([r1, c2, c1].map(id));
    expect(await ids(ledger, { provider: 'ELOPAGE' })).toEqual([p3, r2, p2, p1].map(id));
    expect(await ids(ledger, { kind: 'REFUND' })).toEqual([r2, r1].map(id));
    expect(await ids(ledger, { kind: 'PAYMENT' })).toEqual([p3, p2, p1].map(id));
    expect(await ids(ledger, { statuses: ['FAILED'] })).toEqual([p3, c2].map(id));
    expect(await ids(ledger, { statuses: ['PENDING', 'FAILED'] })).toEqual([p3, r1, p2, c2].map(id));
    expect(await ids(ledger, { statuses: [] })).toHaveLength(7);
    expect(await ids(ledger, { salesPageId: '1089' })).toEqual([p3, r2, p1].map(id));
    // Both bounds are inclusive.
    expect(await ids(ledger, { createdAfter: minutes(3), createdBefore: minutes(4) })).toEqual(
      [r1, p2, p1].map(id),
    );
    expect(await ids(ledger, { createdBefore: minutes(2) })).toEqual([c2, c1].map(id));
    expect(
      await ids(ledger, {
        provider: 'ELOPAGE',
        kind: 'PAYMENT',
        statuses: ['SUCCEEDED'],
        salesPageId: '1089',
      }),
    ).toEqual([p1].map(id));

    const filter: LedgerFilter = { statuses: ['SUCCEEDED', 'PENDING', 'FAILED'] };
    const pages: string[][] = [];
    let after = null;
    for (;;) {
      const page = await ledger.list(filter, 2, after);
      expect(page.totalCount).toBe(7);
      pages.push(page.entries.map(({ entry }) => entry.id));
      if (!page.hasNextPage) break;
      after = page.entries.at(-1)?.position ?? null;
    }
    expect(pages).toEqual([[p3, r2].map(id), [r1, p2].map(id), [p1, c2].map(id), [c1].map(id)]);
    const counted = await ledger.list({ kind: 'CHARGE' }, 0, null);
    expect(counted).toEqual({ entries: [], hasNextPage: true, totalCount: 2 });
  });

  it.skipIf(engine.skip)(
    'reads several histories at once, in the order asked, [] for an unknown ID',
    async () => {
      const ledger = await open();
      const a = charge('PENDING', minutes(0));
      const b = payment('SUCCEEDED', minutes(1), '1089');
      await ledger.observe([a, b], 'MUTATION');
      await ledger.observe([withStatus(a, 'SUCCEEDED')], 'READ');
      const histories = await ledger.histories([globalIdOf(b), 'unknown', globalIdOf(a), globalIdOf(b)]);
      expect(histories.map(steps)).toEqual([
        ['∅→SUCCEEDED MUTATION'],
        [],
        ['∅→PENDING MUTATION', 'PENDING→SUCCEEDED READ'],
        ['∅→SUCCEEDED MUTATION'],
      ]);
    },
  );

  it.skipIf(engine.skip)('keeps one history per transaction under concurrent writers', async () => {
    const config = await engine.fresh();
    const capture = captureLogs();
    const openShared = async () => {
      const ledger = await openLedger(config, capture.logger);
      cleanups.unshift(() => ledger.close());
      return ledger;
    };
    // PostgreSQL: two instances on one database; SQLite: one instance, its calls interleaved.
    const ledgers = engine.shared ? [await openShared(), await openShared()] : [await openShared()];
    const lifecycle: PaymentStatus[] = [
      'PENDING',
      'AUTHORIZED',
      'SUCCEEDED',
      'PARTIALLY_REFUNDED',
      'REFUNDED',
    ];
    const contested = Array.from({ length: 3 }, (_, index) => charge('PENDING', minutes(index)));
    const changes = lifecycle.flatMap((status, step) =>
      contested.map((transaction, index) => ({
        cursor: `1772359200000-${step * contested.length + index}`,
        occurredAt: minutes(step),
        transaction: withStatus(transaction, status),
      })),
    );
    const others = Array.from({ length: 10 }, (_, index) => charge('PENDING', minutes(index)));
    // Every instance takes in the whole log in order, as each follows it, while reads and
    // mutations on every instance note the same transactions in other statuses and orders.
    await Promise.all([
      ...ledgers.map(async (ledger) => {
        // Batches of varying size, as bursts of webhooks arrive.
        for (let start = 0; start < changes.length; start += 4) {
          await ledger.project(changes.slice(start, start + 1 + (start % 3)));
          await ledger.project(changes.slice(start + 1 + (start % 3), start + 4));
        }
      }),
      ...ledgers.flatMap((ledger) =>
        Array.from({ length: 8 }, (_, round) =>
          ledger.observe(
            [
              ...(round % 2 ? others : [...others].reverse()),
              ...contested.map((transaction, index) =>
                withStatus(transaction, lifecycle[(round + index) % lifecycle.length] ?? 'PENDING'),
              ),
            ],
            round % 2 ? 'READ' : 'MUTATION',
          ),
        ),
      ),
    ]);
    // Nothing was refused on the way (a noted transaction that failed would only be logged).
    expect(capture.lines.filter((line) => line.includes('ledger: cannot'))).toEqual([]);
    const [ledger] = ledgers;
    if (!ledger) throw new Error('no ledger');
    expect(await ledger.checkpoint()).toBe(changes.at(-1)?.cursor);
    for (const transaction of contested) {
      const history = await historyOf(ledger, transaction);
      // Each status at most once, in lifecycle order, each entry following the one before.
      expect(history.map((change) => change.status)).toEqual(
        lifecycle.filter((status) => history.some((change) => change.status === status)),
      );
      expect(history.map((change) => change.previousStatus)).toEqual([
        null,
        ...history.slice(0, -1).map((change) => change.status),
      ]);
      expect(history.at(-1)?.status).toBe('REFUNDED');
    }
    for (const other of others) expect(await historyOf(ledger, other)).toHaveLength(1);
    expect((await ledger.list({}, 100, null)).totalCount).toBe(13);
  });

  it.skipIf(engine.skip)(
    "records a tenant's transactions as its own, first owner wins, and lists a tenant's only",
    async () => {
      const ledger = await open();
      const mine = charge('PENDING', minutes(0));
      const theirs = charge('PENDING', minutes(1));
      // A webhook can make the row before the mutation's answer is recorded: it gets its owner then.
      const early = charge('PENDING', minutes(2));
      await ledger.project([{ cursor: '1-0', occurredAt: minutes(2), transaction: early }]);
      const unowned = charge('SUCCEEDED', minutes(3));
      await ledger.observe([unowned], 'READ');
      await ledger.own([mine, early], 'acme');
      await ledger.own([theirs], 'globex');
      // Owned once, never taken over: a later claim by another tenant changes nothing.
      await ledger.own([mine], 'globex');
      const all = [mine, theirs, early, unowned].map(globalIdOf);
      expect(await ledger.owners([...all, 'no-such-id'])).toEqual(['acme', 'globex', 'acme', null, null]);
      expect(await ids(ledger, { tenant: 'acme' })).toEqual([early, mine].map(globalIdOf));
      expect(await ids(ledger, { tenant: 'globex' })).toEqual([globalIdOf(theirs)]);
      expect((await ledger.list({ tenant: 'acme' }, 1, null)).totalCount).toBe(2);
      expect(await ids(ledger)).toHaveLength(4);
      // Owning notes it as the mutation's answer, once.
      expect(steps(await historyOf(ledger, mine))).toEqual(['∅→PENDING MUTATION']);
      expect(steps(await historyOf(ledger, early))).toEqual(['∅→PENDING WEBHOOK']);

      // A payment of a tenant's sales page is the tenant's from its first record, whoever tells it.
      await ledger.ownSalesPage('sp-acme', 'acme');
      await ledger.ownSalesPage('sp-acme', 'globex');
      expect(await ledger.salesPageOwners(['sp-acme', 'sp-none'])).toEqual(['acme', null]);
      const bought = payment('SUCCEEDED', minutes(4), 'sp-acme');
      const boughtByGlobex = payment('PENDING', minutes(5), 'sp-acme');
      await ledger.project([{ cursor: '2-0', occurredAt: minutes(4), transaction: bought }]);
      await ledger.own([boughtByGlobex], 'globex');
      expect(await ledger.owners([bought, boughtByGlobex].map(globalIdOf))).toEqual(['acme', 'acme']);
      // Before the ledger has one, its owner-to-be is its sales page's tenant.
      expect(await ledger.ownerOf(payment('PENDING', minutes(6), 'sp-acme'))).toBe('acme');
      expect(await ledger.ownerOf(payment('PENDING', minutes(6), 'sp-none'))).toBeNull();
      expect(await ledger.ownerOf(mine)).toBe('acme');
      // A refund is its refunded transaction's tenant's, whoever made it and however it is learned.
      const refundOfMine = elepayRefund(mine, 'PENDING', minutes(7));
      expect(await ledger.ownerOf(refundOfMine)).toBe('acme');
      await ledger.project([{ cursor: '3-0', occurredAt: minutes(7), transaction: refundOfMine }]);
      const refundOfBought = elopageRefund(bought, minutes(8));
      await ledger.observe([refundOfBought], 'READ');
      expect(await ledger.owners([refundOfMine, refundOfBought].map(globalIdOf))).toEqual(['acme', 'acme']);
      expect(await ledger.ownerOf(elepayRefund(unowned, 'PENDING', minutes(9)))).toBeNull();
    },
  );

  it.skipIf(engine.skip)(
    'deletes final transactions past retention in batches, with their history, and keeps the rest',
    async () => {
      const ledger = await open();
      const old = minutes(-60 * 24 * 40);
      const cutoff = minutes(-60 * 24 * 30);
      let cursor = 0;
      const at = (when: Date, transaction: Transaction) => ({
        cursor: `${++cursor}-0`,
        occurredAt: when,
        transaction,
      });
      // Seven old final ones (three batches of three), an old one still pending, a young final one.
      const expired = Array.from({ length: 7 }, (_, n) => charge('PENDING', minutes(-60 * 24 * 41 + n)));
      const pending = charge('PENDING', minutes(-60 * 24 * 41));
      const young = charge('PENDING', minutes(-60 * 24 * 41));
      await ledger.project([
        ...[...expired, pending, young].map((transaction) => at(old, transaction)),
        ...expired.map((transaction, n) => at(old, withStatus(transaction, n % 2 ? 'FAILED' : 'CANCELED'))),
        at(minutes(0), withStatus(young, 'FAILED')),
      ]);
      // Webhook deliveries received before the cutoff go too, in their own batches: four old, one young.
      const delivery = (receivedAt: Date): NewDelivery => ({
        provider: 'ELEPAY',
        receivedAt,
        verified: true,
        refusal: null,
        httpStatus: 200,
        outcome: 'RECORDED',
        transactionIds: [],
        eventCursors: [],
        providerEventId: null,
        body: null,
        signature: null,
        followUp: false,
      });
      for (let n = 0; n < 4; n++) ledger.deliveries.record(delivery(old));
      ledger.deliveries.record(delivery(minutes(0)));
      await ledger.deliveries.flush();
      expect(await ledger.sweep(cutoff, 3, 1)).toEqual({ transactions: 7, webhook_deliveries: 4 });
      expect((await ids(ledger)).sort()).toEqual([pending, young].map(globalIdOf).sort());
      expect(await ledger.histories(expired.map(globalIdOf))).toEqual(expired.map(() => []));
      expect(steps(await historyOf(ledger, young))).toEqual(['∅→PENDING WEBHOOK', 'PENDING→FAILED WEBHOOK']);
      // Nothing left to delete: a second sweep deletes nothing.
      expect(await ledger.sweep(cutoff, 3, 1)).toEqual({ transactions: 0, webhook_deliveries: 0 });
    },
  );

  it.skipIf(engine.skip)("answers a ping, and a closed database's ping fails", async () => {
    const ledger = await openLedger(await engine.fresh(), silent);
    await expect(ledger.ping()).resolves.toBeUndefined();
    await ledger.close();
    await expect(ledger.ping()).rejects.toThrow();
  });

  it.skipIf(engine.skip)(
    'never fails a read or mutation when its database is gone, and says so once',
    async () => {
      const capture = captureLogs();
      const ledger = await openLedger(await engine.fresh(), capture.logger);
      await ledger.close();
      await expect(ledger.observe([charge('PENDING', minutes(0))], 'READ')).resolves.toBeUndefined();
      await expect(ledger.observe([charge('PENDING', minutes(0))], 'MUTATION')).resolves.toBeUndefined();
      expect(capture.lines.filter((line) => line.includes('ledger: cannot note transactions'))).toHaveLength(
        1,
      );
      await expect(
        ledger.project([
          { cursor: '1-0', occurredAt: minutes(0), transaction: charge('PENDING', minutes(0)) },
        ]),
      ).rejects.toThrow();
    },
  );
});
