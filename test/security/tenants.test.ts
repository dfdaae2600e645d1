import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalId } from '../../src/domain/ids.js';
import {
  CancelChargeDocument,
  CaptureChargeDocument,
  ChargeDocument,
  ChargesDocument,
  CreateChargeDocument,
  CreateSalesPageDocument,
  DeletePricingPlanDocument,
  NodeDocument,
  NodesDocument,
  PaymentDocument,
  RefundChargeDocument,
  RefundDocument,
  RefundPaymentDocument,
  RefundTransactionDocument,
  SalesPageDocument,
  SandboxCompleteCheckoutDocument,
  SandboxSettleTransactionDocument,
  TransactionDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
  TransactionsDocument,
  UpdateSalesPageDocument,
} from '../generated/graphql.js';
import { startTestGateway, startTwoInstances, type TestGateway, testClient } from '../support/harness.js';
import { createTestDatabase, skipWithoutPostgres, type TestDatabase } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { connectWs, type Subscriber, subscribeSse, subscribeWs } from '../support/subscriptions.js';
import { until } from '../support/wait.js';

/**
 * Tenants (docs/ledger.md, Tenants): two tenants' clients and one client without a tenant on one
 * gateway with the embedded simulators. What a tenant's client creates is the tenant's; the other
 * tenant finds none of it by any root field, list, mutation input or subscription — the same answer
 * as for an ID that does not exist — while the client without a tenant sees everything. The
 * ledger-backed parts run on the default SQLite and on PostgreSQL.
 */
const SKIP_POSTGRES = await skipWithoutPostgres('test/security/tenants.test.ts (PostgreSQL ledger)');
const SKIP_SHARED =
  SKIP_POSTGRES || (await skipWithoutRedis('test/security/tenants.test.ts (two instances)'));

const acme = testClient('acme-shop', ['read', 'write', 'refund']);
const globex = testClient('globex-shop', ['read', 'write', 'refund']);
const operator = testClient('backoffice', ['read', 'write', 'refund']);
const CLIENTS = JSON.stringify([
  { ...acme.client, tenant: 'acme' },
  { ...globex.client, tenant: 'globex' },
  operator.client,
]);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const idsOf = (subscriber: Subscriber<TransactionStatusChangedSubscription>) =>
  subscriber.received.map(({ transactionStatusChanged }) => transactionStatusChanged.transaction.id);

/** What one tenant made: an elepay charge (captured) and its refund, and an elopage payment. */
interface Made {
  charge: string;
  chargeProviderId: string;
  refund: string;
  payment: string;
  paymentProviderId: string;
}

/** IDs no provider knows, for "the same answer as a non-existent ID". */
const UNKNOWN = {
  charge: encodeGlobalId({ kind: 'Charge', id: 'ch_never_made_0001' }),
  refund: encodeGlobalId({ kind: 'Refund', provider: 'ELEPAY', chargeId: 'ch_never_made_0001', id: 're_1' }),
  payment: encodeGlobalId({ kind: 'Payment', id: '999999999' }),
};

async function make(gw: TestGateway, token: string, salesPageId: string): Promise<Made> {
  const as = bearer(token);
  const created = await gw.gql(
    CreateChargeDocument,
    { input: { amount: '1000', currency: 'JPY', paymentMethod: 'creditcard' } },
    as,
  );
  expect(created.errors).toEqual([]);
  const charge = created.data?.createCharge.charge;
  if (!charge) throw new Error('no charge');
  const settled = await gw.gql(
    SandboxSettleTransactionDocument,
    { input: { transactionId: charge.id, outcome: 'SUCCEED' } },
    as,
  );
  expect(settled.data?.sandboxSettleTransaction.userErrors).toEqual([]);
  const refunded = await gw.gql(RefundChargeDocument, { input: { chargeId: charge.id, amount: '300' } }, as);
  expect(refunded.data?.refundCharge.userErrors).toEqual([]);
  const checkout = await gw.gql(
    SandboxCompleteCheckoutDocument,
    { input: { salesPageId, paymentMethod: 'card', outcome: 'SUCCEED' } },
    as,
  );
  expect(checkout.data?.sandboxCompleteCheckout.userErrors).toEqual([]);
  const payment = checkout.data?.sandboxCompleteCheckout.payment;
  return {
    charge: charge.id,
    chargeProviderId: charge.providerId,
    refund: refunded.data?.refundCharge.refund?.id ?? '',
    payment: payment?.id ?? '',
    paymentProviderId: payment?.providerId ?? '',
  };
}

const engines = [
  { name: 'SQLite (the default)', skip: false, database: async (): Promise<TestDatabase | null> => null },
  { name: 'PostgreSQL (DATABASE_URL)', skip: SKIP_POSTGRES, database: () => createTestDatabase() },
];

describe.each(engines)('tenants, ledger on $name', ({ skip, database: makeDatabase }) => {
  let gw: TestGateway;
  let database: TestDatabase | null = null;
  const made: Record<'acme' | 'globex', Made> = {} as never;
  const salesPages: Record<'acme' | 'globex', string> = { acme: '', globex: '' };
  const sockets: Client[] = [];
  const subscribers: Subscriber<TransactionStatusChangedSubscription>[] = [];

  beforeAll(async () => {
    if (skip) return;
    database = await makeDatabase();
    gw = await startTestGateway({
      PAYGRAPH_CLIENTS: CLIENTS,
      ...(database ? { DATABASE_URL: database.url } : {}),
    });
    for (const [tenant, client] of [
      ['acme', acme],
      ['globex', globex],
    ] as const) {
      const page = await gw.gql(
        CreateSalesPageDocument,
        { input: { name: `${tenant} course`, pricingPlans: [{ oneTime: { price: '49' } }] } },
        bearer(client.token),
      );
      expect(page.data?.createSalesPage.userErrors).toEqual([]);
      salesPages[tenant] = page.data?.createSalesPage.salesPage?.id ?? '';
      made[tenant] = await make(gw, client.token, salesPages[tenant]);
    }
  });
  afterAll(async () => {
    for (const subscriber of subscribers) await subscriber.close();
    for (const socket of sockets) await socket.dispose();
    if (gw) gw.expectNoLeaks([acme.token, globex.token, operator.token]);
    await gw?.close();
    await database?.drop();
  });

  it.skipIf(skip)(
    "finds another tenant's transactions by no root field, as if they did not exist",
    async () => {
      for (const [viewer, other] of [
        [acme, made.globex],
        [globex, made.acme],
      ] as const) {
        const as = bearer(viewer.token);
        const lookups = async (ids: { charge: string; refund: string; payment: string }) => ({
          charge: (await gw.gql(ChargeDocument, { id: ids.charge }, as)).data?.charge,
          payment: (await gw.gql(PaymentDocument, { id: ids.payment }, as)).data?.payment,
          refund: (await gw.gql(RefundDocument, { id: ids.refund }, as)).data?.refund,
          transactions: await Promise.all(
            [ids.charge, ids.refund, ids.payment].map(
              async (id) => (await gw.gql(TransactionDocument, { id }, as)).data?.transaction,
            ),
          ),
          nodes: await Promise.all(
            [ids.charge, ids.refund, ids.payment].map(
              async (id) => (await gw.gql(NodeDocument, { id }, as)).data?.node,
            ),
          ),
          list: (await gw.gql(NodesDocument, { ids: [ids.charge, ids.refund, ids.payment] }, as)).data?.nodes,
        });
        const theirs = await lookups(other);
        expect(theirs).toEqual(await lookups(UNKNOWN));
        expect(theirs).toEqual({
          charge: null,
          payment: null,
          refund: null,
          transactions: [null, null, null],
          nodes: [null, null, null],
          list: [null, null, null],
        });
        // By elepay's and elopage's own IDs too.
        expect((await gw.gql(ChargeDocument, { id: other.chargeProviderId }, as)).data?.charge).toBeNull();
        expect((await gw.gql(PaymentDocument, { id: other.paymentProviderId }, as)).data?.payment).toBeNull();
      }
    },
  );

  it.skipIf(skip)(
    "sees its own transactions, with their refunds, and every list holds only the tenant's",
    async () => {
      for (const [viewer, own, other] of [
        [acme, made.acme, made.globex],
        [globex, made.globex, made.acme],
      ] as const) {
        const as = bearer(viewer.token);
        const charge = (await gw.gql(ChargeDocument, { id: own.charge }, as)).data?.charge;
        expect(charge?.id).toBe(own.charge);
        expect(charge?.refunds.edges.map((edge) => edge.node.id)).toEqual([own.refund]);
        expect((await gw.gql(PaymentDocument, { id: own.payment }, as)).data?.payment?.payer).not.toBeNull();
        expect((await gw.gql(RefundDocument, { id: own.refund }, as)).data?.refund?.id).toBe(own.refund);

        const listed = await gw.gql(TransactionsDocument, { first: 50 }, as);
        expect(listed.errors).toEqual([]);
        expect(listed.data?.transactions.totalCount).toBe(3);
        expect(listed.data?.transactions.edges.map((edge) => edge.node?.id).sort()).toEqual(
          [own.charge, own.refund, own.payment].sort(),
        );

        const charges = await gw.gql(ChargesDocument, { first: 100 }, as);
        expect(charges.errors).toEqual([]);
        const chargeIds = charges.data?.charges?.edges.map((edge) => edge.node.id) ?? [];
        expect(chargeIds).toContain(own.charge);
        expect(chargeIds).not.toContain(other.charge);
        // elepay counts every merchant's charges: a tenant is not told how many the others have.
        expect(charges.data?.charges?.totalCount).toBeNull();
        const byOrderNo = await gw.gql(
          ChargesDocument,
          {
            filter: {
              orderNo: (await gw.gql(ChargeDocument, { id: other.charge }, bearer(operator.token))).data
                ?.charge?.orderNo,
            },
          },
          as,
        );
        expect(byOrderNo.data?.charges?.edges).toEqual([]);
      }
    },
  );

  it.skipIf(skip)('sees every transaction without a tenant', async () => {
    const as = bearer(operator.token);
    // Both tenants' transactions, and those of no tenant (the simulators' seeded charges, read above).
    const listed = await gw.gql(TransactionsDocument, { first: 50 }, as);
    const all = [made.acme, made.globex].flatMap((own) => [own.charge, own.refund, own.payment]);
    expect(listed.data?.transactions.edges.map((edge) => edge.node?.id)).toEqual(expect.arrayContaining(all));
    expect(listed.data?.transactions.totalCount).toBeGreaterThan(6);
    for (const own of [made.acme, made.globex]) {
      expect((await gw.gql(ChargeDocument, { id: own.charge }, as)).data?.charge?.id).toBe(own.charge);
      expect((await gw.gql(PaymentDocument, { id: own.payment }, as)).data?.payment?.id).toBe(own.payment);
      expect((await gw.gql(RefundDocument, { id: own.refund }, as)).data?.refund?.id).toBe(own.refund);
    }
    const charges = await gw.gql(ChargesDocument, { first: 100 }, as);
    expect(charges.data?.charges?.totalCount).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(skip)("cannot act on another tenant's transaction: NOT_FOUND, as for an unknown ID", async () => {
    const as = bearer(acme.token);
    const attempts = async (ids: { charge: string; payment: string; refund: string }) => {
      const capture = await gw.gql(CaptureChargeDocument, { input: { chargeId: ids.charge } }, as);
      const cancel = await gw.gql(CancelChargeDocument, { input: { chargeId: ids.charge } }, as);
      const refundCharge = await gw.gql(RefundChargeDocument, { input: { chargeId: ids.charge } }, as);
      const refundPayment = await gw.gql(RefundPaymentDocument, { input: { paymentId: ids.payment } }, as);
      const refundTransaction = await gw.gql(
        RefundTransactionDocument,
        { input: { transactionId: ids.payment } },
        as,
      );
      const settle = await gw.gql(
        SandboxSettleTransactionDocument,
        { input: { transactionId: ids.refund, outcome: 'FAIL' } },
        as,
      );
      return [
        capture.data?.captureCharge,
        cancel.data?.cancelCharge,
        refundCharge.data?.refundCharge,
        refundPayment.data?.refundPayment,
        refundTransaction.data?.refundTransaction,
        settle.data?.sandboxSettleTransaction,
      ].map((payload) => payload?.userErrors.map((error) => [error.field, error.code]));
    };
    const theirs = await attempts(made.globex);
    expect(theirs.flat().map((error) => error?.[1])).toEqual(Array(6).fill('NOT_FOUND'));
    expect(theirs).toEqual(await attempts(UNKNOWN));
    // Nothing happened to globex's transactions.
    const refund = await gw.gql(RefundDocument, { id: made.globex.refund }, bearer(globex.token));
    expect(refund.data?.refund?.status).toBe('PENDING');
  });

  it.skipIf(skip)("hears only its tenant's changes, over WebSocket and SSE", async () => {
    const live = async (token: string) => {
      const socket = connectWs(gw.url, bearer(token));
      sockets.push(socket);
      const pair = [
        await subscribeWs(socket, TransactionStatusChangedDocument),
        await subscribeSse(gw.url, TransactionStatusChangedDocument, {}, bearer(token)),
      ] as const;
      subscribers.push(...pair);
      return pair;
    };
    const [acmeWs, acmeSse] = await live(acme.token);
    const [globexWs, globexSse] = await live(globex.token);
    const [operatorWs] = await live(operator.token);

    const changeAs = async (token: string) => {
      const created = await gw.gql(
        CreateChargeDocument,
        { input: { amount: '500', currency: 'JPY', paymentMethod: 'creditcard' } },
        bearer(token),
      );
      const id = created.data?.createCharge.charge?.id ?? '';
      const settled = await gw.gql(
        SandboxSettleTransactionDocument,
        { input: { transactionId: id, outcome: 'SUCCEED' } },
        bearer(token),
      );
      expect(settled.data?.sandboxSettleTransaction.userErrors).toEqual([]);
      return id;
    };
    // acme, globex, acme, globex: events reach each subscriber in log order, so once a subscriber
    // heard its tenant's last change, the other tenant's before it would have come had they matched.
    const acmeCharge = await changeAs(acme.token);
    const globexCharge = await changeAs(globex.token);
    const acmeLater = await changeAs(acme.token);
    const globexLater = await changeAs(globex.token);

    const hears = (subscriber: Subscriber<TransactionStatusChangedSubscription>, id: string) =>
      until(
        async () => idsOf(subscriber),
        (ids) => ids.includes(id),
        `the event of ${id}`,
      );
    const changed = [acmeCharge, globexCharge, acmeLater, globexLater];
    const heard = (subscriber: Subscriber<TransactionStatusChangedSubscription>) =>
      idsOf(subscriber).filter((id) => changed.includes(id));
    for (const subscriber of [acmeWs, acmeSse]) {
      await hears(subscriber, acmeLater);
      expect(heard(subscriber)).toEqual([acmeCharge, acmeLater]);
    }
    for (const subscriber of [globexWs, globexSse]) {
      await hears(subscriber, globexLater);
      expect(heard(subscriber)).toEqual([globexCharge, globexLater]);
    }
    await hears(operatorWs, globexLater);
    expect(heard(operatorWs)).toEqual(changed);

    // A resume replays from the log under the same rule.
    const replay = await subscribeSse(
      gw.url,
      TransactionStatusChangedDocument,
      { after: '0-0' },
      bearer(globex.token),
    );
    subscribers.push(replay);
    await hears(replay, globexLater);
    const acmes = [acmeCharge, acmeLater, made.acme.charge, made.acme.refund, made.acme.payment];
    expect(idsOf(replay).filter((id) => acmes.includes(id))).toEqual([]);
    expect(idsOf(replay)).toEqual(expect.arrayContaining([globexCharge, globexLater]));
  });

  it.skipIf(skip)("makes a refund by a client without a tenant the refunded charge's tenant's", async () => {
    const refunded = await gw.gql(
      RefundChargeDocument,
      { input: { chargeId: made.acme.charge, amount: '100' } },
      bearer(operator.token),
    );
    expect(refunded.data?.refundCharge.userErrors).toEqual([]);
    const refundId = refunded.data?.refundCharge.refund?.id ?? '';
    const refundsOf = async (token: string) =>
      (await gw.gql(ChargeDocument, { id: made.acme.charge }, bearer(token))).data?.charge?.refunds.edges.map(
        (edge) => edge.node.id,
      );
    expect(await refundsOf(acme.token)).toEqual([made.acme.refund, refundId]);
    expect((await gw.gql(RefundDocument, { id: refundId }, bearer(acme.token))).data?.refund?.id).toBe(
      refundId,
    );
    expect((await gw.gql(RefundDocument, { id: refundId }, bearer(globex.token))).data?.refund).toBeNull();
  });

  it.skipIf(skip)("makes a payment of a tenant's sales page the tenant's, whoever paid", async () => {
    const acmeLive = await subscribeSse(gw.url, TransactionStatusChangedDocument, {}, bearer(acme.token));
    subscribers.push(acmeLive);
    // A buyer paying on elopage's page comes through no tenant's mutation: here, a client without one.
    const checkout = await gw.gql(
      SandboxCompleteCheckoutDocument,
      { input: { salesPageId: salesPages.acme, paymentMethod: 'card', outcome: 'SUCCEED' } },
      bearer(operator.token),
    );
    const id = checkout.data?.sandboxCompleteCheckout.payment?.id ?? '';
    expect(id).not.toBe('');
    // elopage's webhook tells the gateway of it; the ledger gives it the sales page's tenant.
    await until(
      async () => (await gw.gql(PaymentDocument, { id }, bearer(acme.token))).data?.payment?.id,
      (found) => found === id,
      "acme's payment by a buyer",
    );
    expect((await gw.gql(PaymentDocument, { id }, bearer(globex.token))).data?.payment).toBeNull();
    // Its first event, recorded before the ledger had the payment, already carried acme as its tenant.
    await until(
      async () => idsOf(acmeLive),
      (ids) => ids.includes(id),
      "the event of acme's payment by a buyer",
    );
  });

  it.skipIf(skip)(
    "reads every sales page, changes only its tenant's, and deletes no pricing plan",
    async () => {
      const rename = (token: string, id: string) =>
        gw.gql(UpdateSalesPageDocument, { input: { id, name: 'renamed' } }, bearer(token));
      const other = await rename(globex.token, salesPages.acme);
      expect(other.data?.updateSalesPage.userErrors.map((error) => error.code)).toEqual(['NOT_FOUND']);
      const own = await rename(acme.token, salesPages.acme);
      expect(own.data?.updateSalesPage.userErrors).toEqual([]);
      expect(own.data?.updateSalesPage.salesPage?.name).toBe('renamed');
      const read = await gw.gql(SalesPageDocument, { id: salesPages.acme }, bearer(globex.token));
      expect(read.data?.salesPage?.name).toBe('renamed');
      const plan = read.data?.salesPage?.pricingPlans[0]?.id ?? '';
      const deleted = await gw.gql(DeletePricingPlanDocument, { input: { id: plan } }, bearer(acme.token));
      expect(deleted.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    },
  );
});

describe.skipIf(SKIP_SHARED)('tenants across two instances on one PostgreSQL and one Redis', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix();
  let a: TestGateway;
  let b: TestGateway;
  const sockets: Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const shared = {
      PAYGRAPH_CLIENTS: CLIENTS,
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    };
    // Each change is recorded on A (the simulator's webhooks reach A only), heard on B.
    [a, b] = await startTwoInstances(shared);
  });
  afterAll(async () => {
    for (const socket of sockets) await socket.dispose();
    await a?.close();
    await b?.close();
    await database?.drop();
    await deleteKeys(prefix);
  });

  it("a tenant's subscriber on B hears its change recorded on A, the other tenant's does not", async () => {
    const subscribe = async (token: string) => {
      const socket = connectWs(b.url, bearer(token));
      sockets.push(socket);
      return subscribeWs(socket, TransactionStatusChangedDocument);
    };
    const acmeOnB = await subscribe(acme.token);
    const globexOnB = await subscribe(globex.token);
    const changeOnA = async (token: string) => {
      const created = await a.gql(
        CreateChargeDocument,
        { input: { amount: '700', currency: 'JPY', paymentMethod: 'creditcard' } },
        bearer(token),
      );
      const id = created.data?.createCharge.charge?.id ?? '';
      await a.gql(
        SandboxSettleTransactionDocument,
        { input: { transactionId: id, outcome: 'SUCCEED' } },
        bearer(token),
      );
      return id;
    };
    // In log order: once acme's subscriber heard acme's second change, globex's came before it.
    const acmeCharge = await changeOnA(acme.token);
    const globexCharge = await changeOnA(globex.token);
    const acmeLater = await changeOnA(acme.token);
    await acmeOnB.waitFor(2, 30_000);
    await globexOnB.waitFor(1, 30_000);
    expect(idsOf(acmeOnB)).toEqual([acmeCharge, acmeLater]);
    expect(idsOf(globexOnB)).toEqual([globexCharge]);
    // B's own lookups agree: the owner recorded on A is in the shared ledger.
    expect((await b.gql(ChargeDocument, { id: acmeCharge }, bearer(globex.token))).data?.charge).toBeNull();
    expect((await b.gql(ChargeDocument, { id: acmeCharge }, bearer(acme.token))).data?.charge?.id).toBe(
      acmeCharge,
    );
  });
});
