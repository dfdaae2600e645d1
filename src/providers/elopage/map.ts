/**
 * elopage answers → the domain model (providers/elopage.md). Each exported reader checks the body
 * with its schema (schemas.ts) and maps it; a body of an unexpected shape is elopage's failure
 * (../shape.ts). elopage states no currency: the mapping context brings the configured one.
 */
import type {
  AuthorCommission,
  BillingInterval,
  ElopageRefund,
  ElopageTransaction,
  Payer,
  Payment,
  PricingPlan,
  PricingPlanForm,
  SalesPage,
  SalesPageAuthor,
  SplittingType,
} from '../../domain/model.js';
import { absMoney, type Money, money } from '../../domain/money.js';
import type { StatusNormalizer, StatusTable } from '../../domain/status.js';
import { checkedAnswer } from '../shape.js';
import {
  elopagePaymentSchema,
  elopagePricingPlanSchema,
  elopageRefundSchema,
  elopageSalesPageSchema,
} from './schemas.js';
import type {
  ElopageAuthorCommissionWire,
  ElopagePayerWire,
  ElopagePaymentWire,
  ElopagePricingPlanWire,
  ElopageRefundWire,
  ElopageSalesPageWire,
  NumberText,
} from './wire.js';

/** What mapping needs besides the wire object: elopage states no currency (Conventions). */
export interface ElopageMapping {
  currency: string;
  statuses: StatusNormalizer;
}

/** elopage payment and refund states (providers/elopage.md, Payment object). */
const TRANSACTION_STATUSES: StatusTable = {
  name: 'elopageTransaction',
  statuses: {
    waiting: 'PENDING',
    pending: 'PENDING',
    successful: 'SUCCEEDED',
    success_av: 'SUCCEEDED',
    canceled: 'CANCELED',
    error: 'FAILED',
  },
};

/** elopage's billing intervals (Pricing plans: `1w` … `2y`). */
export const INTERVALS: Record<BillingInterval, string> = {
  ONE_WEEK: '1w',
  TWO_WEEKS: '2w',
  THREE_WEEKS: '3w',
  ONE_MONTH: '1m',
  TWO_MONTHS: '2m',
  THREE_MONTHS: '3m',
  SIX_MONTHS: '6m',
  ONE_YEAR: '1y',
  TWO_YEARS: '2y',
};

/**
 * `2017-12-11T15:47Z` (no seconds) and full ISO strings both parse; absent or empty is null; any
 * other text is an answer of an unexpected shape, as in elepay's map.
 */
function toDate(value: string | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw new Error('a date is not ISO-8601');
  return date;
}

function toDateOnly(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new Error('a date is not YYYY-MM-DD');
  }
  return value;
}

function optionalMoney(value: NumberText | null | undefined, currency: string): Money | null {
  return value === null || value === undefined || value === '' ? null : money(value, currency);
}

const FORMS: Record<string, PricingPlanForm> = {
  one_time: 'ONE_TIME',
  subscription: 'SUBSCRIPTION',
  split: 'SPLIT',
  // The create-pricing-plan response spells it this way (quirk 5).
  splited: 'SPLIT',
};

function toPricingPlanForm(form: string | null | undefined): PricingPlanForm | null {
  return form && Object.hasOwn(FORMS, form) ? (FORMS[form] ?? null) : null;
}

const INTERVAL_NAMES = new Map(
  Object.entries(INTERVALS).map(([name, wire]) => [wire, name as BillingInterval]),
);

function toInterval(value: string | null | undefined): BillingInterval | null {
  return (value && INTERVAL_NAMES.get(value)) || null;
}

function toSplittingType(value: string | null | undefined): SplittingType | null {
  if (value === 'installment') return 'INSTALLMENT';
  if (value === 'limited_subscription') return 'LIMITED_SUBSCRIPTION';
  return null;
}

function toPayer(wire: ElopagePayerWire | null | undefined): Payer | null {
  if (!wire) return null;
  // Passed through untouched: the document's example swaps country and city (quirk 6).
  return {
    email: wire.email ?? null,
    firstName: wire.first_name ?? null,
    lastName: wire.last_name ?? null,
    country: wire.country ?? null,
    city: wire.city ?? null,
    street: wire.street ?? null,
    zip: wire.zip ?? null,
    company: wire.company ?? null,
    vatId: wire.vat_id ?? null,
    phone: wire.phone ?? null,
  };
}

function toCommissions(
  wire: ElopageAuthorCommissionWire[] | null | undefined,
  currency: string,
): AuthorCommission[] {
  return (wire ?? []).map((commission) => ({
    providerId: commission.id,
    rate: commission.rate ?? null,
    // Refund commissions arrive negative; a commission reads as a positive amount in our API.
    amount: absMoney(commission.amount, currency),
    paymentId: commission.payment_id ?? null,
  }));
}

/** GET /payments/:id serves payments and refunds alike; only a refund has these fields. */
function looksLikeRefund(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    ('total' in body || 'refunded_transfer_id' in body || 'refunded_tansfer_id' in body)
  );
}

function paymentOf(wire: ElopagePaymentWire, { currency, statuses }: ElopageMapping): Payment {
  const revenue = money(wire.revenue, currency);
  return {
    kind: 'Payment',
    provider: 'ELOPAGE',
    providerId: wire.id,
    status: statuses.normalize(TRANSACTION_STATUSES, wire.state),
    providerStatus: wire.state,
    // What the payer paid: the gross revenue. Net and fee are on their own fields.
    amount: revenue,
    createdAt: toDate(wire.created_date),
    payer: toPayer(wire.payer),
    revenue,
    netAmount: money(wire.amount, currency),
    fee: money(wire.fee, currency),
    recurring: wire.recurring ?? null,
    recurringForm: toPricingPlanForm(wire.recurring_form),
    paymentMethod: wire.payment_method ?? null,
    paymentSessionId: wire.payment_session_id ?? null,
    salesPageId: wire.sales_page_id ?? null,
    succeededAt: toDate(wire.success_date),
    succeededOn: toDateOnly(wire.success_date_short),
    invoiceUrl: wire.invoice_link ?? null,
    successUrl: wire.success_link ?? null,
    authorCommissions: toCommissions(wire.author_commissions, currency),
  };
}

function refundOf(wire: ElopageRefundWire, { currency, statuses }: ElopageMapping): ElopageRefund {
  return {
    kind: 'Refund',
    provider: 'ELOPAGE',
    providerId: wire.id,
    status: statuses.normalize(TRANSACTION_STATUSES, wire.state),
    providerStatus: wire.state,
    // elopage reports refunds with negative amounts; our Refund.amount is positive (API.md).
    amount: absMoney(wire.total, currency),
    createdAt: toDate(wire.created_date),
    refundedPaymentId: wire.refunded_transfer_id ?? wire.refunded_tansfer_id ?? null,
    payer: toPayer(wire.payer),
    netAmount: absMoney(wire.amount, currency),
    fee: absMoney(wire.fee, currency),
    paymentMethod: wire.payment_method ?? null,
    paymentSessionId: wire.payment_session_id ?? null,
    salesPageId: wire.sales_page_id ?? null,
    authorCommissions: toCommissions(wire.author_commissions, currency),
  };
}

/** Unknown forms (or a one-time plan without a price) yield null: the plan is skipped, not the page. */
function pricingPlanOf(wire: ElopagePricingPlanWire, { currency }: ElopageMapping): PricingPlan | null {
  const form = toPricingPlanForm(wire.form);
  if (!form || !wire.id) return null;
  const prefs = wire.preferences ?? {};
  const terms = {
    firstInterval: toInterval(prefs.first_interval),
    firstAmount: optionalMoney(prefs.first_amount, currency),
    nextInterval: toInterval(prefs.next_interval),
    nextAmount: optionalMoney(prefs.next_amount, currency),
  };
  switch (form) {
    case 'ONE_TIME':
      if (!prefs.price) return null;
      return {
        kind: 'PricingPlan',
        providerId: wire.id,
        form,
        price: money(prefs.price, currency),
        oldPrice: optionalMoney(prefs.old_price, currency),
      };
    case 'SUBSCRIPTION':
      return { kind: 'PricingPlan', providerId: wire.id, form, ...terms };
    case 'SPLIT':
      return {
        kind: 'PricingPlan',
        providerId: wire.id,
        form,
        ...terms,
        paymentsCount: prefs.p_count && /^\d+$/.test(prefs.p_count) ? Number(prefs.p_count) : null,
        splittingType: toSplittingType(prefs.splitting_type),
      };
  }
}

function toAuthor(wire: NonNullable<ElopageSalesPageWire['authors']>[number]): SalesPageAuthor | null {
  // GET says author_id/c_c_enabled, create says id/custom_commission_enabled (quirk 3).
  const authorId = wire.author_id ?? wire.id;
  if (!authorId) return null;
  return {
    authorId,
    customCommissionEnabled: wire.c_c_enabled ?? wire.custom_commission_enabled ?? false,
    commission: wire.commission ?? null,
  };
}

/** The GET response has no `id`, so the caller passes the ID it asked for. */
function salesPageOf(id: string, wire: ElopageSalesPageWire, env: ElopageMapping): SalesPage {
  return {
    kind: 'SalesPage',
    providerId: id,
    name: wire.name ?? null,
    urlToPay: wire.url_to_pay ?? null,
    successUrl: wire.success_url ?? null,
    cancelUrl: wire.cancel_url ?? null,
    errorUrl: wire.error_url ?? null,
    webhookUrl: wire.webhook_url ?? null,
    free: wire.free ?? null,
    pricingPlans: (wire.pricing_plans ?? []).flatMap((plan) => pricingPlanOf(plan, env) ?? []),
    authors: (wire.authors ?? []).flatMap((author) => toAuthor(author) ?? []),
  };
}

/** An elopage answer, checked and in the domain model. */
export const toPayment = checkedAnswer('ELOPAGE', 'a payment', elopagePaymentSchema, paymentOf);
export const toElopageRefund = checkedAnswer('ELOPAGE', 'a refund', elopageRefundSchema, refundOf);
const refundAsTransaction = checkedAnswer('ELOPAGE', 'a payment', elopageRefundSchema, refundOf);

/**
 * A payment or a refund, told apart by the fields only a refund has and then checked against that
 * one schema (a union would check a payment against the refund schema first, and fail, every read).
 */
export function toElopageTransaction(body: unknown, env: ElopageMapping): ElopageTransaction {
  return looksLikeRefund(body) ? refundAsTransaction(body, env) : toPayment(body, env);
}
/** GET /pricing_plans/:id may leave out the plan's `id`: `id` is the one asked for. */
export const toPricingPlan = checkedAnswer(
  'ELOPAGE',
  'a pricing plan',
  elopagePricingPlanSchema,
  (wire: ElopagePricingPlanWire, env: ElopageMapping, id?: string) =>
    pricingPlanOf({ ...wire, id: wire.id ?? id }, env),
);
export const toSalesPage = checkedAnswer(
  'ELOPAGE',
  'a sales page',
  elopageSalesPageSchema,
  (wire: ElopageSalesPageWire, id: string, env: ElopageMapping) => salesPageOf(id, wire, env),
);
