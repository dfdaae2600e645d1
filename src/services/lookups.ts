/**
 * What the workflows load before they act, through the request's loaders (so a later field reads
 * the same object without a second call). A workflow that cannot find its object stops with
 * NOT_FOUND on the input field that named it; a null ID is one that names nothing of the kind.
 */
import type { Context } from '../context.js';
import { fail, UserErrors } from '../domain/errors.js';
import type { Charge, Payment, SalesPage } from '../domain/model.js';

export async function requireCharge(ctx: Context, id: string | null, field: string[]): Promise<Charge> {
  const charge = id ? await ctx.loaders.charge.load(id) : null;
  if (!charge) fail(field, 'NOT_FOUND', 'no charge with this ID');
  return charge;
}

export async function requirePayment(ctx: Context, id: string | null, field: string[]): Promise<Payment> {
  const transaction = id ? await ctx.loaders.elopageTransaction.load(id) : null;
  if (transaction?.kind !== 'Payment') fail(field, 'NOT_FOUND', 'no payment with this ID');
  return transaction;
}

export async function requireSalesPage(ctx: Context, id: string | null, field: string[]): Promise<SalesPage> {
  const page = id ? await ctx.loaders.salesPage.load(id) : null;
  if (!page) fail(field, 'NOT_FOUND', 'no sales page with this ID');
  return page;
}

/** Stops with every problem found in one input field, if there is any. */
export function failAll(field: string[], problems: string[]): void {
  if (problems.length > 0)
    throw new UserErrors(problems.map((message) => ({ field, code: 'INVALID', message })));
}
