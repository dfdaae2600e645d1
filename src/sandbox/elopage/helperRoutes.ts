/**
 * Sandbox helper routes standing in for the buyer on the hosted checkout page and for the bank
 * later settling a slow payment. Not part of elopage's API: unauthenticated and not counted.
 */

import type { SandboxRoute } from '../server.js';
import { fieldInvalid } from './errors.js';
import type { PayerRow, PaymentState, SettleOutcome } from './model.js';
import { originOf, renderPayment } from './render.js';
import { checkoutState, type ElopageState } from './state.js';
import { checkoutRequest, parse, settleRequest } from './validation.js';

export const DEFAULT_PAYER: PayerRow = {
  email: 'lena.hoffmann@example.de',
  first_name: 'Lena',
  last_name: 'Hoffmann',
  country: 'Germany',
  city: 'Berlin',
  street: 'Joachimsthaler Straße 21',
  zip: '10719',
  company: null,
  vat_id: null,
  phone: '+4930398204650',
};

const SETTLED_STATES: Record<SettleOutcome, PaymentState> = {
  succeed: 'successful',
  fail: 'error',
  cancel: 'canceled',
};

export function helperRoutes(state: ElopageState): SandboxRoute[] {
  return [
    {
      method: 'POST',
      path: '/_sandbox/checkout',
      helper: true,
      handler: (request) => {
        const checkout = parse(checkoutRequest, request.body);
        const page = state.salesPage(checkout.sales_page_id);
        const chosen = checkout.pricing_plan_id ?? page.planIds[0];
        if (chosen === undefined || !page.planIds.includes(chosen)) {
          throw fieldInvalid('pricing_plan_id', 'is not a pricing plan of this sales page');
        }
        const method = checkout.payment_method;
        const payment = state.createPayment({
          page,
          plan: state.pricingPlan(chosen),
          method,
          state: checkoutState(method, checkout.outcome, checkout.card_number ?? null, checkout.iban ?? null),
          payer: checkout.payer ?? { ...DEFAULT_PAYER },
          at: new Date(),
        });
        return { status: 200, body: renderPayment(payment, originOf(request)) };
      },
    },
    {
      method: 'POST',
      path: '/_sandbox/payments/:id/settle',
      helper: true,
      handler: (request) => {
        const payment = state.payment(request.params.id ?? '');
        const { outcome } = parse(settleRequest, request.body);
        const settled = state.settle(payment, SETTLED_STATES[outcome], new Date());
        return { status: 200, body: renderPayment(settled, originOf(request)) };
      },
    },
  ];
}
