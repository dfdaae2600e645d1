import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalId } from '../../src/domain/ids.js';
import {
  ChargeDocument,
  NodeDocument,
  NodesDocument,
  PaymentDocument,
  PricingPlanDocument,
  RefundDocument,
  SalesPageDocument,
  TransactionDocument,
} from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

/**
 * Reading objects back: node/nodes by global ID, the root lookups by global or raw provider ID,
 * and `null` (never an error) for whatever does not exist. Runs against the seeded simulators
 * (src/sandbox/elopage/seed.ts, src/sandbox/elepay/seed.ts).
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  gw.expectNoLeaks();
  await gw.close();
});

/** Global IDs of one seeded object of every kind, each found by its raw provider ID. */
const ids = {
  salesPage: '',
  oneTimePlan: '',
  subscriptionPlan: '',
  splitPlan: '',
  payment: '',
  elopageRefund: '',
  charge: '',
  elepayRefund: '',
};

/** IDs that exist nowhere: unknown numbers and charges, garbage, well-formed but unknown global IDs. */
const GARBAGE = [
  'garbage',
  'not an id!',
  '',
  '   ',
  '..',
  '../../charges',
  'ch_1/refunds',
  'ÄÖÜ',
  'x'.repeat(600),
];
const UNKNOWN_GLOBAL = [
  encodeGlobalId({ kind: 'SalesPage', id: '999999' }),
  encodeGlobalId({ kind: 'PricingPlan', id: '999999' }),
  encodeGlobalId({ kind: 'Payment', id: '999999' }),
  encodeGlobalId({ kind: 'Refund', provider: 'ELOPAGE', id: '999999' }),
  encodeGlobalId({ kind: 'Charge', id: 'ch_999999' }),
  encodeGlobalId({ kind: 'Refund', provider: 'ELEPAY', chargeId: 'ch_2', id: 're_999999' }),
  encodeGlobalId({ kind: 'Refund', provider: 'ELEPAY', chargeId: 'ch_999999', id: 're_1' }),
  encodeGlobalId({ kind: 'Refund', provider: 'ELEPAY', chargeId: 'ch_1', id: 're_1' }), // re_1 is ch_2's
];

describe('lookups by raw provider ID', () => {
  it('finds sales pages, each plan form, payments, refunds and charges by the IDs providers show', async () => {
    const page = (await gw.gql(SalesPageDocument, { id: '1087' })).data?.salesPage;
    expect(page).toMatchObject({ providerId: '1087', name: 'Online-Marketing Masterclass' });
    ids.salesPage = page?.id ?? '';

    const plans = await Promise.all(
      ['1306', '1307', '1308'].map(
        async (id) => (await gw.gql(PricingPlanDocument, { id })).data?.pricingPlan,
      ),
    );
    expect(plans.map((plan) => [plan?.providerId, plan?.form])).toEqual([
      ['1306', 'ONE_TIME'],
      ['1307', 'SUBSCRIPTION'],
      ['1308', 'SPLIT'],
    ]);
    const [oneTime = '', subscription = '', split = ''] = plans.map((plan) => plan?.id ?? '');
    Object.assign(ids, { oneTimePlan: oneTime, subscriptionPlan: subscription, splitPlan: split });

    const payment = (await gw.gql(PaymentDocument, { id: '540391' })).data?.payment;
    expect(payment).toMatchObject({
      providerId: '540391',
      status: 'SUCCEEDED',
      salesPage: { id: ids.salesPage },
    });
    ids.payment = payment?.id ?? '';

    const refund = (await gw.gql(RefundDocument, { id: '540397' })).data?.refund;
    expect(refund).toMatchObject({
      providerId: '540397',
      provider: 'ELOPAGE',
      refundedTransaction: { provider: 'ELOPAGE', status: 'SUCCEEDED' },
    });
    ids.elopageRefund = refund?.id ?? '';

    const charge = (await gw.gql(ChargeDocument, { id: 'ch_2' })).data?.charge;
    expect(charge).toMatchObject({ providerId: 'ch_2', provider: 'ELEPAY', status: 'PARTIALLY_REFUNDED' });
    ids.charge = charge?.id ?? '';
    ids.elepayRefund = charge?.refunds.edges[0]?.node.id ?? '';
    expect(charge?.refunds.edges[0]?.node).toMatchObject({ providerId: 're_1', amount: { amount: '2450' } });
  });

  it('accepts the global ID in every root lookup too', async () => {
    expect((await gw.gql(SalesPageDocument, { id: ids.salesPage })).data?.salesPage?.providerId).toBe('1087');
    expect((await gw.gql(PricingPlanDocument, { id: ids.splitPlan })).data?.pricingPlan?.providerId).toBe(
      '1308',
    );
    expect((await gw.gql(PaymentDocument, { id: ids.payment })).data?.payment?.providerId).toBe('540391');
    expect((await gw.gql(RefundDocument, { id: ids.elopageRefund })).data?.refund?.providerId).toBe('540397');
    expect((await gw.gql(RefundDocument, { id: ids.elepayRefund })).data?.refund).toMatchObject({
      providerId: 're_1',
      provider: 'ELEPAY',
      refundedTransaction: { id: ids.charge },
    });
    expect((await gw.gql(ChargeDocument, { id: ids.charge })).data?.charge?.providerId).toBe('ch_2');
  });
});

describe('node and nodes', () => {
  const expected = (): (readonly [string, string])[] => [
    [ids.salesPage, 'SalesPage'],
    [ids.oneTimePlan, 'OneTimePricingPlan'],
    [ids.subscriptionPlan, 'SubscriptionPricingPlan'],
    [ids.splitPlan, 'SplitPricingPlan'],
    [ids.payment, 'Payment'],
    [ids.elopageRefund, 'Refund'],
    [ids.charge, 'Charge'],
    [ids.elepayRefund, 'Refund'],
  ];

  it('node resolves every kind of global ID to its type', async () => {
    for (const [id, typename] of expected()) {
      const { data, errors } = await gw.gql(NodeDocument, { id });
      expect(errors).toEqual([]);
      expect(data?.node).toMatchObject({ __typename: typename, id });
    }
  });

  it('nodes keeps the order and gives null for unknown or garbage IDs', async () => {
    const cases: (readonly [string, string | null])[] = [
      [ids.elepayRefund, 'Refund'],
      ['garbage', null],
      [ids.salesPage, 'SalesPage'],
      [ids.oneTimePlan, 'OneTimePricingPlan'],
      [ids.subscriptionPlan, 'SubscriptionPricingPlan'],
      [ids.splitPlan, 'SplitPricingPlan'],
      ...UNKNOWN_GLOBAL.map((id) => [id, null] as const),
      [ids.payment, 'Payment'],
      [ids.elopageRefund, 'Refund'],
      [ids.charge, 'Charge'],
      ['1087', null], // a raw ID is not a global ID
    ];
    const { data, errors } = await gw.gql(NodesDocument, { ids: cases.map(([id]) => id) });
    expect(errors).toEqual([]);
    expect(data?.nodes.map((node) => node && [node.id, node.__typename])).toEqual(
      cases.map(([id, typename]) => typename && [id, typename]),
    );
  });

  it('transaction takes payments, charges and refunds, and is null for anything else', async () => {
    for (const [id, typename] of [
      [ids.payment, 'Payment'],
      [ids.charge, 'Charge'],
      [ids.elopageRefund, 'Refund'],
      [ids.elepayRefund, 'Refund'],
    ] as const) {
      expect((await gw.gql(TransactionDocument, { id })).data?.transaction?.__typename).toBe(typename);
    }
    for (const id of [ids.salesPage, ids.oneTimePlan, 'ch_2', '540391', ...UNKNOWN_GLOBAL]) {
      const { data, errors } = await gw.gql(TransactionDocument, { id });
      expect(errors).toEqual([]);
      expect(data?.transaction).toBeNull();
    }
  });
});

describe('not found is null, not an error', () => {
  const lookups = {
    salesPage: async (id: string) => (await gw.gql(SalesPageDocument, { id })).data?.salesPage,
    pricingPlan: async (id: string) => (await gw.gql(PricingPlanDocument, { id })).data?.pricingPlan,
    payment: async (id: string) => (await gw.gql(PaymentDocument, { id })).data?.payment,
    refund: async (id: string) => (await gw.gql(RefundDocument, { id })).data?.refund,
    charge: async (id: string) => (await gw.gql(ChargeDocument, { id })).data?.charge,
    node: async (id: string) => (await gw.gql(NodeDocument, { id })).data?.node,
  };

  it('for unknown raw IDs, garbage and unknown global IDs in every root lookup', async () => {
    const unknownRaw = ['999999', 'ch_999999', 're_999999', '0', '-1', '1087.0'];
    for (const [name, lookup] of Object.entries(lookups)) {
      for (const id of [...unknownRaw, ...GARBAGE, ...UNKNOWN_GLOBAL]) {
        await expect(lookup(id), `${name}(${JSON.stringify(id.slice(0, 40))})`).resolves.toBeNull();
      }
    }
    // Every answer above was data, never an error.
    expect(gw.bodies.filter((body) => body.includes('"errors"'))).toEqual([]);
  });

  it('for a global ID of the wrong kind', async () => {
    const wrongKind: [keyof typeof lookups, string][] = [
      ['payment', ids.charge],
      ['payment', ids.elopageRefund],
      ['charge', ids.payment],
      ['charge', ids.elepayRefund],
      ['refund', ids.payment],
      ['refund', ids.charge],
      ['salesPage', ids.oneTimePlan],
      ['pricingPlan', ids.salesPage],
    ];
    for (const [name, id] of wrongKind) {
      await expect(lookups[name](id), `${name}(${id})`).resolves.toBeNull();
    }
  });

  it('for raw IDs of another kind of object at the same provider', async () => {
    await expect(lookups.payment('540397')).resolves.toBeNull(); // a refund
    await expect(lookups.refund('540391')).resolves.toBeNull(); // a payment
    // elepay serves refunds only under their charge, so a raw elepay refund ID finds nothing.
    await expect(lookups.refund('re_1')).resolves.toBeNull();
  });
});
