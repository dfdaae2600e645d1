/**
 * What the service layer asks providers to do, in domain terms: amounts as Money or exact decimal
 * text, statuses and forms as our enums. providers/<name>/requests.ts turns each into its wire body
 * (minor units, raw statuses, elopage's field spellings); nothing above providers/ builds one.
 */
import type { BillingInterval, Charge, Payer, SplittingType } from './model.js';
import type { Money } from './money.js';
import type { PaymentStatus } from './status.js';

/** A new elepay charge. */
export interface NewCharge {
  amount: Money;
  paymentMethod: string;
  /** The merchant's order number, unique per charge at elepay. */
  orderNo: string;
  /** False: authorize only, capture later. */
  capture: boolean;
  description: string | null;
  metadata: Record<string, string> | null;
}

/** Which elepay charges to list, newest first. */
export interface ChargeListQuery {
  status?: PaymentStatus | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  paymentMethods?: string[] | null;
  limit?: number;
  offset?: number;
}

/** A page of charges and how many match in all (null when elepay's count is unreadable). */
export interface ChargePage {
  charges: Charge[];
  total: number | null;
}

/** A new refund of an elepay charge. */
export interface NewRefund {
  amount: Money;
  reason: string | null;
  metadata: Record<string, string> | null;
}

interface RecurringDraft {
  firstInterval: BillingInterval;
  /** Exact decimal text in the elopage currency, as are all draft amounts. */
  firstAmount: string;
  nextInterval: BillingInterval;
  nextAmount: string;
}

/** A pricing plan to add to an elopage sales page. */
export type PricingPlanDraft =
  | { form: 'ONE_TIME'; price: string; oldPrice?: string | null }
  | ({ form: 'SUBSCRIPTION' } & RecurringDraft)
  | ({ form: 'SPLIT'; paymentsCount: number; splittingType: SplittingType } & RecurringDraft);

/** An elopage sales page to create, or the changes to one (fields left out stay as they are). */
export interface SalesPageDraft {
  name?: string | null;
  successUrl?: string | null;
  cancelUrl?: string | null;
  errorUrl?: string | null;
  webhookUrl?: string | null;
  pageHeader?: string | null;
  pageFooter?: string | null;
  pricingPlans?: PricingPlanDraft[] | null;
  authors?:
    | { authorId: string; customCommissionEnabled?: boolean | null; commission?: string | null }[]
    | null;
  successEmail?: {
    subjectEn?: string | null;
    subjectDe?: string | null;
    bodyEn?: string | null;
    bodyDe?: string | null;
  } | null;
  forward?: {
    firstName?: string | null;
    lastName?: string | null;
    email?: string | null;
    coupon?: string | null;
    campaignId?: string | null;
  } | null;
}

/** How a simulated payer or payment network ends a transaction (sandbox only). */
export type SandboxOutcome = 'SUCCEED' | 'FAIL' | 'CANCEL';

/** A simulated buyer completing an elopage checkout (sandbox only). */
export interface SandboxCheckout {
  salesPageId: string;
  pricingPlanId?: string | null;
  paymentMethod?: string | null;
  outcome: SandboxOutcome | 'PENDING';
  payer?: { [K in keyof Payer]?: string | null } | null;
  cardNumber?: string | null;
  iban?: string | null;
}
