import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TransactionStatusFeedDocument,
  type TransactionStatusFeedSubscription,
  type TransactionStatusFeedSubscriptionVariables,
} from '../generated/graphql.js';
import { createCharge, settle } from '../support/flows.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { connectWs, type Subscriber, subscribeWs, syncWs } from '../support/subscriptions.js';

/**
 * Fan-out on one instance: 1,000 live subscribers (50 WebSocket connections × 20 subscriptions)
 * each receive every event of a burst of 100, none lost, none repeated, in log order. The burst is
 * real: 100 charges settled at once in the elepay simulator, whose 100 webhooks reach the gateway
 * concurrently. Subscribers select the lean TransactionStatusFeed (cursor, status, transaction ID):
 * 101,000 deliveries are executed, sent and parsed in this one process. No timing is asserted; the
 * timeouts only bound a hang, generously, as suites run in parallel on small machines.
 */
const SOCKETS = 50;
const PER_SOCKET = 20;
const BURST = 100;

let gw: TestGateway;
const clients: Client[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ ELEPAY_WEBHOOK_SECRET: 'whsec_fanout_tests_current_00000001' });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  gw.expectNoLeaks();
  await gw.close();
});

/** `<ms>-<seq>` cursors, compared as numbers. */
function increasing(cursors: string[]): boolean {
  return cursors.every((cursor, i) => {
    if (i === 0) return true;
    const [aMs = 0, aSeq = 0] = (cursors[i - 1] ?? '').split('-').map(Number);
    const [bMs = 0, bSeq = 0] = cursor.split('-').map(Number);
    return bMs > aMs || (bMs === aMs && bSeq > aSeq);
  });
}

describe('fan-out on one instance', () => {
  it('1,000 subscribers each receive all 100 events of a burst exactly once, in order', async () => {
    const burst = await Promise.all(
      Array.from({ length: BURST }, (_, i) => createCharge(gw, String(1000 + i))),
    );
    const fence = await createCharge(gw, '5000');
    expect(new Set([...burst, fence]).size).toBe(BURST + 1);

    // Half the subscribers follow the charges by ID, half the whole provider: both matchers fan out.
    const byIds: TransactionStatusFeedSubscriptionVariables = { filter: { ids: [...burst, fence] } };
    const byProvider: TransactionStatusFeedSubscriptionVariables = { filter: { provider: 'ELEPAY' } };
    const subscribers: Subscriber<TransactionStatusFeedSubscription>[] = [];
    await Promise.all(
      Array.from({ length: SOCKETS }, async (_, socket) => {
        const client = connectWs(gw.url);
        clients.push(client);
        const opened = await Promise.all(
          Array.from({ length: PER_SOCKET }, () =>
            subscribeWs(client, TransactionStatusFeedDocument, socket % 2 ? byIds : byProvider, {
              sync: false,
            }),
          ),
        );
        await syncWs(client);
        subscribers.push(...opened);
      }),
    );
    expect(subscribers).toHaveLength(SOCKETS * PER_SOCKET);

    await Promise.all(burst.map((id) => settle(gw, id)));
    await Promise.all(subscribers.map((subscriber) => subscriber.waitFor(BURST, 50_000)));
    // One more event after the burst: in-order delivery means a repeat would have come before it.
    await settle(gw, fence);
    await Promise.all(subscribers.map((subscriber) => subscriber.waitFor(BURST + 1, 20_000)));

    const reference = subscribers[0]?.received.map((p) => p.transactionStatusChanged) ?? [];
    const cursors = reference.map((event) => event.cursor);
    expect(reference).toHaveLength(BURST + 1);
    expect(new Set(cursors).size).toBe(BURST + 1);
    expect(increasing(cursors)).toBe(true);
    expect(new Set(reference.slice(0, BURST).map((event) => event.transaction.id))).toEqual(new Set(burst));
    expect(reference[BURST]?.transaction.id).toBe(fence);
    expect(reference.every((event) => event.status === 'SUCCEEDED')).toBe(true);

    // Every subscriber got exactly the same 101 events in the same order, and nothing else.
    const mismatched = subscribers.filter(
      (subscriber) =>
        subscriber.errors.length > 0 ||
        subscriber.received.length !== BURST + 1 ||
        subscriber.received.some((p, i) => p.transactionStatusChanged.cursor !== cursors[i]),
    );
    expect(mismatched).toHaveLength(0);
  }, 90_000);
});
