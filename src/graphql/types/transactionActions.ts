/**
 * `Transaction.availableActions` and `Transaction.refundableAmount`: what a UI may offer for a
 * transaction, decided from what its provider returned by the rules in domain/actions.ts.
 */
import type { Context } from '../../context.js';
import {
  type AvailableActions,
  chargeActions,
  paymentActions,
  refundActions,
  type TRANSACTION_ACTIONS,
} from '../../domain/actions.js';
import type { Transaction } from '../../domain/model.js';
import { providerCalls } from '../../plugins/providerCallCost.js';
import { isPaymentRefunded } from '../../services/refunds.js';
import { builder } from '../builder.js';
import { MoneyRef, TransactionRef } from '../refs.js';

const TransactionActionEnum = builder.enumType('TransactionAction', {
  description: 'Something that can be done to a transaction now.',
  values: {
    CAPTURE: { description: 'Capture an authorized charge (`captureCharge`).' },
    CANCEL: { description: 'Cancel a pending or authorized charge (`cancelCharge`).' },
    REFUND: {
      description: 'Refund up to `refundableAmount` (`refundTransaction`); an elopage payment only in full.',
    },
  } satisfies Record<(typeof TRANSACTION_ACTIONS)[number], unknown>,
});

async function actionsOf(ctx: Context, transaction: Transaction): Promise<AvailableActions> {
  switch (transaction.kind) {
    case 'Charge': {
      // Only a captured charge needs its refunds: pending ones count against what is left.
      const capturedStatus =
        transaction.status === 'SUCCEEDED' || transaction.status === 'PARTIALLY_REFUNDED';
      const refunds = capturedStatus ? await ctx.loaders.chargeRefunds.load(transaction.providerId) : [];
      return chargeActions(transaction, refunds ?? []);
    }
    case 'Payment':
      return paymentActions(transaction, await isPaymentRefunded(ctx, transaction.providerId));
    case 'Refund':
      return refundActions(transaction);
  }
}

// A captured charge reads its refunds (GET /charges/{id}/refunds) for what is left to refund; the
// refund loader shares that call with both fields and with Charge.refunds.
const READS_REFUNDS = providerCalls({ calls: 1 });

builder.interfaceField(TransactionRef, 'availableActions', (t) =>
  t.field({
    type: [TransactionActionEnum],
    extensions: READS_REFUNDS,
    description:
      'What can be done to this transaction now, by the rules of its provider: CAPTURE and CANCEL for an authorized charge (CANCEL alone for a pending one), REFUND for a captured charge with an amount left and for a successful elopage payment the gateway knows no refund of. Empty for a refund.',
    resolve: async (transaction, _args, ctx) => (await actionsOf(ctx, transaction)).actions,
  }),
);

builder.interfaceField(TransactionRef, 'refundableAmount', (t) =>
  t.field({
    type: MoneyRef,
    // Null, with an error, when a charge's refunds could not be read: the rest of the transaction stays.
    nullable: true,
    extensions: READS_REFUNDS,
    description:
      "What a refund may still return, exactly: a charge's amount less its refunds (pending ones included), an elopage payment's full amount; zero when REFUND is not available. Null only when it could not be determined (an error says why).",
    resolve: async (transaction, _args, ctx) => (await actionsOf(ctx, transaction)).refundable,
  }),
);
