import { randomBytes } from 'node:crypto';
import { chargedAmount, commissionAmount, negated, paymentAmounts } from './fees.js';
import type { ElopageTables } from './tables.js';
import type {
  PayerRow,
  PaymentMethod,
  PaymentRow,
  PaymentState,
  PricingPlanRow,
  RefundRow,
  SalesPageRow,
} from './types.js';

/**
 * Payment lifecycle on the store: a checkout creates a payment, a settlement moves a pending one
 * on, a refund creates a separate refund transaction. Route handlers add HTTP and webhooks.
 */
export const SUCCEEDED_STATES: readonly PaymentState[] = ['successful', 'success_av'];
export const OPEN_STATES: readonly PaymentState[] = ['pending', 'waiting'];

export interface NewPayment {
  page: SalesPageRow;
  plan: PricingPlanRow;
  method: PaymentMethod;
  state: PaymentState;
  payer: PayerRow;
  at: Date;
}

export function createPayment(tables: ElopageTables, input: NewPayment): PaymentRow {
  const amounts = paymentAmounts(chargedAmount(input.plan));
  const id = tables.transactions.nextId();
  const payment: PaymentRow = {
    kind: 'payment',
    id,
    payer: { ...input.payer },
    revenue: amounts.revenue,
    amount: amounts.net,
    fee: amounts.fee,
    recurringForm: input.plan.form,
    paymentMethod: input.method,
    paymentSessionId: tables.sessionIds.take(),
    salesPageId: input.page.id,
    pageSlug: input.page.slug,
    pricingPlanId: input.plan.id,
    state: 'pending',
    createdAt: input.at,
    successAt: null,
    token: randomBytes(15).toString('base64url'),
    invoiceNumber: null,
    commissions: [],
    refundId: null,
  };
  tables.transactions.insert(id, payment);
  moveTo(tables, payment, input.state, input.at);
  return payment;
}

/**
 * Sets a payment's state. On success it gets its success date, an invoice and the authors' commissions
 * (only authors with a custom commission: the seller's general rate is unknown to the simulator).
 */
export function moveTo(tables: ElopageTables, payment: PaymentRow, state: PaymentState, at: Date): void {
  payment.state = state;
  if (!SUCCEEDED_STATES.includes(state) || payment.successAt) return;
  payment.successAt = at;
  payment.invoiceNumber = tables.invoiceNumbers.take();
  const page = tables.salesPages.get(payment.salesPageId);
  payment.commissions = (page?.authors ?? [])
    .filter((author) => author.customCommissionEnabled && author.commission !== null)
    .map((author) => ({
      id: tables.commissionIds.take(),
      rate: author.commission ?? '0',
      amount: commissionAmount(payment.amount, author.commission ?? '0'),
      paymentId: payment.id,
    }));
}

/** A full refund (elopage has no partial ones): negative gross, net and commissions, no fee. */
export function refundPayment(tables: ElopageTables, payment: PaymentRow, at: Date): RefundRow {
  const id = tables.transactions.nextId();
  const refund: RefundRow = {
    kind: 'refund',
    id,
    payer: { ...payment.payer },
    total: negated(payment.revenue),
    amount: negated(payment.amount),
    fee: '0',
    paymentMethod: payment.paymentMethod,
    paymentSessionId: payment.paymentSessionId,
    salesPageId: payment.salesPageId,
    refundedTransferId: payment.id,
    state: 'successful',
    createdAt: at,
    commissions: payment.commissions.map((commission) => ({
      id: tables.commissionIds.take(),
      rate: commission.rate,
      amount: negated(commission.amount),
      paymentId: id,
    })),
  };
  tables.transactions.insert(id, refund);
  // The payment keeps its state: the document defines no refunded state.
  payment.refundId = id;
  return refund;
}

/** Why a payment cannot be refunded, or null when it can. */
export function refundBlocker(payment: PaymentRow): string | null {
  if (payment.refundId !== null) return `payment ${payment.id} is already refunded`;
  if (!SUCCEEDED_STATES.includes(payment.state)) {
    return `only successful payments can be refunded; payment ${payment.id} is ${payment.state}`;
  }
  return null;
}
