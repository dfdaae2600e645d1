/**
 * The elopage `Payment`: the object and the `payment` query. refundPayment is with the other
 * refunds (types/refund.ts).
 */

import { providerCalls } from '../../plugins/providerCallCost.js';
import { builder } from '../builder.js';
import { loadPayment } from '../nodes.js';
import {
  AuthorCommissionRef,
  MoneyRef,
  NodeRef,
  PayerRef,
  PaymentRef,
  PricingPlanFormEnum,
  SalesPageRef,
  TransactionRef,
} from '../refs.js';

PaymentRef.implement({
  description: 'An elopage payment: a buyer paying for a sales page. `amount` is the gross revenue.',
  interfaces: [NodeRef, TransactionRef],
  fields: (t) => ({
    payer: t.expose('payer', { type: PayerRef, nullable: true, description: 'The buyer.' }),
    revenue: t.expose('revenue', { type: MoneyRef, description: 'Gross revenue (what the buyer paid).' }),
    netAmount: t.expose('netAmount', {
      type: MoneyRef,
      description: 'Net revenue after fees; netAmount + fee = revenue.',
    }),
    fee: t.expose('fee', { type: MoneyRef, description: "elopage's fees." }),
    recurring: t.exposeBoolean('recurring', {
      nullable: true,
      description: 'True for a subscription or split payment.',
    }),
    recurringForm: t.expose('recurringForm', {
      type: PricingPlanFormEnum,
      nullable: true,
      description: 'The form of the plan the buyer chose.',
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
      extensions: providerCalls({ calls: 1 }),
      type: SalesPageRef,
      nullable: true,
      description:
        'The sales page that was bought (fetched once per request however many payments share it).',
      resolve: (p, _args, ctx) => (p.salesPageId ? ctx.loaders.salesPage.load(p.salesPageId) : null),
    }),
    succeededAt: t.expose('succeededAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it succeeded.',
    }),
    succeededOn: t.expose('succeededOn', {
      type: 'Date',
      nullable: true,
      description: 'The day it succeeded.',
    }),
    invoiceUrl: t.exposeString('invoiceUrl', {
      nullable: true,
      description: 'The invoice, once elopage generated one.',
    }),
    successUrl: t.exposeString('successUrl', { nullable: true, description: "The buyer's success page." }),
    authorCommissions: t.expose('authorCommissions', {
      type: [AuthorCommissionRef],
      description: 'Co-author commissions on this payment, exact and unrounded.',
    }),
  }),
});

builder.queryField('payment', (t) =>
  t.field({
    extensions: providerCalls({ calls: 1 }),
    type: PaymentRef,
    nullable: true,
    description: "An elopage payment by global ID or elopage's own ID; null if it does not exist.",
    args: { id: t.arg.id({ required: true, description: 'Global ID or elopage payment ID.' }) },
    resolve: (_root, { id }, ctx) => loadPayment(ctx, id),
  }),
);
