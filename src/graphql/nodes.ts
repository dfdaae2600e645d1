/**
 * Lookups by ID for resolvers: root fields and mutation inputs take a global ID or the provider's
 * raw ID (API.md, IDs), read through the request's loaders; `Node` resolution by global ID.
 */
import type { Context } from '../context.js';
import { decodeGlobalId, type NodeKind, type NodeRef } from '../domain/ids.js';
import type {
  Charge,
  ElopageTransaction,
  NodeObject,
  Payment,
  PricingPlan,
  Refund,
  SalesPage,
} from '../domain/model.js';

/** The GraphQL object type of a domain object (pricing plans are typed by their form). */
export function typenameOf(node: NodeObject): string {
  if (node.kind !== 'PricingPlan') return node.kind;
  return {
    ONE_TIME: 'OneTimePricingPlan',
    SUBSCRIPTION: 'SubscriptionPricingPlan',
    SPLIT: 'SplitPricingPlan',
  }[node.form];
}

function paymentOnly(transaction: ElopageTransaction | null): Payment | null {
  return transaction?.kind === 'Payment' ? transaction : null;
}

function refundOnly(transaction: ElopageTransaction | null): Refund | null {
  return transaction?.kind === 'Refund' ? transaction : null;
}

/** Loads what a global ID points at through the request's loaders; null when it does not exist. */
export async function loadNode(ctx: Context, ref: NodeRef): Promise<NodeObject | null> {
  const { loaders } = ctx;
  switch (ref.kind) {
    case 'SalesPage':
      return loaders.salesPage.load(ref.id);
    case 'PricingPlan':
      return loaders.pricingPlan.load(ref.id);
    case 'Payment':
      return paymentOnly(await loaders.elopageTransaction.load(ref.id));
    case 'Charge':
      return loaders.charge.load(ref.id);
    case 'Refund':
      return ref.provider === 'ELOPAGE'
        ? refundOnly(await loaders.elopageTransaction.load(ref.id))
        : loaders.elepayRefund.load({ chargeId: ref.chargeId, refundId: ref.id });
  }
}

/**
 * Root lookups and mutation inputs take a global ID or the provider's raw ID (API.md, IDs). A
 * string that decodes to one of our global IDs is one; anything else is taken as a raw ID. A global
 * ID of another kind (a charge ID given as a payment ID) matches nothing.
 */
export type IdReference = { ref: NodeRef } | { raw: string } | { wrongKind: NodeKind };

export function readId(id: string, kind: NodeKind): IdReference {
  const ref = decodeGlobalId(id);
  if (!ref) return { raw: id.trim() };
  return ref.kind === kind ? { ref } : { wrongKind: ref.kind };
}

/** The provider ID behind a global or raw ID of a kind with a single-part ID, or null. */
export function providerIdOf(
  id: string,
  kind: 'SalesPage' | 'PricingPlan' | 'Payment' | 'Charge',
): string | null {
  const read = readId(id, kind);
  if ('raw' in read) return read.raw || null;
  if ('ref' in read && read.ref.kind === kind) return read.ref.id;
  return null;
}

export async function loadSalesPage(ctx: Context, id: string): Promise<SalesPage | null> {
  const providerId = providerIdOf(id, 'SalesPage');
  return providerId ? ctx.loaders.salesPage.load(providerId) : null;
}

export async function loadPricingPlan(ctx: Context, id: string): Promise<PricingPlan | null> {
  const providerId = providerIdOf(id, 'PricingPlan');
  return providerId ? ctx.loaders.pricingPlan.load(providerId) : null;
}

export async function loadPayment(ctx: Context, id: string): Promise<Payment | null> {
  const providerId = providerIdOf(id, 'Payment');
  return providerId ? paymentOnly(await ctx.loaders.elopageTransaction.load(providerId)) : null;
}

export async function loadCharge(ctx: Context, id: string): Promise<Charge | null> {
  const providerId = providerIdOf(id, 'Charge');
  return providerId ? ctx.loaders.charge.load(providerId) : null;
}

/**
 * A refund by global ID, or by raw elopage refund ID (elopage IDs are integers). An elepay refund
 * cannot be fetched without its charge (providers/elepay.md §3), so its raw ID alone finds nothing.
 */
export async function loadRefund(ctx: Context, id: string): Promise<Refund | null> {
  const read = readId(id, 'Refund');
  if ('ref' in read) return (await loadNode(ctx, read.ref)) as Refund | null;
  if ('raw' in read && /^\d+$/.test(read.raw)) {
    return refundOnly(await ctx.loaders.elopageTransaction.load(read.raw));
  }
  return null;
}
