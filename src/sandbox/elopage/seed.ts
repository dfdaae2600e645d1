/**
 * Demo data: the document's own example (sales page 1087, plan 1306 at 199.9 with a 10 % author,
 * payment 540391 successful with commission 19.385) plus a subscription page and payments in every
 * state. webhook_url is null so seeding and playing with seeded data send no webhooks.
 */

import type { PayerRow, PaymentMethod, PaymentState, PricingPlanRow, SalesPageRow } from './model.js';
import type { ElopageState } from './state.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function payer(
  first: string,
  last: string,
  email: string,
  city: string,
  street: string,
  zip: string,
): PayerRow {
  return {
    email,
    first_name: first,
    last_name: last,
    country: 'Germany',
    city,
    street,
    zip,
    company: null,
    vat_id: null,
    phone: '+49301234567',
  };
}

const PAYERS = {
  jonas: payer('Jonas', 'Becker', 'jonas.becker@example.de', 'Berlin', 'Joachimsthaler Straße 21', '10719'),
  anna: payer('Anna', 'Schneider', 'anna.schneider@example.de', 'München', 'Leopoldstraße 54', '80802'),
  felix: payer('Felix', 'Wagner', 'felix.wagner@example.de', 'Hamburg', 'Mönckebergstraße 7', '20095'),
  marie: {
    ...payer('Marie', 'Klein', 'buchhaltung@kleinconsulting.example', 'Köln', 'Hohe Straße 112', '50667'),
    company: 'Klein Consulting GmbH',
    vat_id: 'DE811907980',
  },
  paul: payer('Paul', 'Fischer', 'paul.fischer@example.de', 'Leipzig', 'Petersstraße 36', '04109'),
  sophie: payer('Sophie', 'Weber', 'sophie.weber@example.de', 'Frankfurt am Main', 'Zeil 90', '60313'),
};

export function seed(state: ElopageState, now = new Date()): void {
  const course = state.createSalesPage({
    name: 'Online-Marketing Masterclass',
    successUrl: 'https://shop.example.de/danke',
    cancelUrl: 'https://shop.example.de/abgebrochen',
    errorUrl: 'https://shop.example.de/fehler',
    webhookUrl: null,
    authors: [{ authorId: '4', customCommissionEnabled: true, commission: '10' }],
    plans: [{ form: 'one_time', preferences: { price: '199.9', old_price: '200' } }],
  });
  const membership = state.createSalesPage({
    name: 'Yoga Jahresmitgliedschaft',
    successUrl: 'https://yoga.example.de/willkommen',
    cancelUrl: 'https://yoga.example.de/abgebrochen',
    errorUrl: 'https://yoga.example.de/fehler',
    webhookUrl: null,
    plans: [
      {
        form: 'subscription',
        preferences: { first_interval: '1m', first_amount: '29.0', next_interval: '1m', next_amount: '29.0' },
      },
      {
        form: 'split',
        preferences: {
          p_count: '5',
          first_interval: '1m',
          first_amount: '99.0',
          next_interval: '1m',
          next_amount: '99.0',
          splitting_type: 'installment',
        },
      },
    ],
  });
  const [oneTime] = state.plansOf(course);
  const [subscription, split] = state.plansOf(membership);
  if (!oneTime || !subscription || !split) return;

  const pay = (
    page: SalesPageRow,
    plan: PricingPlanRow,
    method: PaymentMethod,
    paymentState: PaymentState,
    who: PayerRow,
    daysAgo: number,
  ) =>
    state.createPayment({
      page,
      plan,
      method,
      state: paymentState,
      payer: who,
      at: new Date(now.getTime() - daysAgo * DAY_MS),
    });

  pay(course, oneTime, 'card', 'successful', PAYERS.jonas, 9); // 540391: the document's example payment
  const paypal = pay(membership, subscription, 'paypal', 'successful', PAYERS.anna, 8);
  pay(membership, split, 'bank_account', 'pending', PAYERS.felix, 2);
  pay(course, oneTime, 'bank_wire', 'waiting', PAYERS.marie, 1);
  pay(course, oneTime, 'card', 'error', PAYERS.paul, 1);
  pay(membership, subscription, 'sofort', 'canceled', PAYERS.sophie, 0);
  state.refund(paypal, new Date(now.getTime() - 3 * DAY_MS));
}
