import { jsonNumber } from '../../providers/json.js';
import type { SandboxRequest } from '../server.js';
import { decimalColumn, isZero } from './fees.js';
import type { ElopageTables } from './tables.js';
import type {
  CommissionRow,
  PaymentRow,
  Preferences,
  PricingPlanRow,
  RefundRow,
  SalesPageRow,
  TransactionRow,
} from './types.js';

/**
 * Store rows → the JSON shapes of the API document, including its inconsistencies: decimals are
 * JSON numbers in a payment but strings everywhere else, IDs are numbers in one place and strings
 * in another (providers/elopage.md, Conventions: Numbers).
 */

/** The seller's shop segment in every hosted URL. */
export const SHOP_SLUG = 'paygraph-sandbox';

/** Links point back at whichever address the client used (the Host header), like a real host. */
export function originOf(request: SandboxRequest): string {
  const host = request.headers.host;
  return `http://${host && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? host : '127.0.0.1'}`;
}

export function urlToPay(origin: string, page: SalesPageRow): string {
  return `${origin}/s/${SHOP_SLUG}/${page.slug}-${page.id}/payment`;
}

/** `2017-12-11T15:47Z`: UTC, minutes, no seconds. */
export function elopageDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 16)}Z`;
}

export function elopageDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function renderPreferences(preferences: Preferences): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(preferences)) {
    if (value === undefined) continue;
    const isDecimal =
      key === 'price' || key === 'old_price' || key === 'first_amount' || key === 'next_amount';
    out[key] = isDecimal ? decimalColumn(value) : value;
  }
  return out;
}

/** GET/POST pricing plan: `id` is a number here (document, Pricing plans). */
export function renderPlan(plan: PricingPlanRow, form: string = plan.form) {
  return { id: jsonNumber(plan.id), form, preferences: renderPreferences(plan.preferences) };
}

function planIsFree(plan: PricingPlanRow): boolean {
  const prefs = plan.preferences;
  return plan.form === 'one_time'
    ? isZero(prefs.price)
    : isZero(prefs.first_amount) && isZero(prefs.next_amount);
}

/** GET /api/sales_pages/:id — the documented response has no `id` (providers/elopage.md #2). */
export function renderSalesPage(tables: ElopageTables, page: SalesPageRow, origin: string) {
  const plans = tables.plansOf(page);
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

function renderCommission(commission: CommissionRow) {
  return {
    id: jsonNumber(commission.id),
    rate: decimalColumn(commission.rate),
    amount: commission.amount,
    payment_id: jsonNumber(commission.paymentId),
  };
}

/** GET /api/payments/:id for a payment, and the webhook body. */
export function renderPayment(payment: PaymentRow, origin: string) {
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
export function renderRefund(refund: RefundRow) {
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

export function renderTransaction(row: TransactionRow, origin: string) {
  return row.kind === 'payment' ? renderPayment(row, origin) : renderRefund(row);
}
