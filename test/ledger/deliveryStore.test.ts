import { afterAll, describe, expect, it } from 'vitest';
import type { LedgerConfig } from '../../src/ledger/config.js';
import type { NewDelivery } from '../../src/ledger/deliveries.js';
import { openLedger } from '../../src/ledger/index.js';
import { captureLogs } from '../support/harness.js';
import { createTestDatabase, skipWithoutPostgres } from '../support/postgres.js';

/**
 * The webhook deliveries' contract (src/ledger/deliveries.ts) on both engines: what the receivers
 * record, the reconciler's follow-up schedule, and the batch deletion a retention sweep calls.
 */
const SKIP_POSTGRES = await skipWithoutPostgres('test/ledger/deliveryStore.test.ts (PostgreSQL)');
const silent = captureLogs().logger;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const engines: { name: string; skip: boolean; fresh: () => Promise<LedgerConfig> }[] = [
  { name: 'SQLite in memory', skip: false, fresh: async () => ({ engine: 'sqlite', path: null }) },
  {
    name: 'PostgreSQL',
    skip: SKIP_POSTGRES,
    fresh: async () => {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      return { engine: 'postgres', url: database.url, password: null };
    },
  },
];

const at = (minute: number) => new Date(Date.UTC(2026, 10, 29, 12, minute));

function delivery(minute: number, fields: Partial<NewDelivery> = {}): NewDelivery {
  return {
    provider: 'ELEPAY',
    receivedAt: at(minute),
    verified: true,
    refusal: null,
    httpStatus: 200,
    outcome: 'RECORDED',
    transactionIds: ['Q2hhcmdlOmVsZXBheTpjaF84'],
    eventCursors: [`${at(minute).getTime()}-0`],
    providerEventId: 'evt_1',
    body: '{"type":"charge.succeeded"}',
    signature: 't=1, sign=00',
    followUp: false,
    ...fields,
  };
}

describe.each(engines)('webhook deliveries on $name', ({ skip, fresh }) => {
  it.skipIf(skip)('lists, follows up and deletes in batches', async () => {
    const ledger = await openLedger(await fresh(), silent);
    cleanups.unshift(() => ledger.close());
    const { deliveries } = ledger;
    deliveries.record(delivery(1));
    deliveries.record(
      delivery(2, {
        provider: 'ELOPAGE',
        verified: false,
        refusal: 'WRONG_TOKEN',
        httpStatus: 404,
        outcome: 'REFUSED',
        transactionIds: [],
        eventCursors: [],
        body: null,
        signature: null,
      }),
    );
    deliveries.record(
      delivery(3, {
        refusal: 'OBJECT_NOT_READABLE_YET',
        httpStatus: 503,
        outcome: 'RETRY_LATER',
        followUp: true,
      }),
    );
    await deliveries.flush();

    const all = await deliveries.list({}, 10, null);
    expect(all.totalCount).toBe(3);
    expect(all.deliveries.map((d) => d.receivedAt)).toEqual([at(3), at(2), at(1)]);
    const { followUp: _, ...first } = delivery(1);
    expect(all.deliveries[2]).toEqual({ ...first, id: expect.any(Number), awaitingReconciliation: false });
    expect((await deliveries.list({ verified: false }, 10, null)).deliveries.map((d) => d.refusal)).toEqual([
      'WRONG_TOKEN',
    ]);
    expect(
      (await deliveries.list({ receivedAfter: at(2), receivedBefore: at(2) }, 10, null)).totalCount,
    ).toBe(1);
    const [newest] = all.deliveries;
    if (!newest) throw new Error('no delivery');
    const next = await deliveries.list({}, 1, { receivedAt: newest.receivedAt, id: newest.id });
    expect(next.deliveries.map((d) => d.receivedAt)).toEqual([at(2)]);
    expect(next.hasNextPage).toBe(true);

    // Follow-up: due from receipt, put off, then ended.
    const [due] = await deliveries.dueFollowUps(at(3), 10);
    expect(due).toMatchObject({ attempts: 0, delivery: { id: newest.id, awaitingReconciliation: true } });
    await deliveries.deferFollowUp(newest.id, at(10), 1);
    expect(await deliveries.dueFollowUps(at(9), 10)).toEqual([]);
    expect((await deliveries.dueFollowUps(at(10), 10)).map((d) => d.attempts)).toEqual([1]);
    await deliveries.endFollowUp(newest.id, ['UGF5bWVudDplbG9wYWdlOjEwODk']);
    expect(await deliveries.dueFollowUps(at(60), 10)).toEqual([]);
    expect(await deliveries.find(newest.id)).toMatchObject({
      awaitingReconciliation: false,
      transactionIds: ['UGF5bWVudDplbG9wYWdlOjEwODk'],
    });

    // Retention: the oldest first, one batch at a time.
    expect(await deliveries.deleteReceivedBefore(at(3), 1)).toBe(1);
    expect((await deliveries.list({}, 10, null)).deliveries.map((d) => d.receivedAt)).toEqual([at(3), at(2)]);
    expect(await deliveries.deleteReceivedBefore(at(3), 10)).toBe(1);
    expect(await deliveries.deleteReceivedBefore(at(3), 10)).toBe(0);
    expect((await deliveries.list({}, 10, null)).totalCount).toBe(1);
  });
});
