/**
 * Tenants (docs/ledger.md, Tenants): what a tenant's client creates becomes the tenant's in the
 * ledger before the mutation answers, and a transaction of another owner (or of none) is, for it,
 * simply not found. The per-request check itself is in the loaders (Loaders.visible), so every
 * field that loads a transaction by ID applies it. Sales pages are one catalog every client reads;
 * a tenant's client changes only its tenant's, whose payments are the tenant's.
 */
import type { Context } from '../context.js';
import { CodedError, fail } from '../domain/errors.js';
import { encodeGlobalId, globalIdOf, type NodeRef } from '../domain/ids.js';
import type { SalesPage } from '../domain/model.js';
import { transactionsIn } from '../events/log.js';

/** The sales pages a mutation's payload carries (`salesPage`). */
function salesPagesIn(payload: object): SalesPage[] {
  return Object.values(payload).filter(
    (value): value is SalesPage =>
      value !== null && typeof value === 'object' && (value as { kind?: unknown }).kind === 'SalesPage',
  );
}

/**
 * Notes what a mutation answered with in the ledger, before the answer. For a tenant's client, the
 * transactions and sales pages without an owner become the tenant's: the mutation created them,
 * since every one it could name was first checked to be the tenant's. (What any client makes of a
 * tenant's sales page or transaction, a payment or a refund, is that tenant's: the ledger's rule.)
 */
export async function noteMutationAnswer(ctx: Context, payload: object): Promise<void> {
  const { ledger } = ctx.services;
  const tenant = ctx.viewer.tenant;
  const transactions = transactionsIn(payload);
  if (tenant === null) {
    await ledger.observe(transactions, 'MUTATION');
    return;
  }
  try {
    await Promise.all([
      ledger.own(transactions, tenant),
      ...salesPagesIn(payload).map((page) => ledger.ownSalesPage(page.providerId, tenant)),
    ]);
  } catch (error) {
    ctx.logger.warn(
      { err: { message: (error as Error).message } },
      "ledger: cannot record a tenant's transactions",
    );
    throw new CodedError(
      'LEDGER_UNAVAILABLE',
      "the provider did this, but the ledger could not record it as this tenant's, so reads do not find it yet: retry with the same idempotency key (without one, a retry would do it again)",
    );
  }
  // Read again when next asked: the owner may be the sales page's tenant rather than this one.
  for (const transaction of transactions) ctx.loaders.owner.clear(globalIdOf(transaction));
}

/** Stops with NOT_FOUND on `field`, as for an unknown ID, unless the viewer may see the transaction. */
export async function requireVisible(ctx: Context, ref: NodeRef | null, field: string[]): Promise<void> {
  const tenant = ctx.viewer.tenant;
  if (tenant === null || ref === null) return;
  if ((await ctx.loaders.owner.load(encodeGlobalId(ref))) !== tenant) {
    fail(field, 'NOT_FOUND', 'no transaction with this ID');
  }
}

/**
 * Stops with NOT_FOUND, as for an unknown ID, unless a tenant's client changes one of its tenant's
 * sales pages (clients without a tenant change any).
 */
export async function requireChangeableSalesPage(
  ctx: Context,
  page: SalesPage,
  field: string[],
): Promise<void> {
  const tenant = ctx.viewer.tenant;
  if (tenant === null) return;
  const [owner] = await ctx.services.ledger.salesPageOwners([page.providerId]).catch(() => {
    throw new CodedError(
      'LEDGER_UNAVAILABLE',
      "the ledger does not answer, so this tenant's sales pages are unknown",
    );
  });
  if (owner !== tenant) fail(field, 'NOT_FOUND', 'no sales page with this ID');
}

/** elopage does not say which sales page a pricing plan is on, so a tenant's client cannot be checked. */
export function refuseTenantPlanDeletion(ctx: Context): void {
  if (ctx.viewer.tenant !== null) {
    throw new CodedError(
      'FORBIDDEN',
      "Mutation.deletePricingPlan is not allowed for a tenant's API client (elopage does not say which sales page a plan is on)",
    );
  }
}
