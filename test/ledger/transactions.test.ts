import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema.js';
import { estimateProviderCalls } from '../../src/plugins/providerCallCost.js';
import {
  ChargeDocument,
  RefundPaymentDocument,
  SandboxCompleteCheckoutDocument,
  SandboxSettleTransactionDocument,
  TransactionCountDocument,
  type TransactionFilter,
  TransactionsDocument,
  type TransactionsQuery,
} from '../generated/graphql.js';
import type { GraphQLResponse } from '../support/client.js';
import { createCharge, createSalesPage, refund, settle } from '../support/flows.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { createTestDatabase, skipWithoutPostgres, type TestDatabase } from '../support/postgres.js';
import { until } from '../support/wait.js';

/**
 * The history across both providers, end to end: elopage payments and elepay charges and refunds
 * made through GraphQL (and the simulators' webhooks) come back in one `transactions` connection,
 * under every filter and paged forward with `after`, with each one's `statusHistory` — on the
 * default embedded SQLite and on PostgreSQL (`DATABASE_URL`).
 */
const SKIP_POSTGRES = await skipWithoutPostgres('test/ledger/transactions.test.ts (PostgreSQL ledger)');

type Node = NonNullable<TransactionsQuery['transactions']['edges'][number]['node']>;

interface Made {
  salesPage: { id: string; providerId: string };
  /** Paid at checkout, then refunded in full (r2). */
  paid: string;
  declined: string;
  /** Settled, then 300 of it refunded (r1). */
  c1: string;
  /** Failed at the payer; elepay sends no webhook for that, a read tells the gateway. */
  c2: string;
  /** Still pending. */
  c3: string;
  r1: string;
  r2: string;
}

const engines = [
  { name: 'SQLite (the default)', skip: false, database: async (): Promise<TestDatabase | null> => null },
  { name: 'PostgreSQL (DATABASE_URL)', skip: SKIP_POSTGRES, database: () => createTestDatabase() },
];

/**
 * The database's password must never show (logs, answers). The test server trusts local
 * connections, so any password connects; this one is only there to be looked for.
 */
const DATABASE_PASSWORD = 'ledger-database-password-0001';
function withPassword(url: string): string {
  const withSecret = new URL(url);
  withSecret.password = DATABASE_PASSWORD;
  return withSecret.toString();
}

/** How many transactions match in the ledger (no provider call), waited for until it is `count`. */
async function ledgerHas(gw: TestGateway, filter: TransactionFilter, count: number): Promise<void> {
  await until(
    () => gw.gql(TransactionCountDocument, { filter }),
    (response) => response.data?.transactions.totalCount === count,
    `${count} transaction(s) matching ${JSON.stringify(filter)} in the ledger`,
  );
}

async function checkout(gw: TestGateway, salesPageId: string, outcome: 'SUCCEED' | 'FAIL'): Promise<string> {
  const { data, errors } = await gw.gql(SandboxCompleteCheckoutDocument, {
    input: { salesPageId, paymentMethod: 'card', outcome },
  });
  expect(errors).toEqual([]);
  expect(data?.sandboxCompleteCheckout.userErrors).toEqual([]);
  return data?.sandboxCompleteCheckout.payment?.id ?? '';
}

/** Makes the history, waiting on the ledger (never on a provider read) where order matters. */
async function makeHistory(gw: TestGateway): Promise<Made> {
  const salesPage = await createSalesPage(gw, 'Ledger course', '49.00');
  const paid = await checkout(gw, salesPage.id, 'SUCCEED');
  await ledgerHas(gw, { kind: 'PAYMENT', status: ['SUCCEEDED'] }, 1);
  const declined = await checkout(gw, salesPage.id, 'FAIL');
  await ledgerHas(gw, { kind: 'PAYMENT', status: ['FAILED'] }, 1);

  const c1 = await createCharge(gw, '1000');
  await settle(gw, c1);
  await ledgerHas(gw, { kind: 'CHARGE', status: ['SUCCEEDED'] }, 1);
  const c2 = await createCharge(gw, '2000');
  const failed = await gw.gql(SandboxSettleTransactionDocument, {
    input: { transactionId: c2, outcome: 'FAIL' },
  });
  expect(failed.data?.sandboxSettleTransaction.transaction?.status).toBe('FAILED');
  // A frontend looking at the charge is how the gateway learns it failed (until reconciliation).
  expect((await gw.gql(ChargeDocument, { id: c2 })).data?.charge?.status).toBe('FAILED');
  await ledgerHas(gw, { kind: 'CHARGE', status: ['FAILED'] }, 1);
  const c3 = await createCharge(gw, '500');

  const r1 = await refund(gw, c1, '300');
  await settle(gw, r1);
  await ledgerHas(gw, { kind: 'CHARGE', status: ['PARTIALLY_REFUNDED'] }, 1);
  await ledgerHas(gw, { kind: 'REFUND', provider: 'ELEPAY', status: ['SUCCEEDED'] }, 1);
  const refunded = await gw.gql(RefundPaymentDocument, { input: { paymentId: paid } });
  expect(refunded.data?.refundPayment.userErrors).toEqual([]);
  const r2 = refunded.data?.refundPayment.refund?.id ?? '';
  await ledgerHas(gw, {}, 7);
  return { salesPage, paid, declined, c1, c2, c3, r1, r2 };
}

/** Every matching transaction, pages of `first` followed with `after`, checking each page on the way. */
async function listAll(gw: TestGateway, filter: TransactionFilter = {}, first = 100): Promise<Node[]> {
  const nodes: Node[] = [];
  let after: string | null | undefined = null;
  for (let page = 0; page < 50; page++) {
    const response: GraphQLResponse<TransactionsQuery> = await gw.gql(TransactionsDocument, {
      filter,
      first,
      after,
    });
    expect(response.errors).toEqual([]);
    const connection = response.data?.transactions;
    if (!connection) throw new Error('no transactions');
    expect(connection.edges.length).toBeLessThanOrEqual(first);
    for (const edge of connection.edges) {
      if (!edge.node) throw new Error(`edge ${edge.cursor} has no node`);
      nodes.push(edge.node);
    }
    if (!connection.pageInfo.hasNextPage) {
      expect(nodes).toHaveLength(connection.totalCount);
      return nodes;
    }
    after = connection.pageInfo.endCursor;
  }
  throw new Error('more than 50 pages');
}

const idsOf = (nodes: Node[]) => nodes.map((node) => node.id);
const sorted = (ids: string[]) => [...ids].sort();

for (const engine of engines) {
  describe.skipIf(engine.skip)(`transactions on ${engine.name}`, () => {
    let gw: TestGateway;
    let database: TestDatabase | null = null;
    let made: Made;
    let everything: Node[];

    beforeAll(async () => {
      database = await engine.database();
      gw = await startTestGateway(database ? { DATABASE_URL: withPassword(database.url) } : {});
      made = await makeHistory(gw);
      everything = await listAll(gw);
    }, 120_000);

    afterAll(async () => {
      gw?.expectNoLeaks([DATABASE_PASSWORD]);
      await gw?.close();
      await database?.drop();
    });

    it('lists payments, charges and refunds of both providers in one connection, newest first', () => {
      const { paid, declined, c1, c2, c3, r1, r2 } = made;
      expect(sorted(idsOf(everything))).toEqual(sorted([paid, declined, c1, c2, c3, r1, r2]));
      const created = everything.map((node) => Date.parse(node.createdAt ?? ''));
      expect(created).toEqual([...created].sort((a, b) => b - a));
      expect(new Set(everything.map((node) => node.__typename))).toEqual(
        new Set(['Payment', 'Charge', 'Refund']),
      );
      expect(new Set(everything.map((node) => node.provider))).toEqual(new Set(['ELEPAY', 'ELOPAGE']));
    });

    it('narrows the list by provider, status, kind and sales page, alone and together', async () => {
      const { salesPage, paid, declined, c1, c2, c3, r1, r2 } = made;
      const cases: [TransactionFilter, string[]][] = [
        [{ provider: 'ELEPAY' }, [c1, c2, c3, r1]],
        [{ provider: 'ELOPAGE' }, [paid, declined, r2]],
        [{ kind: 'CHARGE' }, [c1, c2, c3]],
        [{ kind: 'PAYMENT' }, [paid, declined]],
        [{ kind: 'REFUND' }, [r1, r2]],
        [{ status: ['FAILED'] }, [c2, declined]],
        [{ status: ['PENDING'] }, [c3]],
        [{ status: ['SUCCEEDED', 'PARTIALLY_REFUNDED'] }, [paid, c1, r1, r2]],
        [{ salesPageId: salesPage.id }, [paid, declined, r2]],
        [{ salesPageId: salesPage.providerId }, [paid, declined, r2]],
        [{ salesPageId: '1087' }, []],
        // A global ID of something other than a sales page names no sales page.
        [{ salesPageId: c1 }, []],
        [{ provider: 'ELEPAY', kind: 'REFUND', status: ['SUCCEEDED'] }, [r1]],
        [{ provider: 'ELOPAGE', kind: 'PAYMENT', status: ['FAILED'], salesPageId: salesPage.id }, [declined]],
      ];
      for (const [filter, expected] of cases) {
        const listed = await listAll(gw, filter);
        expect({ filter, ids: sorted(idsOf(listed)) }).toEqual({ filter, ids: sorted(expected) });
        // Each narrowed list keeps the order of the whole one.
        expect(idsOf(listed)).toEqual(idsOf(everything).filter((id) => expected.includes(id)));
      }
    });

    it('narrows by creation time, both bounds inclusive', async () => {
      const pending = everything.find((node) => node.id === made.c3);
      const bound = pending?.createdAt ?? '';
      const at = Date.parse(bound);
      const createdAt = (node: Node) => Date.parse(node.createdAt ?? '');
      expect(idsOf(await listAll(gw, { createdAfter: bound }))).toEqual(
        idsOf(everything.filter((node) => createdAt(node) >= at)),
      );
      expect(idsOf(await listAll(gw, { createdBefore: bound }))).toEqual(
        idsOf(everything.filter((node) => createdAt(node) <= at)),
      );
      expect(idsOf(await listAll(gw, { createdAfter: bound, createdBefore: bound, kind: 'CHARGE' }))).toEqual(
        [made.c3],
      );
    });

    it('pages forward with after: every transaction once, in order, the count on every page', async () => {
      for (const size of [1, 2, 3]) expect(idsOf(await listAll(gw, {}, size))).toEqual(idsOf(everything));
      const first = await gw.gql(TransactionsDocument, { filter: {}, first: 3 });
      expect(first.data?.transactions.pageInfo.hasNextPage).toBe(true);
      const rest = await gw.gql(TransactionsDocument, {
        filter: {},
        first: 100,
        after: first.data?.transactions.pageInfo.endCursor,
      });
      expect(rest.data?.transactions.totalCount).toBe(7);
      expect(rest.data?.transactions.edges.map((edge) => edge.node?.id)).toEqual(idsOf(everything).slice(3));
      expect(rest.data?.transactions.pageInfo.hasNextPage).toBe(false);
    });

    it('shows how the gateway learned each status: mutation, webhook (with the event ID) or read', () => {
      const history = (id: string) =>
        everything
          .find((node) => node.id === id)
          ?.statusHistory.map(
            (change) => `${change.previousStatus ?? '∅'}→${change.status} ${change.source}`,
          );
      expect(history(made.c1)).toEqual([
        '∅→PENDING MUTATION',
        'PENDING→SUCCEEDED WEBHOOK',
        'SUCCEEDED→PARTIALLY_REFUNDED WEBHOOK',
      ]);
      expect(history(made.c2)).toEqual(['∅→PENDING MUTATION', 'PENDING→FAILED READ']);
      expect(history(made.c3)).toEqual(['∅→PENDING MUTATION']);
      expect(history(made.r1)).toEqual(['∅→PENDING MUTATION', 'PENDING→SUCCEEDED WEBHOOK']);
      expect(history(made.paid)).toEqual(['∅→SUCCEEDED WEBHOOK']);
      expect(history(made.declined)).toEqual(['∅→FAILED WEBHOOK']);
      // elopage sends the refund's webhook while it answers the mutation: either may tell first.
      expect(['∅→SUCCEEDED MUTATION', '∅→SUCCEEDED WEBHOOK']).toContainEqual(history(made.r2)?.join());
      const c1 = everything.find((node) => node.id === made.c1)?.statusHistory ?? [];
      expect(c1.map((change) => change.providerEventId)).toEqual([
        null,
        expect.stringMatching(/^evt_/),
        expect.stringMatching(/^evt_/),
      ]);
      expect(c1.map((change) => change.providerStatus)).toEqual([
        'pending',
        'captured',
        'partially_refunded',
      ]);
      const observed = c1.map((change) => Date.parse(change.observedAt));
      expect(observed).toEqual([...observed].sort((a, b) => a - b));
    });

    it('reads the list and counts from the ledger alone; each node is one read of its provider', async () => {
      await gw.resetStats();
      const counted = await gw.gql(TransactionCountDocument, { filter: { provider: 'ELEPAY' } });
      expect(counted.data?.transactions.totalCount).toBe(4);
      const calls = async () => (await gw.stats('elepay')).total + (await gw.stats('elopage')).total;
      expect(await calls()).toBe(0);
      const page = await gw.gql(TransactionsDocument, { filter: {}, first: 3 });
      expect(page.data?.transactions.edges).toHaveLength(3);
      expect(await calls()).toBe(3);
      expect(estimateProviderCalls(schema, TransactionCountDocument, undefined, {})).toBe(0);
      expect(estimateProviderCalls(schema, TransactionsDocument, undefined, { first: 3 })).toBe(3);
      const nested = parse(
        'query { transactions(first: 100) { edges { node { ... on Payment { salesPage { name } } } } } }',
      );
      expect(estimateProviderCalls(schema, nested, undefined, {})).toBe(200);
    });

    it('refuses a malformed cursor or page size with BAD_USER_INPUT', async () => {
      const codes = async (variables: { first?: number; after?: string }) =>
        (await gw.gql(TransactionsDocument, { filter: {}, ...variables })).errors.map(
          (error) => error.extensions?.code,
        );
      expect(await codes({ after: 'garbage' })).toEqual(['BAD_USER_INPUT']);
      expect(await codes({ after: Buffer.from('12:x').toString('base64url') })).toEqual(['BAD_USER_INPUT']);
      expect(await codes({ first: -1 })).toEqual(['BAD_USER_INPUT']);
    });
  });
}
