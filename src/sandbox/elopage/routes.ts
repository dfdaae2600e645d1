import type { SandboxRoute } from '../server.js';
import {
  originOf,
  renderDeletion,
  renderPlan,
  renderRefund,
  renderSalesPage,
  renderSavedSalesPage,
  renderTransaction,
} from './render.js';
import type { ElopageState } from './state.js';
import { newPricingPlan, newSalesPage, parse, refundRequest, salesPageChanges } from './validation.js';

/** The eight endpoints of providers/elopage.md (Endpoints), under `/api`. */
export function providerRoutes(state: ElopageState): SandboxRoute[] {
  return [
    {
      method: 'POST',
      path: '/api/sales_pages',
      handler: (request) => {
        const page = state.createSalesPage(parse(newSalesPage, request.body));
        return { status: 200, body: renderSavedSalesPage(page, originOf(request)) };
      },
    },
    {
      method: 'GET',
      path: '/api/sales_pages/:id',
      handler: (request) => {
        const page = state.salesPage(request.params.id ?? '');
        return { status: 200, body: renderSalesPage(state, page, originOf(request)) };
      },
    },
    {
      method: 'PUT',
      path: '/api/sales_pages/:id',
      handler: (request) => {
        const page = state.salesPage(request.params.id ?? '');
        state.updateSalesPage(page, parse(salesPageChanges, request.body));
        return { status: 200, body: renderSavedSalesPage(page, originOf(request)) };
      },
    },
    {
      method: 'GET',
      path: '/api/pricing_plans/:id',
      handler: (request) => ({ status: 200, body: renderPlan(state.pricingPlan(request.params.id ?? '')) }),
    },
    {
      method: 'POST',
      path: '/api/pricing_plans',
      handler: (request) => {
        const { sales_page_id, pricing_plan } = parse(newPricingPlan, request.body);
        const plan = state.addPlan(state.salesPage(sales_page_id), pricing_plan);
        // The document's example answers a split plan with "splited" (providers/elopage.md quirk 5),
        // in this response only.
        return { status: 200, body: renderPlan(plan, plan.form === 'split' ? 'splited' : plan.form) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/pricing_plans/:id',
      handler: (request) => {
        const plan = state.pricingPlan(request.params.id ?? '');
        return { status: 200, body: renderDeletion(state.deletePlan(plan), plan) };
      },
    },
    {
      method: 'GET',
      path: '/api/payments/:id',
      handler: (request) => {
        const row = state.transaction(request.params.id ?? '');
        return { status: 200, body: renderTransaction(row, originOf(request)) };
      },
    },
    {
      method: 'POST',
      path: '/api/payments/:id/refund',
      handler: (request) => {
        const id = request.params.id ?? '';
        state.transaction(id); // not found wins over a bad body
        parse(refundRequest, request.body);
        return { status: 200, body: renderRefund(state.refund(state.payment(id), new Date())) };
      },
    },
  ];
}
