/**
 * `Refund` (at either provider): the object, the `refund` query, and every refund mutation —
 * refundCharge, refundPayment and refundTransaction (services/refunds.ts).
 */
import { REFUND_SCOPE_ONLY } from '../../auth/scopes.js';
import { fail } from '../../domain/errors.js';
import { decodeGlobalId } from '../../domain/ids.js';
import type { Refund } from '../../domain/model.js';
import { providerCalls } from '../../plugins/providerCallCost.js';
import { refundCharge, refundPayment, refuseElopageAmount } from '../../services/refunds.js';
import { builder } from '../builder.js';
import { IDEMPOTENCY_KEY_DESCRIPTION, runMutation, validate } from '../mutations.js';
import { loadRefund, providerIdOf } from '../nodes.js';
import { payloadType } from '../payloads.js';
import {
  AuthorCommissionRef,
  ChargeRef,
  MoneyRef,
  NodeRef,
  PayerRef,
  PaymentRef,
  RefundRef,
  TransactionRef,
} from '../refs.js';
import { amountAndReason } from '../validation.js';

/** elopage-only detail reads as null (or empty) on elepay refunds. */
function elopage<T>(refund: Refund, read: (r: Extract<Refund, { provider: 'ELOPAGE' }>) => T): T | null {
  return refund.provider === 'ELOPAGE' ? read(refund) : null;
}

RefundRef.implement({
  description: 'Money returned to a payer, at either provider. `amount` is positive.',
  interfaces: [NodeRef, TransactionRef],
  fields: (t) => ({
    reason: t.string({
      nullable: true,
      description: 'Why it was refunded (elepay).',
      resolve: (r) => (r.provider === 'ELEPAY' ? r.reason : null),
    }),
    refundedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the money went back (elepay; elopage refunds complete when created).',
      resolve: (r) => (r.provider === 'ELEPAY' ? r.refundedAt : null),
    }),
    refundedTransaction: t.field({
      extensions: providerCalls({ calls: 1 }),
      type: TransactionRef,
      nullable: true,
      description: 'The charge or payment this refund reverses.',
      resolve: async (r, _args, ctx) => {
        if (r.provider === 'ELEPAY') return ctx.loaders.charge.load(r.chargeId);
        if (!r.refundedPaymentId) return null;
        const payment = await ctx.loaders.elopageTransaction.load(r.refundedPaymentId);
        return payment?.kind === 'Payment' ? payment : null;
      },
    }),
    payer: t.field({
      type: PayerRef,
      nullable: true,
      description: 'The buyer (elopage).',
      resolve: (r) => elopage(r, (e) => e.payer),
    }),
    netAmount: t.field({
      type: MoneyRef,
      nullable: true,
      description: 'Net amount returned, positive (elopage).',
      resolve: (r) => elopage(r, (e) => e.netAmount),
    }),
    fee: t.field({
      type: MoneyRef,
      nullable: true,
      description: 'Fees on the refund (elopage).',
      resolve: (r) => elopage(r, (e) => e.fee),
    }),
    paymentMethod: t.string({
      nullable: true,
      description: 'How the money goes back (elopage).',
      resolve: (r) => elopage(r, (e) => e.paymentMethod),
    }),
    authorCommissions: t.field({
      type: [AuthorCommissionRef],
      description: 'Co-author commissions taken back, as positive amounts (elopage; empty for elepay).',
      resolve: (r) => elopage(r, (e) => e.authorCommissions) ?? [],
    }),
  }),
});

builder.queryField('refund', (t) =>
  t.field({
    extensions: providerCalls({ calls: 1 }),
    type: RefundRef,
    nullable: true,
    description:
      "A refund by global ID, or by elopage's own refund ID. elepay serves refunds only under their charge, so an elepay refund needs its global ID.",
    args: { id: t.arg.id({ required: true, description: 'Global ID, or an elopage refund ID.' }) },
    resolve: (_root, { id }, ctx) => loadRefund(ctx, id),
  }),
);

const RefundChargePayload = payloadType('RefundChargePayload', {
  description: 'The result of `refundCharge`.',
  unchanged: 'nothing was refunded',
  fields: (t) => ({
    refund: t.field({
      type: RefundRef,
      nullable: true,
      description: 'The new refund (elepay refunds start PENDING).',
    }),
    charge: t.field({ type: ChargeRef, nullable: true, description: 'The charge as elepay now has it.' }),
  }),
});

const RefundPaymentPayload = payloadType('RefundPaymentPayload', {
  description: 'The result of `refundPayment`.',
  unchanged: 'nothing was refunded',
  fields: (t) => ({
    refund: t.field({ type: RefundRef, nullable: true, description: 'The refund elopage created.' }),
    payment: t.field({
      type: PaymentRef,
      nullable: true,
      description: 'The refunded payment as elopage now reports it.',
    }),
  }),
});

const RefundTransactionPayload = payloadType('RefundTransactionPayload', {
  description: 'The result of `refundTransaction`.',
  unchanged: 'nothing was refunded',
  fields: (t) => ({
    refund: t.field({ type: RefundRef, nullable: true, description: 'The new refund.' }),
    transaction: t.field({
      type: TransactionRef,
      nullable: true,
      description: 'The refunded charge or payment, as it is now.',
    }),
  }),
});

builder.mutationFields((t) => ({
  refundCharge: t.field({
    extensions: providerCalls({ calls: 4 }), // load charge + list refunds + refund + reload
    ...REFUND_SCOPE_ONLY,
    type: RefundChargePayload,
    description: 'Refunds a captured charge, in part or (without amount) all that remains.',
    args: {
      input: t.arg({
        type: builder.inputType('RefundChargeInput', {
          description: 'What to refund.',
          fields: (f) => ({
            chargeId: f.id({ required: true, description: 'Global ID or elepay charge ID.' }),
            amount: f.field({
              type: 'Decimal',
              description: 'Leave out to refund everything not refunded yet.',
            }),
            reason: f.string({ description: 'Why, at most 255 characters.' }),
            idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'refundCharge', input, (retryKey) => {
        validate(amountAndReason, input);
        const fields = { id: ['input', 'chargeId'], amount: ['input', 'amount'] };
        const id = providerIdOf(input.chargeId, 'Charge');
        return refundCharge(ctx, id, input, fields, retryKey);
      }),
  }),
  refundPayment: t.field({
    extensions: providerCalls({ calls: 3 }), // load + refund + reload
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
      runMutation(ctx, 'refundPayment', input, (retryKey) => {
        const id = providerIdOf(input.paymentId, 'Payment');
        return refundPayment(ctx, id, ['input', 'paymentId'], retryKey);
      }),
  }),
  refundTransaction: t.field({
    extensions: providerCalls({ calls: 4 }), // as refundCharge or refundPayment
    ...REFUND_SCOPE_ONLY,
    type: RefundTransactionPayload,
    description: 'Refunds a charge or a payment, whichever provider it lives at.',
    args: {
      input: t.arg({
        type: builder.inputType('RefundTransactionInput', {
          description: 'What to refund and how much.',
          fields: (f) => ({
            transactionId: f.id({ required: true, description: 'Global ID of a Charge or Payment.' }),
            amount: f.field({
              type: 'Decimal',
              description:
                'For a charge: the amount, or leave it out to refund all that remains. elopage payments refund in full only.',
            }),
            reason: f.string({ description: 'Why (kept by elepay, at most 255 characters).' }),
            idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'refundTransaction', input, async (retryKey) => {
        validate(amountAndReason, input);
        const ref = decodeGlobalId(input.transactionId);
        const field = ['input', 'transactionId'];
        if (ref?.kind === 'Payment') {
          refuseElopageAmount(input.amount, ['input', 'amount']);
          const { refund, payment } = await refundPayment(ctx, ref.id, field, retryKey);
          return { refund, transaction: payment };
        }
        if (ref?.kind === 'Charge') {
          const fields = { id: field, amount: ['input', 'amount'] };
          const { refund, charge } = await refundCharge(ctx, ref.id, input, fields, retryKey);
          return { refund, transaction: charge };
        }
        return fail(field, 'INVALID', 'must be the global ID of a Charge or a Payment');
      }),
  }),
}));
