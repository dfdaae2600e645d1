import { REFUND_SCOPE_ONLY } from '../../auth/scopes.js';
import { builder } from '../builder.js';
import { IDEMPOTENCY_KEY_DESCRIPTION, runMutation } from '../mutations.js';
import { loadPayment } from '../nodes.js';
import {
  AuthorCommissionRef,
  MoneyRef,
  NodeRef,
  PayerRef,
  PaymentRef,
  PricingPlanFormEnum,
  RefundRef,
  SalesPageRef,
  TransactionRef,
  UserErrorRef,
} from '../refs.js';
import { refundElopagePayment } from '../refunding.js';

PaymentRef.implement({
  description: 'An elopage payment: a buyer paying for a sales page. `amount` is the gross revenue.',
  interfaces: [NodeRef, TransactionRef],
  fields: (t) => ({
    payer: t.field({ type: PayerRef, nullable: true, description: 'The buyer.', resolve: (p) => p.payer }),
    revenue: t.field({
      type: MoneyRef,
      description: 'Gross revenue (what the buyer paid).',
      resolve: (p) => p.revenue,
    }),
    netAmount: t.field({
      type: MoneyRef,
      description: 'Net revenue after fees; netAmount + fee = revenue.',
      resolve: (p) => p.netAmount,
    }),
    fee: t.field({ type: MoneyRef, description: "elopage's fees.", resolve: (p) => p.fee }),
    recurring: t.exposeBoolean('recurring', {
      nullable: true,
      description: 'True for a subscription or split payment.',
    }),
    recurringForm: t.field({
      type: PricingPlanFormEnum,
      nullable: true,
      description: 'The form of the plan the buyer chose.',
      resolve: (p) => p.recurringForm,
    }),
    paymentMethod: t.exposeString('paymentMethod', {
      nullable: true,
      description: 'As elopage names it: card, bank_account (SEPA), paypal, sofort, bank_wire, …',
    }),
    paymentSessionId: t.exposeID('paymentSessionId', {
      nullable: true,
      description: 'Shared by every payment of one recurring purchase.',
    }),
    salesPage: t.field({
      type: SalesPageRef,
      nullable: true,
      description:
        'The sales page that was bought (fetched once per request however many payments share it).',
      resolve: (p, _args, ctx) => (p.salesPageId ? ctx.loaders.salesPage.load(p.salesPageId) : null),
    }),
    succeededAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it succeeded.',
      resolve: (p) => p.succeededAt,
    }),
    succeededOn: t.field({
      type: 'Date',
      nullable: true,
      description: 'The day it succeeded.',
      resolve: (p) => p.succeededOn,
    }),
    invoiceUrl: t.exposeString('invoiceUrl', {
      nullable: true,
      description: 'The invoice, once elopage generated one.',
    }),
    successUrl: t.exposeString('successUrl', { nullable: true, description: "The buyer's success page." }),
    authorCommissions: t.field({
      type: [AuthorCommissionRef],
      description: 'Co-author commissions on this payment, exact and unrounded.',
      resolve: (p) => p.authorCommissions,
    }),
  }),
});

builder.queryField('payment', (t) =>
  t.field({
    type: PaymentRef,
    nullable: true,
    description: "An elopage payment by global ID or elopage's own ID; null if it does not exist.",
    args: { id: t.arg.id({ required: true, description: 'Global ID or elopage payment ID.' }) },
    resolve: (_root, { id }, ctx) => loadPayment(ctx, id),
  }),
);

const RefundPaymentPayload = builder.simpleObject('RefundPaymentPayload', {
  description: 'The result of `refundPayment`.',
  fields: (t) => ({
    refund: t.field({ type: RefundRef, nullable: true, description: 'The refund elopage created.' }),
    payment: t.field({
      type: PaymentRef,
      nullable: true,
      description: 'The refunded payment as elopage now reports it.',
    }),
    userErrors: t.field({ type: [UserErrorRef], description: 'Why nothing was refunded, if so.' }),
  }),
});

builder.mutationField('refundPayment', (t) =>
  t.field({
    ...REFUND_SCOPE_ONLY,
    type: RefundPaymentPayload,
    description: 'Refunds an elopage payment in full (elopage has no partial refunds).',
    args: {
      input: t.arg({
        type: builder.inputType('RefundPaymentInput', {
          description: 'The payment to refund.',
          fields: (f) => ({
            paymentId: f.id({
              required: true,
              description: 'Global ID or elopage ID of a successful payment.',
            }),
            idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'refundPayment', input, (idempotency) =>
        refundElopagePayment(ctx, input.paymentId, ['input', 'paymentId'], idempotency),
      ),
  }),
);
