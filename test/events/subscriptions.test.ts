import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Charge } from '../../src/domain/model.js';
import type { TransactionStatusEvent } from '../../src/events/event.js';
import { MemoryEventLog } from '../../src/events/memoryLog.js';
import { SUBSCRIBER_TOO_SLOW, statusEvents } from '../../src/events/subscription.js';
import {
  SandboxCompleteCheckoutDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
  type TransactionStatusChangedSubscriptionVariables,
} from '../generated/graphql.js';
import { createCharge, createSalesPage, refund, settle } from '../support/flows.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { connectWs, type Subscriber, subscribeSse, subscribeWs } from '../support/subscriptions.js';

/**
 * Live status end to end on one instance, over both transports: the embedded simulators fire their
 * real webhooks at the gateway, which verifies them, fetches the transaction and publishes the
 * change. Every subscription is filtered (by IDs, sales page or provider), so each test only sees
 * the transactions it made.
 */
type StatusEvent = TransactionStatusChangedSubscription['transactionStatusChanged'];
type Variables = TransactionStatusChangedSubscriptionVariables;

let gw: TestGateway;
const clients: Client[] = [];
const open: Subscriber<TransactionStatusChangedSubscription>[] = [];

beforeAll(async () => {
  gw = await startTestGateway({
    ELEPAY_WEBHOOK_SECRET: 'whsec_subscription_tests_current_0001',
    ELOPAGE_WEBHOOK_TOKEN: 'elopage_subscription_tests_token_0001',
  });
});
afterAll(async () => {
  await Promise.all(open.map((subscriber) => subscriber.close()));
  await Promise.all(clients.map((client) => client.dispose()));
  gw.expectNoLeaks();
  await gw.close();
});

/** One subscription per connection, so closing a subscriber really disconnects it. */
const transports = [
  {
    name: 'graphql-ws',
    async subscribe(variables: Variables) {
      const client = connectWs(gw.url);
      clients.push(client);
      const subscriber = await subscribeWs(client, TransactionStatusChangedDocument, variables);
      const unsubscribe = subscriber.close;
      subscriber.close = async () => {
        await unsubscribe();
        await client.dispose();
      };
      open.push(subscriber);
      return subscriber;
    },
  },
  {
    name: 'SSE',
    async subscribe(variables: Variables) {
      const subscriber = await subscribeSse(gw.url, TransactionStatusChangedDocument, variables);
      open.push(subscriber);
      return subscriber;
    },
  },
];

const eventsOf = (subscriber: Subscriber<TransactionStatusChangedSubscription>) =>
  subscriber.received.map((payload) => payload.transactionStatusChanged);
const cursorsOf = (events: StatusEvent[]) => events.map((event) => event.cursor);
/** Cursors are `<ms>-<seq>`; compare them as numbers pairwise. */
const cursorKey = (cursor: string) => cursor.split('-').map(Number) as [number, number];
function expectIncreasing(cursors: string[]) {
  expect(new Set(cursors).size).toBe(cursors.length);
  for (let i = 1; i < cursors.length; i++) {
    const [aMs, aSeq] = cursorKey(cursors[i - 1] ?? '');
    const [bMs, bSeq] = cursorKey(cursors[i] ?? '');
    expect(bMs > aMs || (bMs === aMs && bSeq > aSeq), `${cursors[i - 1]} < ${cursors[i]}`).toBe(true);
  }
}

/** A SEPA checkout: elopage keeps it pending until the bank settles it. */
async function sepaCheckout(salesPageId: string) {
  const { data, errors } = await gw.gql(SandboxCompleteCheckoutDocument, {
    input: { salesPageId, paymentMethod: 'bank_account', iban: 'DE89370400440532013000', outcome: 'SUCCEED' },
  });
  expect(errors).toEqual([]);
  expect(data?.sandboxCompleteCheckout.userErrors).toEqual([]);
  expect(data?.sandboxCompleteCheckout.payment?.status).toBe('PENDING');
  return data?.sandboxCompleteCheckout.payment?.id ?? '';
}

describe.each(transports)('transactionStatusChanged over $name', (transport) => {
  it('a SEPA payment settled later: its subscriber sees PENDING → SUCCEEDED, one for another ID nothing', async () => {
    const salesPageId = (await createSalesPage(gw, `SEPA course (${transport.name})`)).id;
    const byPage = await transport.subscribe({ filter: { salesPageId } });
    const elepayOnly = await transport.subscribe({ filter: { provider: 'ELEPAY' } });

    const otherId = await sepaCheckout(salesPageId);
    const [otherPending] = await byPage.waitFor(1);
    expect(otherPending?.transactionStatusChanged.transaction.id).toBe(otherId);
    const paymentId = await sepaCheckout(salesPageId);
    const [, pending] = (await byPage.waitFor(2)).map((p) => p.transactionStatusChanged);
    expect(pending).toMatchObject({
      provider: 'ELOPAGE',
      previousStatus: null,
      status: 'PENDING',
      transaction: { __typename: 'Payment', id: paymentId, status: 'PENDING', providerStatus: 'pending' },
    });

    // Both payments are now known as PENDING; these two follow one payment each from here on.
    const mine = await transport.subscribe({ filter: { ids: [paymentId] } });
    const theOther = await transport.subscribe({ filter: { ids: [otherId] } });
    expect(await settle(gw, paymentId)).toMatchObject({ id: paymentId, status: 'SUCCEEDED' });

    const [succeeded] = (await mine.waitFor(1)).map((p) => p.transactionStatusChanged);
    expect(succeeded).toMatchObject({
      provider: 'ELOPAGE',
      previousStatus: 'PENDING',
      status: 'SUCCEEDED',
      // The state the gateway fetched from elopage after the webhook.
      transaction: {
        __typename: 'Payment',
        id: paymentId,
        status: 'SUCCEEDED',
        providerStatus: 'successful',
        amount: { amount: '49.00', currency: 'EUR' },
        salesPage: { id: salesPageId },
      },
    });
    expect(succeeded?.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    // The sales page's subscriber saw the whole story, in order.
    const story = (await byPage.waitFor(3)).map((p) => p.transactionStatusChanged);
    expect(story.map((e) => [e.transaction.id, e.previousStatus, e.status])).toEqual([
      [otherId, null, 'PENDING'],
      [paymentId, null, 'PENDING'],
      [paymentId, 'PENDING', 'SUCCEEDED'],
    ]);
    expect(story[2]?.cursor).toBe(succeeded?.cursor);
    expectIncreasing(cursorsOf(story));

    // Only now, with the first subscriber served, check the others: nothing for them.
    expect(theOther.received).toEqual([]);
    expect(elepayOnly.received).toEqual([]);
    expect(mine.received).toHaveLength(1);
    // Their connections are not `mine`'s, so a leak could still be on its way: give each an event
    // of its own. Delivery is in order, so whatever leaked would arrive before it.
    await settle(gw, otherId);
    const chargeId = await createCharge(gw, '10');
    await settle(gw, chargeId);
    const [otherSucceeded] = (await theOther.waitFor(1)).map((p) => p.transactionStatusChanged);
    expect(otherSucceeded).toMatchObject({ previousStatus: 'PENDING', status: 'SUCCEEDED' });
    expect(otherSucceeded?.transaction.id).toBe(otherId);
    const [charged] = (await elepayOnly.waitFor(1)).map((p) => p.transactionStatusChanged);
    expect(charged?.transaction.id).toBe(chargeId);
    await byPage.waitFor(4);
    expect(theOther.received).toHaveLength(1);
    expect(elepayOnly.received).toHaveLength(1);
    expect(mine.received).toHaveLength(1);
    for (const subscriber of [byPage, elepayOnly, mine, theOther]) {
      expect(subscriber.errors).toEqual([]);
      await subscriber.close();
    }
  });

  it('an elepay charge: SUCCEEDED, then PARTIALLY_REFUNDED and REFUNDED as its refunds settle, in order', async () => {
    const chargeId = await createCharge(gw, '1000');
    const charge = await transport.subscribe({ filter: { ids: [chargeId] } });
    const elepay = await transport.subscribe({ filter: { provider: 'ELEPAY' } });

    await settle(gw, chargeId);
    const [paid] = (await charge.waitFor(1)).map((p) => p.transactionStatusChanged);
    expect(paid).toMatchObject({
      provider: 'ELEPAY',
      // The gateway created it: createCharge answered PENDING.
      previousStatus: 'PENDING',
      status: 'SUCCEEDED',
      transaction: {
        __typename: 'Charge',
        id: chargeId,
        status: 'SUCCEEDED',
        providerStatus: 'captured',
        amount: { amount: '1000', currency: 'JPY' },
      },
    });

    const partialId = await refund(gw, chargeId, '300');
    await settle(gw, partialId);
    const [, partially] = (await charge.waitFor(2)).map((p) => p.transactionStatusChanged);
    expect(partially).toMatchObject({
      previousStatus: 'SUCCEEDED',
      status: 'PARTIALLY_REFUNDED',
      transaction: { id: chargeId, status: 'PARTIALLY_REFUNDED', providerStatus: 'partially_refunded' },
    });

    const restId = await refund(gw, chargeId);
    await settle(gw, restId);
    const [, , refunded] = (await charge.waitFor(3)).map((p) => p.transactionStatusChanged);
    expect(refunded).toMatchObject({
      previousStatus: 'PARTIALLY_REFUNDED',
      status: 'REFUNDED',
      transaction: {
        id: chargeId,
        status: 'REFUNDED',
        providerStatus: 'refunded',
        amount: { amount: '1000', currency: 'JPY' },
      },
    });

    // refund.succeeded records the refund and its charge, refund first; all in one order.
    const all = (await elepay.waitFor(5)).map((p) => p.transactionStatusChanged);
    expect(all.map((e) => [e.transaction.__typename, e.transaction.id, e.previousStatus, e.status])).toEqual([
      ['Charge', chargeId, 'PENDING', 'SUCCEEDED'],
      // refundCharge answered PENDING for each refund.
      ['Refund', partialId, 'PENDING', 'SUCCEEDED'],
      ['Charge', chargeId, 'SUCCEEDED', 'PARTIALLY_REFUNDED'],
      ['Refund', restId, 'PENDING', 'SUCCEEDED'],
      ['Charge', chargeId, 'PARTIALLY_REFUNDED', 'REFUNDED'],
    ]);
    expect(all[1]?.transaction.amount).toEqual({ amount: '300', currency: 'JPY' });
    expect(all[3]?.transaction.amount).toEqual({ amount: '700', currency: 'JPY' });
    expectIncreasing(cursorsOf(all));
    expect(cursorsOf(eventsOf(charge))).toEqual(cursorsOf([all[0], all[2], all[4]] as StatusEvent[]));
    expect(charge.received).toHaveLength(3);
    for (const subscriber of [charge, elepay]) {
      expect(subscriber.errors).toEqual([]);
      await subscriber.close();
    }
  });

  it('`after`: a subscriber that dropped gets exactly the 3 events it missed, in order, then live ones', async () => {
    const ids = [await createCharge(gw, '100'), await createCharge(gw, '200'), await createCharge(gw, '300')];
    ids.push(await createCharge(gw, '400'), await createCharge(gw, '500'), await createCharge(gw, '600'));
    const filter = { ids };
    // The witness stays connected throughout and tells when the missed events are recorded.
    const witness = await transport.subscribe({ filter });
    const dropping = await transport.subscribe({ filter });

    await settle(gw, ids[0] ?? '');
    await settle(gw, ids[1] ?? '');
    const before = (await dropping.waitFor(2)).map((p) => p.transactionStatusChanged);
    expect(before.map((e) => e.transaction.id)).toEqual(ids.slice(0, 2));
    await dropping.close();
    const lastSeen = before[1]?.cursor ?? '';

    for (const id of ids.slice(2, 5)) await settle(gw, id);
    const missed = (await witness.waitFor(5)).map((p) => p.transactionStatusChanged).slice(2);
    expect(missed.map((e) => e.transaction.id)).toEqual(ids.slice(2, 5));
    expect(dropping.received).toHaveLength(2);

    const resumed = await transport.subscribe({ filter, after: lastSeen });
    const replayed = (await resumed.waitFor(3)).map((p) => p.transactionStatusChanged);
    expect(cursorsOf(replayed)).toEqual(cursorsOf(missed));
    expect(replayed.map((e) => [e.transaction.id, e.status])).toEqual(
      ids.slice(2, 5).map((id) => [id, 'SUCCEEDED']),
    );

    await settle(gw, ids[5] ?? '');
    const [live] = (await witness.waitFor(6)).map((p) => p.transactionStatusChanged).slice(5);
    const afterLive = (await resumed.waitFor(4)).map((p) => p.transactionStatusChanged);
    expect(afterLive[3]).toEqual(live);
    expect(live?.transaction.id).toBe(ids[5]);
    // The live event came last, so any repeat of the replayed three would have arrived before it.
    expect(cursorsOf(afterLive)).toEqual(cursorsOf(eventsOf(witness)).slice(2));
    expectIncreasing(cursorsOf(afterLive));
    expect(resumed.received).toHaveLength(4);
    for (const subscriber of [witness, resumed]) {
      expect(subscriber.errors).toEqual([]);
      await subscriber.close();
    }
  });
});

describe('transactionStatusChanged arguments', () => {
  it('refuses an `after` that is not a cursor, with BAD_USER_INPUT', async () => {
    const client = connectWs(gw.url);
    clients.push(client);
    const subscriber = await subscribeWs(client, TransactionStatusChangedDocument, { after: 'yesterday' });
    await expect(subscriber.waitFor(1, 5_000)).rejects.toThrow(/ended/);
    expect(JSON.stringify(subscriber.errors)).toContain('BAD_USER_INPUT');
    expect(subscriber.received).toEqual([]);
  });
});

/**
 * The subscription seam on the memory log, driven directly: volumes (over 10,000 events for one
 * subscriber) that would take minutes through webhooks. Real log and subscription code, no doubles.
 */
describe('one subscriber behind by more than its buffer (10,000 events)', () => {
  const paid = (n: number): Charge => ({
    kind: 'Charge',
    provider: 'ELEPAY',
    providerId: `ch_seam_${n}`,
    status: 'SUCCEEDED',
    providerStatus: 'captured',
    amount: { amount: '100', currency: 'JPY' },
    createdAt: new Date(),
    orderNo: `order-${n}`,
    paymentMethod: 'creditcard',
    description: null,
    metadata: {},
    refundedAmount: { amount: '0', currency: 'JPY' },
    authorizedAmount: null,
    paidAt: new Date(),
    refundedAt: null,
    liveMode: false,
  });
  const newLog = () => new MemoryEventLog({ maxEvents: 100_000, maxAgeMs: 3_600_000 });

  it('a subscriber that stops reading is cut off with SUBSCRIBER_TOO_SLOW; the log and everyone else carry on', async () => {
    const log = newLog();
    const stalled = statusEvents(log, {}, null)[Symbol.asyncIterator]();
    const firstRead = stalled.next(); // subscribes; then the client stops reading
    const everyoneElse: string[] = [];
    log.listen((event) => everyoneElse.push(event.cursor));

    // Past the buffer plus the Repeater's 1,024 queued pushes, which used to throw into record().
    const verdicts = new Set<string>();
    for (let n = 0; n < 11_100; n++) verdicts.add((await log.record(paid(n))).verdict);
    expect(verdicts).toEqual(new Set(['publish']));
    expect(everyoneElse).toHaveLength(11_100);

    // The stalled subscriber still gets everything it had buffered, in order, then the error.
    const got: string[] = [((await firstRead).value as TransactionStatusEvent).cursor];
    const error = await (async () => {
      try {
        for (;;) {
          const { value, done } = await stalled.next();
          if (done) return null;
          got.push(value.cursor);
        }
      } catch (e) {
        return e as { extensions?: { code?: string } };
      }
    })();
    expect(error?.extensions?.code).toBe(SUBSCRIBER_TOO_SLOW);
    expect(got.length).toBeGreaterThanOrEqual(10_000);
    expect(got.length).toBeLessThan(10_100);
    expect(got).toEqual(everyoneElse.slice(0, got.length));
  });

  it('`after` over a backlog of 15,000 events replays them all in order, with live ones during and after', async () => {
    const log = newLog();
    const cursors: string[] = [];
    for (let n = 0; n < 15_000; n++) cursors.push((await log.record(paid(n))).event?.cursor ?? '');
    const resumed = statusEvents(log, {}, '0-0')[Symbol.asyncIterator]();
    const got: string[] = [];
    const read = async (count: number) => {
      for (let i = 0; i < count; i++)
        got.push(((await resumed.next()).value as TransactionStatusEvent).cursor);
    };
    // Read a third, and let the replay push all it may: 10,000 are still unread, as many as a live
    // subscriber may be behind by. Changes now come after the backlog, once, and cut nobody off
    // (the replay used to fill the whole buffer, so the first live event found it full).
    await read(5_000);
    await new Promise((resolve) => setImmediate(resolve));
    for (let n = 15_000; n < 15_010; n++) cursors.push((await log.record(paid(n))).event?.cursor ?? '');
    await read(10_010);
    expect(got).toEqual(cursors);
    cursors.push((await log.record(paid(15_010))).event?.cursor ?? '');
    await read(1);
    expect(got).toEqual(cursors);
    await resumed.return?.();
  });
});
