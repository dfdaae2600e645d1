import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SandboxCompleteCheckoutDocument,
  TransactionStatusDetailsDocument,
  type TransactionStatusDetailsSubscription,
  type TransactionStatusDetailsSubscriptionVariables,
} from '../generated/graphql.js';
import { createCharge, createSalesPage, refund, settle } from '../support/flows.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { connectWs, type Subscriber, subscribeSse, subscribeWs, syncWs } from '../support/subscriptions.js';

/**
 * Nested provider fields of an event (a charge's refunds, a refund's charge, a payment's sales page)
 * are fetched once per event, after the change, for every subscriber of it: the simulators'
 * request counts (`/_sandbox/stats`) are the same with 1 subscriber as with 500, and every event
 * shows the provider's state after that change, not what an earlier event fetched.
 */
type Details = TransactionStatusDetailsSubscription;
type Event = Details['transactionStatusChanged'];

let gw: TestGateway;
const clients: Client[] = [];

beforeAll(async () => {
  gw = await startTestGateway({
    ELEPAY_WEBHOOK_SECRET: 'whsec_shared_resolution_tests_0001',
    ELOPAGE_WEBHOOK_TOKEN: 'elopage_shared_resolution_token_0001',
  });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  gw.expectNoLeaks();
  await gw.close();
});

async function cardCheckout(salesPageId: string): Promise<string> {
  const { data, errors } = await gw.gql(SandboxCompleteCheckoutDocument, {
    input: { salesPageId, paymentMethod: 'card', cardNumber: '5017670000005900', outcome: 'SUCCEED' },
  });
  expect(errors).toEqual([]);
  expect(data?.sandboxCompleteCheckout.userErrors).toEqual([]);
  return data?.sandboxCompleteCheckout.payment?.id ?? '';
}

function opened(client: Client): Client {
  clients.push(client);
  return client;
}

/** `count` graphql-ws subscribers, 10 per socket, all live when this returns. */
async function subscribers(
  count: number,
  variables: TransactionStatusDetailsSubscriptionVariables,
): Promise<Subscriber<Details>[]> {
  const all: Subscriber<Details>[] = [];
  for (let opened = 0; opened < count; opened += 10) {
    const client = connectWs(gw.url);
    clients.push(client);
    for (let i = opened; i < Math.min(count, opened + 10); i++) {
      all.push(await subscribeWs(client, TransactionStatusDetailsDocument, variables, { sync: false }));
    }
    await syncWs(client);
  }
  return all;
}

type Stats = { elepay: Record<string, number>; elopage: Record<string, number> };

/** Provider calls (per simulator route) made while `work` ran and every subscriber got `events` more events. */
async function providerCallsOf(
  all: Subscriber<Details>[],
  events: number,
  work: () => Promise<unknown>,
): Promise<Stats> {
  const before = all.map((subscriber) => subscriber.received.length);
  await gw.resetStats();
  await work();
  await Promise.all(all.map((subscriber, i) => subscriber.waitFor((before[i] ?? 0) + events, 30_000)));
  return { elepay: (await gw.stats('elepay')).routes, elopage: (await gw.stats('elopage')).routes };
}

/** One round of changes: a charge paid and partly refunded (3 events), an elopage payment (1). */
async function scenario(all: Subscriber<Details>[], label: string): Promise<Stats[]> {
  const chargeId = await createCharge(gw, '1000');
  const pageId = (await createSalesPage(gw, `Shared resolution ${label}`, '25')).providerId;
  const paid = await providerCallsOf(all, 1, () => settle(gw, chargeId));
  const refundId = await refund(gw, chargeId, '300');
  const refunded = await providerCallsOf(all, 2, () => settle(gw, refundId));
  const bought = await providerCallsOf(all, 1, async () => {
    await cardCheckout(pageId);
  });
  for (const subscriber of all) {
    expect(subscriber.errors).toEqual([]);
    const events = subscriber.received.slice(-4).map((p) => p.transactionStatusChanged);
    expect(events.map((e) => [e.transaction.__typename, e.status])).toEqual([
      ['Charge', 'SUCCEEDED'],
      ['Refund', 'SUCCEEDED'],
      ['Charge', 'PARTIALLY_REFUNDED'],
      ['Payment', 'SUCCEEDED'],
    ]);
  }
  return [paid, refunded, bought];
}

describe('nested provider fields of events', () => {
  it('cost the same provider calls per event with 1 subscriber as with 500', async () => {
    const filter = { filter: {} };
    const one = await subscribers(1, filter);
    const alone = await scenario(one, 'one');
    await Promise.all(one.map((subscriber) => subscriber.close()));

    const many = await subscribers(500, filter);
    const crowd = await scenario(many, 'many');
    await Promise.all(many.map((subscriber) => subscriber.close()));

    expect(crowd).toEqual(alone);
    // The nested fields were fetched at all (once), so the equality above is about them:
    // the charge's refunds, the refund's charge, the payment's sales page.
    // (The refund's charge and the payment's sales page are also read by the webhook and by the
    // checkout mutation: hence 2.)
    const [paid, refunded, bought] = alone;
    expect(paid?.elepay['GET /charges/:id/refunds']).toBe(1);
    expect(refunded?.elepay).toMatchObject({ 'GET /charges/:id/refunds': 1, 'GET /charges/:id': 2 });
    expect(bought?.elopage['GET /api/sales_pages/:id']).toBe(2);
    // Every one of the 500 saw what the single subscriber saw.
    const reference = one[0]?.received.slice(-4).map((p) => strip(p.transactionStatusChanged));
    expect(reference).toHaveLength(4);
    for (const subscriber of many) {
      const mine = subscriber.received.slice(-4).map((p) => strip(p.transactionStatusChanged));
      expect(mine.map((e) => e.transaction.__typename)).toEqual(
        reference?.map((e) => e.transaction.__typename),
      );
    }
  }, 120_000);
});

describe('the provider-call limit (MAX_PROVIDER_CALLS, 100)', () => {
  // Per event: a charge's 100 refunds, each with its charge: 1 + 100 calls.
  const costly = parse(`subscription {
    transactionStatusChanged {
      transaction { ... on Charge { refunds(first: 100) { edges { node { refundedTransaction { id } } } } } }
    }
  }`) as TypedDocumentNode<Details, Record<string, never>>;

  it.each([
    { name: 'graphql-ws', ws: true },
    { name: 'SSE', ws: false },
  ])(
    'counts a subscription per event, and refuses one that could exceed it at subscribe time ($name)',
    async ({ ws }) => {
      const subscriber = ws
        ? await subscribeWs(opened(connectWs(gw.url)), costly, {})
        : await subscribeSse(gw.url, costly, {}, gw.authHeaders);
      await expect(subscriber.waitFor(1, 10_000)).rejects.toThrow(/ended/);
      const errors = subscriber.errors.flat() as { message: string; extensions?: Record<string, unknown> }[];
      expect(errors).toEqual([
        expect.objectContaining({
          message: 'this operation could make 101 provider calls; the limit is 100',
          extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', providerCalls: 101, limit: 100 }),
        }),
      ]);
      expect(subscriber.received).toEqual([]);
    },
  );
});

/** An event without what differs between two runs of the scenario (IDs, cursors). */
function strip(event: Event) {
  return { ...event, cursor: undefined };
}

describe.each([
  { name: 'graphql-ws', ws: true },
  { name: 'SSE', ws: false },
])('event data over $name', ({ ws }) => {
  it('is fresh: charge 1000 refunded 300 then 700, the last events show REFUNDED / 1000 with both refunds', async () => {
    const chargeId = await createCharge(gw, '1000');
    const open = async (variables: TransactionStatusDetailsSubscriptionVariables) =>
      ws
        ? (await subscribers(1, variables))[0]
        : await subscribeSse(gw.url, TransactionStatusDetailsDocument, variables, gw.authHeaders);
    const subscriber = await open({ filter: { provider: 'ELEPAY' } });
    if (!subscriber) throw new Error('no subscriber');

    await settle(gw, chargeId);
    const first = await refund(gw, chargeId, '300');
    await settle(gw, first);
    const second = await refund(gw, chargeId);
    await settle(gw, second);
    const events = (await subscriber.waitFor(5)).map((p) => p.transactionStatusChanged);
    await subscriber.close();

    const [, firstRefund, partially, secondRefund, refunded] = events;
    expect(firstRefund).toMatchObject({
      transaction: {
        __typename: 'Refund',
        id: first,
        refundedTransaction: {
          id: chargeId,
          status: 'PARTIALLY_REFUNDED',
          refundedAmount: { amount: '300' },
        },
      },
    });
    expect(partially).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      transaction: { id: chargeId, refundedAmount: { amount: '300' } },
    });
    expect(secondRefund).toMatchObject({
      status: 'SUCCEEDED',
      transaction: {
        __typename: 'Refund',
        id: second,
        refundedTransaction: { id: chargeId, status: 'REFUNDED', refundedAmount: { amount: '1000' } },
      },
    });
    expect(refunded).toMatchObject({
      previousStatus: 'PARTIALLY_REFUNDED',
      status: 'REFUNDED',
      transaction: { id: chargeId, status: 'REFUNDED', refundedAmount: { amount: '1000' } },
    });
    const refunds =
      refunded?.transaction.__typename === 'Charge'
        ? refunded.transaction.refunds.edges.map((e) => e.node)
        : [];
    expect(refunds.map((r) => [r.id, r.status, r.amount.amount]).sort()).toEqual(
      [
        [first, 'SUCCEEDED', '300'],
        [second, 'SUCCEEDED', '700'],
      ].sort(),
    );
  }, 60_000);
});
