import type { SandboxReply, SandboxRequest, SandboxRoute } from '../server.js';
import { Issues, notFound } from './errors.js';
import type { ElopageContext } from './notify.js';
import { renderPlan } from './render.js';
import type { ElopageTables } from './tables.js';
import type { PricingPlanRow, SalesPageRow } from './types.js';
import { asRecord, idText, MAX_PLANS_PER_PAGE, type PlanInput, parsePlan } from './validation.js';

/** Pricing plan routes (document, Pricing plans): GET, POST (attached to a page), DELETE. */
export function addPlan(tables: ElopageTables, page: SalesPageRow, input: PlanInput): PricingPlanRow {
  const id = tables.pricingPlans.nextId();
  const plan: PricingPlanRow = {
    id,
    salesPageId: page.id,
    form: input.form,
    preferences: { ...input.preferences },
  };
  tables.pricingPlans.insert(id, plan);
  page.planIds.push(id);
  return plan;
}

/** The `:id` path parameter, or null when it cannot be an elopage ID (→ 404). */
export function pathId(request: SandboxRequest): string | null {
  return idText(request.params.id);
}

export function pricingPlanRoutes(context: ElopageContext): SandboxRoute[] {
  const { tables } = context;

  const getPlan = (request: SandboxRequest): SandboxReply => {
    const id = pathId(request);
    const plan = id ? tables.pricingPlans.get(id) : undefined;
    if (!plan) return notFound('pricing plan not found');
    return { status: 200, body: renderPlan(plan) };
  };

  const createPlan = (request: SandboxRequest): SandboxReply => {
    const body = asRecord(request.body) ?? {};
    const issues = new Issues();
    const pageId = idText(body.sales_page_id);
    if (!pageId) issues.add('sales_page_id', 'must be a sales page ID');
    if (body.pricing_plan === undefined) issues.add('pricing_plan', 'is required');
    const input =
      body.pricing_plan === undefined ? null : parsePlan(body.pricing_plan, 'pricing_plan', issues, false);
    if (!issues.ok || !pageId || !input) return issues.reply();
    const page = tables.salesPages.get(pageId);
    if (!page) return notFound('sales page not found');
    if (page.planIds.length >= MAX_PLANS_PER_PAGE) {
      issues.add('sales_page_id', `a sales page has at most ${MAX_PLANS_PER_PAGE} pricing plans`);
      return issues.reply();
    }
    const plan = addPlan(tables, page, input);
    // The document's example answers a split plan with "splited" (providers/elopage.md quirk 5),
    // in this response only.
    return { status: 200, body: renderPlan(plan, plan.form === 'split' ? 'splited' : plan.form) };
  };

  const deletePlan = (request: SandboxRequest): SandboxReply => {
    const id = pathId(request);
    const plan = id ? tables.pricingPlans.get(id) : undefined;
    if (!id || !plan) return notFound('pricing plan not found');
    const page = tables.salesPages.get(plan.salesPageId);
    if (page && page.planIds.length <= 1) {
      // The document reports refusals in the body with `status: "error"` and HTTP 200.
      return {
        status: 200,
        body: { status: 'error', response: 'A sales page needs at least one pricing plan' },
      };
    }
    if (page) page.planIds = page.planIds.filter((planId) => planId !== id);
    tables.pricingPlans.delete(id);
    return {
      status: 200,
      body: { status: 'success', response: `Pricing plan ${id} was successfully destroyed` },
    };
  };

  return [
    { method: 'GET', path: '/api/pricing_plans/:id', handler: getPlan },
    { method: 'POST', path: '/api/pricing_plans', handler: createPlan },
    { method: 'DELETE', path: '/api/pricing_plans/:id', handler: deletePlan },
  ];
}
