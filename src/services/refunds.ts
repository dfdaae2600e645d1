/**
 * Refund workflows behind refundCharge, refundPayment and refundTransaction. Neither provider makes
 * a refund idempotent (providers/elepay.md §9), so every check that can be made before the write is
 * made before it: state, remaining amount, partial refunds at elopage. With an idempotency key,
 * runMutation makes repeats replay; an elepay refund also carries a tag derived from the key, so a
 * retry whose first answer was lost finds that refund instead of refunding twice.
 */
import type { Context } from '../context.js';
import { remainingRefundable } from '../domain/actions.js';
import { fail, isRefusal } from '../domain/errors.js';
import { encodeGlobalId } from '../domain/ids.js';
import type { Charge, ElepayRefund, ElopageRefund, Payment } from '../domain/model.js';
import { amountProblems, Dec, money } from '../domain/money.js';
import type { TransactionStatusEvent } from '../events/event.js';
import { failAll, requireCharge, requirePayment } from './lookups.js';

/** The elepay refund metadata key holding the tag (elepay reserves only "route…" and "__…" keys). */
const REFUND_TAG_KEY = 'paygraphIdempotency';

/** The input fields a refund's problems are reported on (refundCharge and refundTransaction differ). */
export interface RefundFields {
  id: string[];
  amount: string[];
}

/**
 * Refunds `amount` of a captured charge, or all that remains. `retryKey` (the idempotency key's
 * derived ID) tags the refund, so a retry finds the refund its first attempt made.
 */
export async function refundCharge(
  ctx: Context,
  chargeId: string | null,
  request: { amount?: string | null; reason?: string | null },
  fields: RefundFields,
  retryKey: string | null,
): Promise<{ refund: ElepayRefund; charge: Charge | null }> {
  const charge = await requireCharge(ctx, chargeId, fields.id);
  const refunds = () => ctx.loaders.chargeRefunds.load(charge.providerId).then((list) => list ?? []);
  if (retryKey) {
    // Before the state checks: after a lost full refund the charge reads REFUNDED, yet the answer
    // to the retry is that refund, not INVALID_STATE. The refund list is needed below anyway.
    const earlier = (await refunds()).find((refund) => refund.metadata?.[REFUND_TAG_KEY] === retryKey);
    if (earlier) {
      if (request.amount && !new Dec(request.amount).eq(earlier.amount.amount)) {
        fail(
          ['input', 'idempotencyKey'],
          'IDEMPOTENCY_KEY_REUSED',
          'this idempotency key already refunded a different amount of this charge',
        );
      }
      return { refund: earlier, charge };
    }
  }
  if (charge.status !== 'SUCCEEDED' && charge.status !== 'PARTIALLY_REFUNDED') {
    fail(
      fields.id,
      'INVALID_STATE',
      `only captured charges can be refunded; this one is ${charge.providerStatus}`,
    );
  }
  const currency = charge.amount.currency;
  if (request.amount) failAll(fields.amount, amountProblems(request.amount, currency));
  const remaining = remainingRefundable(charge, await refunds());
  if (remaining.lte(0)) {
    fail(
      fields.id,
      'INVALID_STATE',
      'the charge is already fully refunded (or refunds for all of it are pending)',
    );
  }
  const requested = request.amount ? new Dec(request.amount) : remaining;
  if (requested.gt(remaining)) {
    const left = money(remaining, currency);
    fail(
      fields.amount,
      'AMOUNT_EXCEEDS_REMAINING',
      `at most ${left.amount} ${left.currency} is left to refund`,
    );
  }
  const refund = await ctx.services.elepay.createRefund(charge.providerId, {
    amount: money(requested, currency),
    reason: request.reason || null,
    metadata: retryKey ? { [REFUND_TAG_KEY]: retryKey } : null,
  });
  ctx.loaders.charge.clear(charge.providerId);
  ctx.loaders.chargeRefunds.clear(charge.providerId);
  return { refund, charge: await ctx.loaders.charge.load(charge.providerId) };
}

/** elopage refunds are full only (quirk 8): an amount is refused before any call. */
export function refuseElopageAmount(amount: string | null | undefined, field: string[]): void {
  if (amount) {
    fail(field, 'PARTIAL_REFUND_UNSUPPORTED', 'elopage refunds payments in full only: leave the amount out');
  }
}

/** Refunds a successful elopage payment, in full. */
export async function refundPayment(
  ctx: Context,
  paymentId: string | null,
  field: string[],
  retryKey: string | null,
): Promise<{ refund: ElopageRefund | null; payment: Payment | null }> {
  const payment = await requirePayment(ctx, paymentId, field);
  if (payment.status !== 'SUCCEEDED') {
    fail(
      field,
      'INVALID_STATE',
      `only successful payments can be refunded; this one is ${payment.providerStatus}`,
    );
  }
  let refund: ElopageRefund;
  try {
    refund = await ctx.services.elopage.refundPayment(payment.providerId);
  } catch (error) {
    // The payment still reads successful after a refund (elopage has no refunded state), so a keyed
    // retry whose first attempt refunded and lost the answer reaches elopage, which refuses a second
    // refund. elopage refunds a payment once and in full: that refund is the answer to the key.
    if (!retryKey || !isRefusal(error, 'INVALID_STATE')) throw error;
    return { refund: await refundOfPayment(ctx, payment.providerId), payment };
  }
  ctx.loaders.elopageTransaction.clear(payment.providerId);
  const reloaded = await ctx.loaders.elopageTransaction.load(payment.providerId);
  return { refund, payment: reloaded?.kind === 'Payment' ? reloaded : null };
}

/** An event of the refund of `paymentId`: elopage's refund webhook names the payment it reverses. */
function isRefundOf(paymentId: string): (event: TransactionStatusEvent) => boolean {
  return ({ transaction }) =>
    transaction.kind === 'Refund' &&
    transaction.provider === 'ELOPAGE' &&
    transaction.refundedPaymentId === paymentId;
}

/**
 * The refund of an elopage payment. elopage's API names no refund of a payment, but its webhook
 * reported the refund transaction (refunded_transfer_id = the payment), which the event log kept for
 * its retention; the refund is read fresh from elopage. Null when the log has none (a sales page
 * without the gateway's webhook URL, or an event past retention): the payment is refunded all the same.
 */
async function refundOfPayment(ctx: Context, paymentId: string): Promise<ElopageRefund | null> {
  // Only within one idempotency TTL, the window a key's retries belong to: the log may hold far more.
  const { events } = await ctx.services.events.since(`${Date.now() - ctx.services.idempotency.ttlMs}-0`);
  const reported = events.findLast(isRefundOf(paymentId));
  if (!reported) return null;
  const refund = await ctx.loaders.elopageTransaction.load(reported.transaction.providerId);
  return refund?.kind === 'Refund' && refund.provider === 'ELOPAGE' ? refund : null;
}

/** One read of the event log's tail per request, however many payments ask. */
const unprojectedEvents = new WeakMap<Context, Promise<TransactionStatusEvent[]>>();

/**
 * Whether the gateway knows of a refund of this elopage payment. The payment itself reads successful
 * after its refund (elopage has no refunded state), so this is what the ledger recorded: a refund the
 * gateway made, read, or was told of by elopage's refund webhook, for as long as the ledger keeps it.
 * The ledger takes in the event log's changes a moment after they are recorded, so the log's changes
 * after the ledger's checkpoint are asked too (usually none). A refund made elsewhere that elopage
 * never reported to the gateway is unknown here (and elopage refuses a second refund).
 */
export async function isPaymentRefunded(ctx: Context, paymentId: string): Promise<boolean> {
  if (await ctx.loaders.refunded.load(encodeGlobalId({ kind: 'Payment', id: paymentId }))) return true;
  let events = unprojectedEvents.get(ctx);
  if (!events) {
    events = ctx.services.ledger
      .checkpoint()
      .then((cursor) => ctx.services.events.since(cursor))
      .then((replay) => replay.events);
    unprojectedEvents.set(ctx, events);
  }
  return (await events).some(isRefundOf(paymentId));
}
