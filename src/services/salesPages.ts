/**
 * elopage sales page and pricing plan workflows: the plan limit checked before any write, the
 * gateway's own webhook URL as the default, and a read-back after each write (elopage's write
 * answers carry only an ID, or a plan without all its fields: quirk 5).
 */
import type { Context } from '../context.js';
import { fail } from '../domain/errors.js';
import { encodeGlobalId } from '../domain/ids.js';
import type { PricingPlan, SalesPage } from '../domain/model.js';
import type { PricingPlanDraft, SalesPageDraft } from '../domain/requests.js';
import { requireSalesPage } from './lookups.js';
import { refuseTenantPlanDeletion, requireChangeableSalesPage } from './ownership.js';

/** elopage allows at most 5 pricing plans per sales page (document, Pricing plans). */
export const MAX_PRICING_PLANS = 5;

/** A page may not end up with more plans than elopage allows; the plan list is the field at fault. */
export function checkPlanCount(count: number): void {
  if (count > MAX_PRICING_PLANS) {
    fail(
      ['input', 'pricingPlans'],
      'TOO_MANY_PRICING_PLANS',
      `a sales page can have at most ${MAX_PRICING_PLANS} pricing plans (got ${count})`,
    );
  }
}

/** Creates a sales page; elopage posts its payment updates to the gateway unless told otherwise. */
export async function createSalesPage(ctx: Context, page: SalesPageDraft): Promise<SalesPage | null> {
  const id = await ctx.services.elopage.createSalesPage({
    ...page,
    webhookUrl: page.webhookUrl ?? ctx.services.elopageWebhookUrl,
  });
  return ctx.loaders.salesPage.load(id);
}

/** Changes a sales page; plans in `changes` are added to the ones it has. */
export async function updateSalesPage(
  ctx: Context,
  id: string | null,
  changes: SalesPageDraft,
): Promise<SalesPage | null> {
  const page = await requireSalesPage(ctx, id, ['input', 'id']);
  await requireChangeableSalesPage(ctx, page, ['input', 'id']);
  checkPlanCount(page.pricingPlans.length + (changes.pricingPlans?.length ?? 0));
  await ctx.services.elopage.updateSalesPage(page.providerId, changes);
  ctx.loaders.salesPage.clear(page.providerId);
  return ctx.loaders.salesPage.load(page.providerId);
}

/** Adds a plan to a sales page that has fewer than MAX_PRICING_PLANS. */
export async function createPricingPlan(
  ctx: Context,
  salesPageId: string | null,
  plan: PricingPlanDraft,
): Promise<PricingPlan | null> {
  const page = await requireSalesPage(ctx, salesPageId, ['input', 'salesPageId']);
  await requireChangeableSalesPage(ctx, page, ['input', 'salesPageId']);
  if (page.pricingPlans.length >= MAX_PRICING_PLANS) {
    fail(
      ['input', 'salesPageId'],
      'TOO_MANY_PRICING_PLANS',
      `the sales page already has ${MAX_PRICING_PLANS} pricing plans`,
    );
  }
  const created = await ctx.services.elopage.createPricingPlan(page.providerId, plan);
  ctx.loaders.salesPage.clear(page.providerId);
  // The create answer may lack fields (quirk 5 shows a split plan without intervals): read it back.
  return created ? ((await ctx.loaders.pricingPlan.load(created.providerId)) ?? created) : null;
}

/** Deletes a plan; returns its global ID. elopage keeps the last plan of a page. */
export async function deletePricingPlan(ctx: Context, planId: string | null): Promise<string> {
  refuseTenantPlanDeletion(ctx);
  if (!planId || !/^\d+$/.test(planId)) fail(['input', 'id'], 'NOT_FOUND', 'no pricing plan with this ID');
  if (!(await ctx.services.elopage.deletePricingPlan(planId))) {
    fail(
      ['input', 'id'],
      'PROVIDER_REJECTED',
      'elopage refused to delete this pricing plan (a sales page keeps at least one)',
    );
  }
  return encodeGlobalId({ kind: 'PricingPlan', id: planId });
}
