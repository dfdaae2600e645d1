/**
 * The sandbox helpers: a buyer completing an elopage checkout, a payer or payment network settling
 * a pending transaction. They exist only where a provider runs on its embedded simulator (its
 * sandbox client is there); anywhere else they answer SANDBOX_ONLY and call nothing.
 */
import type { Context } from '../context.js';
import { fail } from '../domain/errors.js';
import type { NodeRef } from '../domain/ids.js';
import type { Payment, Transaction } from '../domain/model.js';
import type { SandboxCheckout, SandboxOutcome } from '../domain/requests.js';
import { noteMutationAnswer, requireVisible } from './ownership.js';

const SANDBOX_ONLY_MESSAGE = 'only available when this provider runs on the embedded sandbox';

function sandboxOnly(helper: string, provider: 'elepay' | 'elopage'): never {
  return fail(null, 'SANDBOX_ONLY', `${helper} is ${SANDBOX_ONLY_MESSAGE} (${provider})`);
}

/** Whether a sandbox helper of elopage can run: callers check before validating the rest. */
export function requireElopageSandbox(ctx: Context, helper: string) {
  return ctx.services.sandbox.elopage ?? sandboxOnly(helper, 'elopage');
}

export async function completeCheckout(ctx: Context, checkout: SandboxCheckout): Promise<Payment> {
  const payment = await requireElopageSandbox(ctx, 'sandboxCompleteCheckout').checkout(checkout);
  // The buyer's payment is otherwise learned as from a real provider (not noted), but one a
  // tenant's client made is the tenant's from the start (docs/ledger.md, Tenants).
  if (ctx.viewer.tenant !== null) await noteMutationAnswer(ctx, { payment });
  return payment;
}

/** Settles a pending payment, charge or elepay refund (elopage refunds complete when created). */
export async function settleTransaction(
  ctx: Context,
  ref: NodeRef | null,
  outcome: SandboxOutcome,
): Promise<Transaction> {
  const helper = 'sandboxSettleTransaction';
  await requireVisible(ctx, ref, ['input', 'transactionId']);
  if (ref?.kind === 'Payment') return requireElopageSandbox(ctx, helper).settlePayment(ref.id, outcome);
  const elepay = ctx.services.sandbox.elepay;
  if (ref?.kind === 'Charge') return (elepay ?? sandboxOnly(helper, 'elepay')).settleCharge(ref.id, outcome);
  if (ref?.kind === 'Refund' && ref.provider === 'ELEPAY') {
    return (elepay ?? sandboxOnly(helper, 'elepay')).settleRefund(ref.chargeId, ref.id, outcome);
  }
  return fail(
    ['input', 'transactionId'],
    'INVALID',
    ref?.kind === 'Refund'
      ? 'elopage refunds complete when they are created'
      : 'must be the global ID of a Payment, Charge or elepay Refund',
  );
}
