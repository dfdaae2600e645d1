/**
 * The elopage simulator's in-memory rows. Decimals are kept as exact text (never a JS number) and
 * rendered to the wire shapes of the API document by render.ts.
 */
export type PlanForm = 'one_time' | 'subscription' | 'split';
export const PLAN_FORMS: readonly PlanForm[] = ['one_time', 'subscription', 'split'];

/** The document's interval values (Pricing plans: first_interval / next_interval). */
export const INTERVALS = ['1w', '2w', '3w', '1m', '2m', '3m', '6m', '1y', '2y'] as const;
export const SPLITTING_TYPES = ['installment', 'limited_subscription'] as const;

/** Only the keys that belong to the plan's form are stored. */
export interface Preferences {
  price?: string;
  old_price?: string;
  p_count?: string;
  first_interval?: string;
  first_amount?: string;
  next_interval?: string;
  next_amount?: string;
  splitting_type?: string;
}

export interface PricingPlanRow {
  id: string;
  salesPageId: string;
  form: PlanForm;
  preferences: Preferences;
}

export interface AuthorRow {
  authorId: string;
  customCommissionEnabled: boolean;
  /** Percent as exact text, e.g. "10"; null when none was given. */
  commission: string | null;
}

export type StringFields = Record<string, string | null>;

export interface SalesPageRow {
  id: string;
  name: string;
  /** Fixed at creation, like elopage's product slug (`product-name-1`). */
  slug: string;
  successUrl: string | null;
  cancelUrl: string | null;
  errorUrl: string | null;
  webhookUrl: string | null;
  pageHeader: string | null;
  pageFooter: string | null;
  /** In creation order; the first one is the checkout's default plan. */
  planIds: string[];
  authors: AuthorRow[];
  forward: StringFields | null;
  successEmail: StringFields | null;
}

export const PAYER_FIELDS = [
  'email',
  'first_name',
  'last_name',
  'country',
  'city',
  'street',
  'zip',
  'company',
  'vat_id',
  'phone',
] as const;
export type PayerRow = Record<(typeof PAYER_FIELDS)[number], string | null>;

export const PAYMENT_METHODS = ['card', 'paypal', 'sofort', 'bank_account', 'bank_wire'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** providers/elopage.md, States. There is no refunded state: a refund is its own transaction. */
export type PaymentState = 'waiting' | 'pending' | 'successful' | 'success_av' | 'canceled' | 'error';

export interface CommissionRow {
  id: string;
  rate: string;
  /** Exact, unrounded (`19.385`); negative on a refund. */
  amount: string;
  paymentId: string;
}

export interface PaymentRow {
  kind: 'payment';
  id: string;
  payer: PayerRow;
  /** Gross, net and fee as exact text with at least 2 decimals ("199.90"). */
  revenue: string;
  amount: string;
  fee: string;
  recurringForm: PlanForm;
  paymentMethod: PaymentMethod;
  paymentSessionId: string;
  salesPageId: string;
  pageSlug: string;
  pricingPlanId: string;
  state: PaymentState;
  createdAt: Date;
  successAt: Date | null;
  /** The token elopage puts on invoice and success links. */
  token: string;
  /** Assigned once the payment succeeds: invoices exist only for paid payments. */
  invoiceNumber: string | null;
  commissions: CommissionRow[];
  refundId: string | null;
}

export interface RefundRow {
  kind: 'refund';
  id: string;
  payer: PayerRow;
  total: string;
  amount: string;
  fee: string;
  paymentMethod: PaymentMethod;
  paymentSessionId: string;
  salesPageId: string;
  refundedTransferId: string;
  state: 'successful';
  createdAt: Date;
  commissions: CommissionRow[];
}

/** Payments and refunds share one ID sequence and one route (GET /api/payments/:id). */
export type TransactionRow = PaymentRow | RefundRow;
