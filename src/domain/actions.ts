/**
 * What can still be done to a transaction, from the transaction its provider returned, so a UI
 * enables its buttons without provider knowledge (API.md, Transaction.availableActions). The same
 * rules the mutations check before any provider call (services/charges.ts, services/refunds.ts):
 * - an elepay charge: `pending`/`uncaptured` can be canceled (revoke), `uncaptured` captured;
 *   `captured`/`partially_refunded` refunded, in part or in full, while an amount is left
 *   (providers/elepay.md §4, transitions);
 * - an elopage payment: a successful one refunded once, in full (providers/elopage.md quirk 8);
 * - a refund: nothing.
 */
import type { Charge, ElepayRefund, Payment, Transaction } from './model.js';
import { Dec, type Money, money } from './money.js';

export const TRANSACTION_ACTIONS = ['CAPTURE', 'CANCEL', 'REFUND'] as const;
export type TransactionAction = (typeof TRANSACTION_ACTIONS)[number];

export interface AvailableActions {
  actions: TransactionAction[];
  /** What a refund may still return, in the transaction's currency; zero when none is possible. */
  refundable: Money;
}

/**
 * What is left to refund of a charge: its amount less every refund that is not failed. Pending
 * refunds count, since elepay refunds asynchronously and would refuse more than what remains.
 */
export function remainingRefundable(charge: Charge, refunds: readonly ElepayRefund[]): Dec {
  const refunded = refunds
    .filter((refund) => refund.status !== 'FAILED')
    .reduce((sum, refund) => sum.add(new Dec(refund.amount.amount)), new Dec(0));
  return new Dec(charge.amount.amount).sub(refunded);
}

function nothing(transaction: Transaction): AvailableActions {
  return { actions: [], refundable: money(new Dec(0), transaction.amount.currency) };
}

/** A charge's actions; `refunds` are its refunds (GET /charges/{id}/refunds), pending ones included. */
export function chargeActions(charge: Charge, refunds: readonly ElepayRefund[]): AvailableActions {
  switch (charge.status) {
    case 'PENDING':
      return { ...nothing(charge), actions: ['CANCEL'] };
    case 'AUTHORIZED':
      return { ...nothing(charge), actions: ['CAPTURE', 'CANCEL'] };
    case 'SUCCEEDED':
    case 'PARTIALLY_REFUNDED': {
      const remaining = remainingRefundable(charge, refunds);
      if (remaining.lte(0)) return nothing(charge);
      return { actions: ['REFUND'], refundable: money(remaining, charge.amount.currency) };
    }
    default:
      return nothing(charge);
  }
}

/**
 * A payment's actions. elopage's payment reads successful after its refund too (it has no refunded
 * state), so whether it was refunded is the caller's knowledge: `refunded`.
 */
export function paymentActions(payment: Payment, refunded: boolean): AvailableActions {
  if (payment.status !== 'SUCCEEDED' || refunded) return nothing(payment);
  return { actions: ['REFUND'], refundable: payment.amount };
}

/** A refund reverses a transaction; nothing can be done to the refund itself. */
export function refundActions(refund: Transaction): AvailableActions {
  return nothing(refund);
}
