import { REFUND_SCOPE_ONLY } from '../../auth/scopes.js';
import { decodeGlobalId } from '../../domain/ids.js';
import type { Refund } from '../../domain/model.js';
import { builder } from '../builder.js';
import { fail, IDEMPOTENCY_KEY_DESCRIPTION, runMutation } from '../mutations.js';
import { loadRefund } from '../nodes.js';
import {
  AuthorCommissionRef,
  MoneyRef,
  NodeRef,
  PayerRef,
  RefundRef,
  TransactionRef,
  UserErrorRef,
} from '../refs.js';
import {
  checkAmountAndReason,
  refundElepayCharge,
  refundElopagePayment,
  refuseElopageAmount,
} from '../refunding.js';

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
    type: RefundRef,
    nullable: true,
    description:
      "A refund by global ID, or by elopage's own refund ID. elepay serves refunds only under their charge, so an elepay refund needs its global ID.",
    args: { id: t.arg.id({ required: true, description: 'Global ID, or an elopage refund ID.' }) },
    resolve: (_root, { id }, ctx) => loadRefund(ctx, id),
  }),
);

const RefundTransactionPayload = builder.simpleObject('RefundTransactionPayload', {
  description: 'The result of `refundTransaction`.',
  fields: (t) => ({
    refund: t.field({ type: RefundRef, nullable: true, description: 'The new refund.' }),
    transaction: t.field({
      type: TransactionRef,
      nullable: true,
      description: 'The refunded charge or payment, as it is now.',
    }),
    userErrors: t.field({ type: [UserErrorRef], description: 'Why nothing was refunded, if so.' }),
  }),
});

builder.mutationField('refundTransaction', (t) =>
  t.field({
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
      runMutation(ctx, 'refundTransaction', input, async (idempotency) => {
        checkAmountAndReason(input);
        const ref = decodeGlobalId(input.transactionId);
        const field = ['input', 'transactionId'];
        if (ref?.kind === 'Payment') {
          refuseElopageAmount(input.amount, ['input', 'amount']);
          const { refund, payment } = await refundElopagePayment(ctx, ref.id, field, idempotency);
          return { refund, transaction: payment };
        }
        if (ref?.kind === 'Charge') {
          const { refund, charge } = await refundElepayCharge(
            ctx,
            ref.id,
            input,
            { id: field, amount: ['input', 'amount'] },
            idempotency,
          );
          return { refund, transaction: charge };
        }
        return fail(field, 'INVALID', 'must be the global ID of a Charge or a Payment');
      }),
  }),
);
