import { randomBytes } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Charge } from '../../src/domain/model.js';
import type { PaymentStatus } from '../../src/domain/status.js';
import { compareCursors, type TransactionStatusEvent, type Verdict } from '../../src/events/event.js';
import type { EventLog, RetentionOptions } from '../../src/events/log.js';
import { MemoryEventLog } from '../../src/events/memoryLog.js';
import { RedisEventLog } from '../../src/events/redisLog.js';
import { createLogger } from '../../src/logger.js';
import { RedisConnections } from '../../src/redis.js';
import {
  CreateChargeDocument,
  SandboxSettleTransactionDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
} from '../generated/graphql.js';
import { chargeWith } from '../support/charges.js';
import { deliverElepayWebhook, paidChargeEvent } from '../support/elepayWebhooks.js';
import { startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';
import { countKeys, deleteKeys, REDIS_URL, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { connectWs, type Subscriber, subscribeWs, syncWs } from '../support/subscriptions.js';

/**
 * The shared event log: the EventLog contract on both backends, and several gateway instances on
 * one Redis — fan-out between instances, resuming on another instance, and one event for a webhook
 * delivered to two instances at once.
 */
const SKIP = await skipWithoutRedis('test/events/redis.test.ts (Redis-backed event log)');
const silent = createLogger({ level: 'silent' });
type StatusEvent = TransactionStatusChangedSubscription;

/** Polls `check` until it holds (no timing assertion: the deadline only bounds a hang). */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A charge shaped like providers/elepay/map.ts makes them. */
function charge(status: PaymentStatus, providerId = `ch_${randomBytes(6).toString('hex')}`): Charge {
  return chargeWith({
    providerId,
    status,
    createdAt: new Date('2025-01-02T03:04:05.678Z'),
    description: 'Coffee beans',
    // Merchant metadata is free text, even under a key that looks like a timestamp.
    metadata: { sku: 'beans-1kg', shippedAt: 'after lunch' },
    paidAt: status === 'SUCCEEDED' ? new Date('2025-01-02T03:05:00.000Z') : null,
  });
}

// ---------------------------------------------------------------------------------------------
// The EventLog contract, one table, both backends.

interface Backend {
  name: string;
  skip: boolean;
  open(retention: RetentionOptions): Promise<EventLog>;
}

const redisPrefixes: string[] = [];
const backends: Backend[] = [
  { name: 'MemoryEventLog', skip: false, open: async (retention) => new MemoryEventLog(retention) },
  {
    name: 'RedisEventLog',
    skip: SKIP,
    async open(retention) {
      // A fresh prefix per log: every test starts from an empty stream.
      const keyPrefix = uniquePrefix();
      redisPrefixes.push(keyPrefix);
      const log = new RedisEventLog({
        redis: new RedisConnections(REDIS_URL, silent),
        keyPrefix,
        retention,
        logger: silent,
      });
      await log.start();
      return log;
    },
  },
];

const RETENTION: RetentionOptions = { maxEvents: 1_000, maxAgeMs: 3_600_000 };

/** Status sequences for one transaction and the verdict each record() must give. */
const TRANSITIONS: { name: string; steps: [PaymentStatus, Verdict][] }[] = [
  { name: 'a first status is news', steps: [['PENDING', 'publish']] },
  {
    name: 'the same status again is unchanged',
    steps: [
      ['PENDING', 'publish'],
      ['PENDING', 'unchanged'],
      ['SUCCEEDED', 'publish'],
      ['SUCCEEDED', 'unchanged'],
    ],
  },
  {
    name: 'a late PENDING after SUCCEEDED is stale',
    steps: [
      ['SUCCEEDED', 'publish'],
      ['PENDING', 'stale'],
      ['AUTHORIZED', 'stale'],
    ],
  },
  {
    name: 'forward through the whole life',
    steps: [
      ['PENDING', 'publish'],
      ['REQUIRES_ACTION', 'publish'],
      ['AUTHORIZED', 'publish'],
      ['SUCCEEDED', 'publish'],
      ['PARTIALLY_REFUNDED', 'publish'],
      ['REFUNDED', 'publish'],
    ],
  },
  ...(['FAILED', 'CANCELED', 'REFUNDED'] as const).map((final) => ({
    name: `nothing after ${final}`,
    steps: [
      ['PENDING', 'publish'],
      [final, 'publish'],
      [final, 'unchanged'],
      ...(['PENDING', 'SUCCEEDED', 'PARTIALLY_REFUNDED', 'FAILED', 'CANCELED', 'REFUNDED'] as const)
        .filter((next) => next !== final)
        .map((next): [PaymentStatus, Verdict] => [next, 'stale']),
    ] as [PaymentStatus, Verdict][],
  })),
];

describe.each(backends)('EventLog contract: $name', (backend) => {
  const opened: EventLog[] = [];
  const open = async (retention = RETENTION) => {
    const log = await backend.open(retention);
    opened.push(log);
    return log;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((log) => log.close()));
  });

  it.skipIf(backend.skip).each(TRANSITIONS)('record: $name', async ({ steps }) => {
    const log = await open();
    const providerId = `ch_${randomBytes(6).toString('hex')}`;
    const published: TransactionStatusEvent[] = [];
    let previous: PaymentStatus | null = null;
    for (const [status, expected] of steps) {
      const outcome = await log.record(charge(status, providerId));
      expect({ status, verdict: outcome.verdict }).toEqual({ status, verdict: expected });
      if (expected === 'publish') {
        expect(outcome.event).toMatchObject({ status, previousStatus: previous, provider: 'ELEPAY' });
        expect(outcome.event?.transaction.status).toBe(status);
        published.push(outcome.event as TransactionStatusEvent);
        previous = status;
      } else {
        expect(outcome.event).toBeUndefined();
      }
    }
    // Only the news is in the log: unchanged and stale deliveries appended nothing.
    const logged = (await log.since('0-0')).events;
    expect(logged.map((e) => [e.cursor, e.previousStatus, e.status])).toEqual(
      published.map((e) => [e.cursor, e.previousStatus, e.status]),
    );
  });

  it.skipIf(backend.skip)(
    'observe(): a status the gateway saw itself is the previousStatus of the first change, and publishes nothing',
    async () => {
      const log = await open();
      const providerId = `ch_${randomBytes(6).toString('hex')}`;
      await log.observe(charge('PENDING', providerId));
      await log.observe(charge('AUTHORIZED', providerId)); // the first one seen counts
      expect((await log.since('0-0')).events).toEqual([]);
      const first = await log.record(charge('SUCCEEDED', providerId));
      expect(first.event).toMatchObject({ previousStatus: 'PENDING', status: 'SUCCEEDED' });
      await log.observe(charge('PARTIALLY_REFUNDED', providerId)); // recorded ones win from here on
      const second = await log.record(charge('REFUNDED', providerId));
      expect(second.event).toMatchObject({ previousStatus: 'SUCCEEDED', status: 'REFUNDED' });

      // Observed PENDING, then a webhook's PENDING: still news (its first event), with no previous.
      const other = `ch_${randomBytes(6).toString('hex')}`;
      await log.observe(charge('PENDING', other));
      const pending = await log.record(charge('PENDING', other));
      expect(pending).toMatchObject({
        verdict: 'publish',
        event: { previousStatus: null, status: 'PENDING' },
      });
    },
  );

  it.skipIf(backend.skip)('since(cursor) is exclusive, ordered, and returns events intact', async () => {
    const log = await open();
    const charges = [charge('PENDING'), charge('SUCCEEDED'), charge('AUTHORIZED')];
    const events: TransactionStatusEvent[] = [];
    for (const c of charges) events.push((await log.record(c)).event as TransactionStatusEvent);
    const [first, second, third] = events as [TransactionStatusEvent, ...TransactionStatusEvent[]];
    const cursors = events.map((e) => e.cursor);
    expect(new Set(cursors).size).toBe(3);
    expect([...cursors].sort(compareCursors)).toEqual(cursors);

    expect((await log.since('0-0')).events.map((e) => e.cursor)).toEqual(cursors);
    expect((await log.since(first.cursor)).events.map((e) => e.cursor)).toEqual(cursors.slice(1));
    expect((await log.since(second?.cursor ?? '')).events.map((e) => e.cursor)).toEqual(cursors.slice(2));
    expect((await log.since(third?.cursor ?? '')).events).toEqual([]);

    // What comes back is what went in: the fetched transaction, dates as dates.
    const [back] = (await log.since('0-0')).events;
    expect(back).toEqual(first);
    expect(back?.occurredAt).toBeInstanceOf(Date);
    expect(back?.transaction).toEqual(charges[0]);
  });

  it.skipIf(backend.skip)('listen() gets every appended event, in order, until unlistened', async () => {
    const log = await open();
    const seenByA: TransactionStatusEvent[] = [];
    const seenByB: TransactionStatusEvent[] = [];
    const unlistenA = log.listen((event) => seenByA.push(event));
    log.listen((event) => seenByB.push(event));

    const recorded: string[] = [];
    for (const status of ['PENDING', 'SUCCEEDED', 'FAILED'] as const) {
      recorded.push((await log.record(charge(status))).event?.cursor ?? 'none');
    }
    await eventually(() => seenByA.length >= 3, 'three events on listener A');
    expect(seenByA.map((e) => e.cursor)).toEqual(recorded);
    expect(seenByA.map((e) => e.status)).toEqual(['PENDING', 'SUCCEEDED', 'FAILED']);

    unlistenA();
    const late = (await log.record(charge('CANCELED'))).event?.cursor;
    await eventually(() => seenByB.length >= 4, 'the fourth event on listener B');
    expect(seenByB.map((e) => e.cursor)).toEqual([...recorded, late]);
    // Listeners get an event together, so A (unlistened) would have it by now.
    expect(seenByA).toHaveLength(3);
  });

  it.skipIf(backend.skip)('retention keeps only the newest maxEvents events', async () => {
    const log = await open({ maxEvents: 5, maxAgeMs: 3_600_000 });
    const cursors: string[] = [];
    for (let i = 0; i < 12; i++) cursors.push((await log.record(charge('PENDING'))).event?.cursor ?? '');
    expect((await log.since('0-0')).events.map((e) => e.cursor)).toEqual(cursors.slice(-5));
    // Resuming from a trimmed cursor gets what is left, still without repeats.
    const resumed = await log.since(cursors[2] ?? '');
    expect(resumed.events.map((e) => e.cursor)).toEqual(cursors.slice(-5));
    // …and says so: events after that cursor were dropped (CURSOR_EXPIRED for a subscriber).
    expect(resumed.position).toEqual({ kind: 'expired', oldest: cursors[7] });
    expect(await log.locate(cursors[2] ?? '')).toEqual({ kind: 'expired', oldest: cursors[7] });
    // The newest dropped cursor, later ones and "0-0" lose nothing; past the newest is `beyond`.
    for (const cursor of [cursors[6] ?? '', cursors[9] ?? '', cursors[11] ?? '', '0-0']) {
      expect(await log.locate(cursor)).toEqual({ kind: 'retained' });
    }
    expect(await log.locate('9999999999999-0')).toEqual({ kind: 'beyond', newest: cursors[11] });
  });
});

afterAll(async () => {
  if (!SKIP) for (const prefix of redisPrefixes) await deleteKeys(prefix);
});

// ---------------------------------------------------------------------------------------------
// Gateway instances sharing one Redis.

async function createAndSettle(gw: TestGateway): Promise<string> {
  const created = await gw.gql(CreateChargeDocument, {
    input: { amount: '1200', currency: 'JPY', paymentMethod: 'creditcard' },
  });
  expect(created.errors).toEqual([]);
  const id = created.data?.createCharge.charge?.id ?? '';
  expect(id).not.toBe('');
  const settled = await gw.gql(SandboxSettleTransactionDocument, {
    input: { transactionId: id, outcome: 'SUCCEED' },
  });
  expect(settled.errors).toEqual([]);
  expect(settled.data?.sandboxSettleTransaction.userErrors).toEqual([]);
  return id;
}

const idsOf = (events: StatusEvent[]) => events.map((e) => e.transactionStatusChanged.transaction.id);
const cursorsOf = (events: StatusEvent[]) => events.map((e) => e.transactionStatusChanged.cursor);

describe.skipIf(SKIP)('two gateway instances on one Redis (needs Redis)', () => {
  const prefix = uniquePrefix();
  let a: TestGateway;
  let b: TestGateway;
  const clients: Client[] = [];
  /** Follows everything on B from the very start (replays from 0-0, so it cannot miss the first). */
  let witness: Subscriber<StatusEvent>;

  const ws = (gw: TestGateway) => {
    const client = connectWs(gw.url);
    clients.push(client);
    return client;
  };
  /** Creates and settles a charge on A and waits until the shared log has its event. */
  const produce = async () => {
    const before = witness.received.length;
    const id = await createAndSettle(a);
    const seen = await witness.waitFor(before + 1);
    expect(idsOf(seen.slice(before))).toEqual([id]);
    return id;
  };

  beforeAll(async () => {
    const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix };
    a = await startTestGateway({ ...env, ELEPAY_WEBHOOK_SECRET: 'whsec_instance_a_for_redis_tests_0001' });
    b = await startTestGateway({ ...env, ELEPAY_WEBHOOK_SECRET: 'whsec_instance_b_for_redis_tests_0002' });
    witness = await subscribeWs(ws(b), TransactionStatusChangedDocument, { after: '0-0' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    a?.expectNoLeaks();
    b?.expectNoLeaks();
    await Promise.all([a?.close(), b?.close()]);
    await deleteKeys(prefix);
  });

  it('a webhook received by A reaches a live subscriber on B', async () => {
    const onB = await subscribeWs(ws(b), TransactionStatusChangedDocument, {
      filter: { provider: 'ELEPAY' },
      after: witness.received.at(-1)?.transactionStatusChanged.cursor ?? '0-0',
    });
    // A first event proves the subscription is in place (the replay covers the race with subscribing);
    // from then on B can only learn of A's events live, through its Redis stream follower.
    const warmUp = await produce();
    expect(idsOf(await onB.waitFor(1))).toEqual([warmUp]);
    const id = await createAndSettle(a);
    const [, event] = await onB.waitFor(2);
    expect(event?.transactionStatusChanged).toMatchObject({
      provider: 'ELEPAY',
      // createCharge on A answered PENDING; B's event knows it through Redis.
      previousStatus: 'PENDING',
      status: 'SUCCEEDED',
      transaction: {
        __typename: 'Charge',
        id,
        status: 'SUCCEEDED',
        providerStatus: 'captured',
        amount: { amount: '1200', currency: 'JPY' },
      },
    });
    expect(onB.errors).toEqual([]);
    // B has no such charge at its own simulator: what it delivered came through Redis, under the prefix.
    expect(await countKeys(prefix)).toBeGreaterThan(0);
    await onB.close();
  });

  it('a subscriber that drops on A resumes on B with `after`: the missed events in order, then live', async () => {
    const start = witness.received.at(-1)?.transactionStatusChanged.cursor ?? '0-0';
    const clientA = ws(a);
    const onA = await subscribeWs(clientA, TransactionStatusChangedDocument, { after: start });
    const early = [await produce(), await produce()];
    expect(idsOf(await onA.waitFor(2))).toEqual(early);
    const lastSeen = onA.received.at(-1)?.transactionStatusChanged.cursor ?? '';
    // The connection drops.
    await onA.close();
    await clientA.dispose();

    const missed = [await produce(), await produce(), await produce()];
    const onB = await subscribeWs(ws(b), TransactionStatusChangedDocument, { after: lastSeen });
    const replayed = await onB.waitFor(3);
    expect(idsOf(replayed)).toEqual(missed);
    expect(cursorsOf(replayed)).toEqual(cursorsOf(witness.received.slice(-3)));

    const live = [await produce(), await produce()];
    const all = await onB.waitFor(5);
    expect(idsOf(all)).toEqual([...missed, ...live]);
    const cursors = cursorsOf(all);
    expect(new Set(cursors).size).toBe(5);
    expect([...cursors].sort(compareCursors)).toEqual(cursors);
    expect(compareCursors(cursors[0] ?? '', lastSeen)).toBeGreaterThan(0);
    expect(onA.received).toHaveLength(2);
    expect([...onA.errors, ...onB.errors]).toEqual([]);
    await onB.close();
  });
});

// ---------------------------------------------------------------------------------------------
// One webhook, delivered to two instances at once.

describe.skipIf(SKIP)('the same signed webhook delivered to two instances (needs Redis)', () => {
  const prefix = uniquePrefix();
  const webhookSecret = 'whsec_shared_by_both_instances_0003';
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let c: TestGateway;
  let d: TestGateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    sim = await startSimulator('elepay');
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      ELEPAY_BASE_URL: sim.url,
      ...sim.credentials,
      ELEPAY_WEBHOOK_SECRET: webhookSecret,
    };
    c = await startTestGateway(env);
    d = await startTestGateway(env);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    c?.expectNoLeaks();
    d?.expectNoLeaks();
    await Promise.all([c?.close(), d?.close()]);
    await sim?.server.close();
    await deleteKeys(prefix);
  });

  const settledChargeEvent = () => paidChargeEvent(c, sim.url, '3300');
  const deliver = async (gw: TestGateway, body: string) => {
    const { status, answer } = await deliverElepayWebhook(gw.url, webhookSecret, body);
    return { status, published: typeof answer.published === 'number' ? answer.published : -1 };
  };

  it('is recorded and published exactly once across both instances, to each of their subscribers', async () => {
    // 2 sockets per instance, 5 subscriptions each: every socket's subscriptions share one
    // execution per event (same document and variables), and each still gets every event once.
    clients.push(...[c, d, c, d].map((gw) => connectWs(gw.url, gw.wsParams)));
    const subscribers = (
      await Promise.all(
        clients.map(async (client) => {
          const opened = await Promise.all(
            Array.from({ length: 5 }, () =>
              subscribeWs(client, TransactionStatusChangedDocument, { after: '0-0' }, { sync: false }),
            ),
          );
          await syncWs(client);
          return opened;
        }),
      )
    ).flat();
    expect(subscribers).toHaveLength(20);
    const expected: string[] = [];
    for (let round = 0; round < 5; round++) {
      const { id, body } = await settledChargeEvent();
      expected.push(id);
      // Both instances, twice each, all at once: the compare-and-set in Redis lets one through.
      const answers = await Promise.all([c, d, c, d].map((gw) => deliver(gw, body)));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      expect(answers.reduce((sum, answer) => sum + answer.published, 0)).toBe(1);
    }
    // A last, single delivery: once every subscriber has it, any duplicate would have arrived before.
    const sentinel = await settledChargeEvent();
    expected.push(sentinel.id);
    expect(await deliver(d, sentinel.body)).toEqual({ status: 200, published: 1 });

    for (const subscriber of subscribers) {
      const events = await subscriber.waitFor(expected.length);
      expect(idsOf(events)).toEqual(expected);
      expect(events.every((e) => e.transactionStatusChanged.status === 'SUCCEEDED')).toBe(true);
      // Each charge was made with createCharge, which answered PENDING.
      expect(events.every((e) => e.transactionStatusChanged.previousStatus === 'PENDING')).toBe(true);
      expect(subscriber.errors).toEqual([]);
      await subscriber.close();
    }
    // The shared log itself holds one event per charge.
    const log = new RedisEventLog({
      redis: new RedisConnections(REDIS_URL, silent),
      keyPrefix: prefix,
      retention: RETENTION,
      logger: silent,
    });
    await log.start();
    try {
      const logged = (await log.since('0-0')).events;
      expect(logged.map((event) => event.transactionId)).toEqual(expected);
    } finally {
      await log.close();
    }
  });
});
