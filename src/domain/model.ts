/**
 * The domain objects every layer above providers/ sees. Provider wire shapes are mapped into these
 * once, in providers/<name>/map.ts; nothing above that layer reads wire JSON.
 */
import type { Money } from './money.js';
import type { PaymentStatus } from './status.js';

export type Provider = 'ELEPAY' | 'ELOPAGE';

export type BillingInterval =
  | 'ONE_WEEK'
  | 'TWO_WEEKS'
  | 'THREE_WEEKS'
  | 'ONE_MONTH'
  | 'TWO_MONTHS'
  | 'THREE_MONTHS'
  | 'SIX_MONTHS'
  | 'ONE_YEAR'
  | 'TWO_YEARS';

export type PricingPlanForm = 'ONE_TIME' | 'SUBSCRIPTION' | 'SPLIT';
export type SplittingType = 'INSTALLMENT' | 'LIMITED_SUBSCRIPTION';

export interface Payer {
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  country: string | null;
  city: string | null;
  street: string | null;
  zip: string | null;
  company: string | null;
  vatId: string | null;
  phone: string | null;
}

export interface AuthorCommission {
  providerId: string;
  /** Commission rate in percent, as the provider states it ("10.0"). */
  rate: string | null;
  amount: Money;
  paymentId: string | null;
}

interface TransactionBase {
  provider: Provider;
  providerId: string;
  status: PaymentStatus;
  providerStatus: string;
  amount: Money;
  createdAt: Date | null;
}

export interface Payment extends TransactionBase {
  kind: 'Payment';
  provider: 'ELOPAGE';
  payer: Payer | null;
  revenue: Money;
  netAmount: Money;
  fee: Money;
  recurring: boolean | null;
  recurringForm: PricingPlanForm | null;
  paymentMethod: string | null;
  paymentSessionId: string | null;
  salesPageId: string | null;
  succeededAt: Date | null;
  succeededOn: string | null;
  invoiceUrl: string | null;
  successUrl: string | null;
  authorCommissions: AuthorCommission[];
}

export interface Charge extends TransactionBase {
  kind: 'Charge';
  provider: 'ELEPAY';
  orderNo: string;
  paymentMethod: string | null;
  description: string | null;
  metadata: Record<string, string> | null;
  /** Sum of completed refunds (elepay's `refunds.amount`). */
  refundedAmount: Money;
  authorizedAmount: Money | null;
  paidAt: Date | null;
  refundedAt: Date | null;
  liveMode: boolean;
}

export interface ElepayRefund extends TransactionBase {
  kind: 'Refund';
  provider: 'ELEPAY';
  chargeId: string;
  reason: string | null;
  refundedAt: Date | null;
  metadata: Record<string, string> | null;
}

export interface ElopageRefund extends TransactionBase {
  kind: 'Refund';
  provider: 'ELOPAGE';
  /** The payment this refund reverses (`refunded_transfer_id`). */
  refundedPaymentId: string | null;
  payer: Payer | null;
  netAmount: Money;
  fee: Money;
  paymentMethod: string | null;
  paymentSessionId: string | null;
  salesPageId: string | null;
  authorCommissions: AuthorCommission[];
}

export type Refund = ElepayRefund | ElopageRefund;
export type Transaction = Payment | Charge | Refund;

/** What GET /payments/:id can return: elopage serves payments and refunds on one route. */
export type ElopageTransaction = Payment | ElopageRefund;

interface PricingPlanBase {
  kind: 'PricingPlan';
  providerId: string;
}

export interface OneTimePricingPlan extends PricingPlanBase {
  form: 'ONE_TIME';
  price: Money;
  oldPrice: Money | null;
}

interface RecurringTerms {
  firstInterval: BillingInterval | null;
  firstAmount: Money | null;
  nextInterval: BillingInterval | null;
  nextAmount: Money | null;
}

export interface SubscriptionPricingPlan extends PricingPlanBase, RecurringTerms {
  form: 'SUBSCRIPTION';
}

export interface SplitPricingPlan extends PricingPlanBase, RecurringTerms {
  form: 'SPLIT';
  paymentsCount: number | null;
  splittingType: SplittingType | null;
}

export type PricingPlan = OneTimePricingPlan | SubscriptionPricingPlan | SplitPricingPlan;

export interface SalesPageAuthor {
  authorId: string;
  customCommissionEnabled: boolean;
  /** Commission in percent, as the provider states it. */
  commission: string | null;
}

export interface SalesPage {
  kind: 'SalesPage';
  providerId: string;
  name: string | null;
  urlToPay: string | null;
  successUrl: string | null;
  cancelUrl: string | null;
  errorUrl: string | null;
  webhookUrl: string | null;
  free: boolean | null;
  pricingPlans: PricingPlan[];
  authors: SalesPageAuthor[];
}

export type NodeObject = SalesPage | PricingPlan | Transaction;
