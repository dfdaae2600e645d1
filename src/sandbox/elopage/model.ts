/**
 * elopage's enums and limits (the API document; providers/elopage.md) and the simulator's rows.
 * Decimals are kept as exact text (never a JS number); render.ts turns rows into elopage JSON.
 */
export const PLAN_FORMS = ['one_time', 'subscription', 'split'] as const;
export type PlanForm = (typeof PLAN_FORMS)[number];

/** "Per sales page you are allowed to use maximum 5 pricing plans" (document, Sales Page). */
export const MAX_PLANS_PER_PAGE = 5;

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

/** A validated pricing plan from a request; `id` names the plan a sales page update edits. */
export interface PlanInput {
  id?: string;
  form: PlanForm;
  preferences: Preferences;
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

/** The page fields of a create or update request; undefined = not given. */
export type SalesPageFields = Partial<Omit<SalesPageRow, 'id' | 'slug' | 'planIds'>>;

export interface NewSalesPage extends SalesPageFields {
  name: string;
  plans: PlanInput[];
}

export interface SalesPageChanges extends SalesPageFields {
  plans: PlanInput[];
}

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
export const SUCCEEDED_STATES: readonly PaymentState[] = ['successful', 'success_av'];
export const OPEN_STATES: readonly PaymentState[] = ['pending', 'waiting'];

/** What the sandbox buyer does at checkout, and what the bank later does to an open payment. */
export const CHECKOUT_OUTCOMES = ['succeed', 'fail', 'pending', 'cancel'] as const;
export type CheckoutOutcome = (typeof CHECKOUT_OUTCOMES)[number];
export const SETTLE_OUTCOMES = ['succeed', 'fail', 'cancel'] as const;
export type SettleOutcome = (typeof SETTLE_OUTCOMES)[number];

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

/** A checkout after validation: the buyer's choices on the hosted page. */
export interface NewPayment {
  page: SalesPageRow;
  plan: PricingPlanRow;
  method: PaymentMethod;
  state: PaymentState;
  payer: PayerRow;
  at: Date;
}

/**
 * The events `POST /_sandbox/trigger` takes. elopage's webhooks carry no event type
 * (providers/elopage.md quirk 7): the names only say which state the posted transaction is in.
 */
export const TRIGGER_EVENTS = [
  'payment.successful',
  'payment.pending',
  'payment.error',
  'payment.canceled',
  'refund.successful',
] as const;
export type ElopageTriggerEvent = (typeof TRIGGER_EVENTS)[number];
