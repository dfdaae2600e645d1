/**
 * Rows → the JSON shapes of the API document, typed by the gateway's wire types so that the two
 * cannot drift apart, and including the document's inconsistencies: decimals are JSON numbers in a
 * payment but strings everywhere else, IDs are numbers in one place and strings in another
 * (providers/elopage.md, Conventions: Numbers).
 */

import type {
  ElopageAuthorCommissionWire,
  ElopageDeleteResponseWire,
  ElopagePaymentWire,
  ElopagePreferencesWire,
  ElopagePricingPlanWire,
  ElopageRefundWire,
  ElopageSalesPageSavedWire,
  ElopageSalesPageWire,
} from '../../providers/elopage/wire.js';
import { jsonNumber } from '../../providers/json.js';
import type { Sent } from '../sent.js';
import type { SandboxRequest } from '../server.js';
import { decimalColumn, isZero } from './fees.js';
import type {
  CommissionRow,
  PaymentRow,
  Preferences,
  PricingPlanRow,
  RefundRow,
  SalesPageRow,
  TransactionRow,
} from './model.js';
import type { ElopageState } from './state.js';

/** The seller's shop segment in every hosted URL. */
const SHOP_SLUG = 'paygraph-sandbox';

/** Links point back at whichever address the client used (the Host header), like a real host. */
export function originOf(request: SandboxRequest): string {
  const host = request.headers.host;
  return `http://${host && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? host : '127.0.0.1'}`;
}

function urlToPay(origin: string, page: SalesPageRow): string {
  return `${origin}/s/${SHOP_SLUG}/${page.slug}-${page.id}/payment`;
}

/** `2017-12-11T15:47Z`: UTC, minutes, no seconds. */
function elopageDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 16)}Z`;
}

function elopageDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const DECIMAL_PREFERENCES = new Set(['price', 'old_price', 'first_amount', 'next_amount']);

/** Only the preferences the plan has; decimals as elopage's decimal column renders them. */
function renderPreferences(preferences: Preferences): Sent<ElopagePreferencesWire> {
  const out: Sent<ElopagePreferencesWire> = {};
  for (const [key, value] of Object.entries(preferences) as [keyof Preferences, string | undefined][]) {
    if (value !== undefined) out[key] = DECIMAL_PREFERENCES.has(key) ? decimalColumn(value) : value;
  }
  return out;
}

/** GET/POST pricing plan: `id` is a number here (document, Pricing plans). */
export function renderPlan(plan: PricingPlanRow, form: string = plan.form): Sent<ElopagePricingPlanWire> {
  return { id: jsonNumber(plan.id), form, preferences: renderPreferences(plan.preferences) };
}

/** DELETE /api/pricing_plans/:id reports a refusal in the body, with HTTP 200. */
export function renderDeletion(deleted: boolean, plan: PricingPlanRow): Sent<ElopageDeleteResponseWire> {
  return deleted
    ? { status: 'success', response: `Pricing plan ${plan.id} was successfully destroyed` }
    : { status: 'error', response: 'A sales page needs at least one pricing plan' };
}

function planIsFree(plan: PricingPlanRow): boolean {
  const prefs = plan.preferences;
  return plan.form === 'one_time'
    ? isZero(prefs.price)
    : isZero(prefs.first_amount) && isZero(prefs.next_amount);
}

/** POST and PUT /api/sales_pages answer `{id, url_to_pay}`. */
export function renderSavedSalesPage(page: SalesPageRow, origin: string): Sent<ElopageSalesPageSavedWire> {
  return { id: jsonNumber(page.id), url_to_pay: urlToPay(origin, page) };
}

/** GET /api/sales_pages/:id — the documented response has no `id` (providers/elopage.md #2). */
export function renderSalesPage(
  state: ElopageState,
  page: SalesPageRow,
  origin: string,
): Sent<ElopageSalesPageWire> {
  const plans = state.plansOf(page);
  return {
    name: page.name,
    url_to_pay: urlToPay(origin, page),
    success_url: page.successUrl,
    cancel_url: page.cancelUrl,
    error_url: page.errorUrl,
    webhook_url: page.webhookUrl,
    free: plans.length > 0 && plans.every(planIsFree),
    // Here the plan ID is a string, as in the document's example (`id: "1"`).
    pricing_plans: plans.map((plan) => ({
      id: plan.id,
      form: plan.form,
      preferences: renderPreferences(plan.preferences),
    })),
    authors: page.authors.map((author) => ({
      author_id: jsonNumber(author.authorId),
      c_c_enabled: author.customCommissionEnabled,
      commission: author.commission === null ? null : decimalColumn(author.commission),
    })),
  };
}

function renderCommission(commission: CommissionRow): Sent<ElopageAuthorCommissionWire> {
  return {
    id: jsonNumber(commission.id),
    rate: decimalColumn(commission.rate),
    amount: commission.amount,
    payment_id: jsonNumber(commission.paymentId),
  };
}

/** GET /api/payments/:id for a payment, and the webhook body. */
export function renderPayment(payment: PaymentRow, origin: string): Sent<ElopagePaymentWire> {
  const pagePath = `${origin}/s/${SHOP_SLUG}/${payment.pageSlug}-${payment.salesPageId}`;
  return {
    id: jsonNumber(payment.id),
    payer: { ...payment.payer },
    // The document shows these three as JSON numbers: written from exact text, never a float.
    revenue: jsonNumber(payment.revenue),
    amount: jsonNumber(payment.amount),
    fee: jsonNumber(payment.fee),
    recurring: payment.recurringForm !== 'one_time',
    recurring_form: payment.recurringForm,
    payment_method: payment.paymentMethod,
    payment_session_id: payment.paymentSessionId,
    sales_page_id: payment.salesPageId,
    state: payment.state,
    created_date: elopageDateTime(payment.createdAt),
    success_date: payment.successAt ? elopageDateTime(payment.successAt) : null,
    success_date_short: payment.successAt ? elopageDate(payment.successAt) : null,
    invoice_link:
      payment.invoiceNumber === null
        ? null
        : `${origin}/common/invoices/${payment.invoiceNumber}?token=${payment.token}`,
    success_link: `${pagePath}/payment_success?token=${payment.token}`,
    author_commissions: payment.commissions.map(renderCommission),
  };
}

/**
 * A refund transaction. Amounts are strings here, as in the document's example; the ID field uses
 * the table's spelling `refunded_transfer_id`, and `author_commissions` sits inside the object
 * (providers/elopage.md quirks 1 and 2).
 */
export function renderRefund(refund: RefundRow): Sent<ElopageRefundWire> {
  return {
    id: jsonNumber(refund.id),
    payer: { ...refund.payer },
    total: refund.total,
    amount: refund.amount,
    fee: refund.fee,
    payment_method: refund.paymentMethod,
    payment_session_id: refund.paymentSessionId,
    sales_page_id: refund.salesPageId,
    refunded_transfer_id: jsonNumber(refund.refundedTransferId),
    state: refund.state,
    created_date: elopageDateTime(refund.createdAt),
    author_commissions: refund.commissions.map(renderCommission),
  };
}

export function renderTransaction(
  row: TransactionRow,
  origin: string,
): Sent<ElopagePaymentWire> | Sent<ElopageRefundWire> {
  return row.kind === 'payment' ? renderPayment(row, origin) : renderRefund(row);
}
