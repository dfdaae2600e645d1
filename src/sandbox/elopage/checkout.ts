import type { SandboxReply, SandboxRequest, SandboxRoute } from '../server.js';
import { Issues, invalidState, notFound } from './errors.js';
import { type ElopageContext, notifyTransaction } from './notify.js';
import { createPayment, moveTo, OPEN_STATES } from './payments.js';
import { pathId } from './pricingPlans.js';
import { originOf, renderPayment } from './render.js';
import {
  PAYER_FIELDS,
  PAYMENT_METHODS,
  type PayerRow,
  type PaymentMethod,
  type PaymentState,
} from './types.js';
import { asRecord, idText, optionalString } from './validation.js';

/**
 * Sandbox helper routes standing in for the buyer on the hosted checkout page and for the bank
 * later settling a slow payment. Not part of elopage's API: unauthenticated and not counted.
 */
const OUTCOMES = ['succeed', 'fail', 'pending', 'cancel'] as const;
type Outcome = (typeof OUTCOMES)[number];
const SETTLE_OUTCOMES = ['succeed', 'fail', 'cancel'] as const;

/** The document's test data (Sandbox: Test payments credentials). */
const TEST_CARDS = new Set(['5017670000005900', '5017670000006700', '5017670000007500', '5017670000008300']);
const FAILING_IBAN = 'DE62370400440532013001';

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

const OUTCOME_STATES: Record<Outcome, PaymentState> = {
  succeed: 'successful',
  fail: 'error',
  cancel: 'canceled',
  pending: 'pending',
};

/**
 * The state a checkout ends in. An unknown card is declined; SEPA with the failing test IBAN fails
 * at once, any other IBAN stays `pending` (SEPA takes ~5 days) until settled; a bank wire that is
 * not yet paid is `waiting`.
 */
export function checkoutState(
  method: PaymentMethod,
  outcome: Outcome,
  cardNumber: string | undefined,
  iban: string | undefined,
): PaymentState {
  if (method === 'card' && cardNumber !== undefined && !TEST_CARDS.has(cardNumber)) return 'error';
  if (method === 'bank_account') return iban === FAILING_IBAN ? 'error' : 'pending';
  if (method === 'bank_wire' && outcome === 'pending') return 'waiting';
  return OUTCOME_STATES[outcome];
}

function pick<T extends string>(
  body: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  issues: Issues,
  fallback?: T,
): T | undefined {
  const value = body[key] ?? fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  issues.add(key, value === undefined ? 'is required' : `must be one of ${allowed.join(', ')}`);
  return undefined;
}

function parsePayer(value: unknown, issues: Issues): PayerRow {
  if (value === undefined || value === null) return { ...DEFAULT_PAYER };
  const source = asRecord(value);
  if (!source) {
    issues.add('payer', 'must be an object');
    return { ...DEFAULT_PAYER };
  }
  // A given payer is taken as is: fields it leaves out are null, not defaults.
  const entries = PAYER_FIELDS.map((field) => [
    field,
    optionalString(source, field, `payer.${field}`, issues) ?? null,
  ]);
  return Object.fromEntries(entries) as PayerRow;
}

/** Spaces are allowed in card numbers and IBANs as people type them. */
function compact(value: unknown, key: string, issues: Issues): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    issues.add(key, 'must be a string');
    return undefined;
  }
  return value.replace(/\s+/g, '').toUpperCase();
}

export function checkoutRoutes(context: ElopageContext): SandboxRoute[] {
  const { tables } = context;

  const checkout = (request: SandboxRequest): SandboxReply => {
    const body = asRecord(request.body) ?? {};
    const issues = new Issues();
    const pageId = idText(body.sales_page_id);
    if (!pageId) issues.add('sales_page_id', 'must be a sales page ID');
    const planId = body.pricing_plan_id === undefined ? undefined : idText(body.pricing_plan_id);
    if (planId === null) issues.add('pricing_plan_id', 'must be a pricing plan ID');
    const method = pick(body, 'payment_method', PAYMENT_METHODS, issues, 'card');
    const outcome = pick(body, 'outcome', OUTCOMES, issues);
    const payer = parsePayer(body.payer, issues);
    const cardNumber = compact(body.card_number, 'card_number', issues);
    const iban = compact(body.iban, 'iban', issues);
    if (!issues.ok || !pageId || !method || !outcome) return issues.reply();

    const page = tables.salesPages.get(pageId);
    if (!page) return notFound('sales page not found');
    const chosen = planId ?? page.planIds[0];
    const plan = chosen && page.planIds.includes(chosen) ? tables.pricingPlans.get(chosen) : undefined;
    if (!plan) {
      issues.add('pricing_plan_id', 'is not a pricing plan of this sales page');
      return issues.reply();
    }
    const state = checkoutState(method, outcome, cardNumber, iban);
    const payment = createPayment(tables, { page, plan, method, state, payer, at: new Date() });
    const origin = originOf(request);
    notifyTransaction(context, payment, origin);
    return { status: 200, body: renderPayment(payment, origin) };
  };

  const settle = (request: SandboxRequest): SandboxReply => {
    const id = pathId(request);
    const payment = id ? tables.transactions.get(id) : undefined;
    if (!payment) return notFound('payment not found');
    if (payment.kind === 'refund') return invalidState('a refund transaction cannot be settled');
    const issues = new Issues();
    const outcome = pick(asRecord(request.body) ?? {}, 'outcome', SETTLE_OUTCOMES, issues);
    if (!outcome) return issues.reply();
    if (!OPEN_STATES.includes(payment.state)) {
      return invalidState(
        `only pending or waiting payments can be settled; payment ${payment.id} is ${payment.state}`,
      );
    }
    moveTo(tables, payment, OUTCOME_STATES[outcome], new Date());
    const origin = originOf(request);
    notifyTransaction(context, payment, origin);
    return { status: 200, body: renderPayment(payment, origin) };
  };

  return [
    { method: 'POST', path: '/_sandbox/checkout', helper: true, handler: checkout },
    { method: 'POST', path: '/_sandbox/payments/:id/settle', helper: true, handler: settle },
  ];
}
