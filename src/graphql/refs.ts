/**
 * Type references shared across the type files. Declaring them here, apart from their fields,
 * lets `Payment.salesPage` and `Refund.refundedTransaction` point at each other's types without
 * circular imports; each ./types file implements its own refs.
 */
import {
  USER_ERROR_CODES,
  USER_ERROR_DESCRIPTIONS,
  type UserError,
  type UserErrorCode,
} from '../domain/errors.js';
import type {
  AuthorCommission,
  BillingInterval,
  Charge,
  NodeObject,
  OneTimePricingPlan,
  Payer,
  Payment,
  PricingPlan,
  Refund,
  SalesPage,
  SalesPageAuthor,
  SplitPricingPlan,
  SubscriptionPricingPlan,
  Transaction,
} from '../domain/model.js';
import type { Money } from '../domain/money.js';
import { PAYMENT_STATUSES } from '../domain/status.js';
import { builder } from './builder.js';

export const NodeRef = builder.interfaceRef<NodeObject>('Node');
export const TransactionRef = builder.interfaceRef<Transaction>('Transaction');
export const PricingPlanRef = builder.interfaceRef<PricingPlan>('PricingPlan');
export const OneTimePricingPlanRef = builder.objectRef<OneTimePricingPlan>('OneTimePricingPlan');
export const SubscriptionPricingPlanRef =
  builder.objectRef<SubscriptionPricingPlan>('SubscriptionPricingPlan');
export const SplitPricingPlanRef = builder.objectRef<SplitPricingPlan>('SplitPricingPlan');
export const SalesPageRef = builder.objectRef<SalesPage>('SalesPage');
export const SalesPageAuthorRef = builder.objectRef<SalesPageAuthor>('SalesPageAuthor');
export const PaymentRef = builder.objectRef<Payment>('Payment');
export const ChargeRef = builder.objectRef<Charge>('Charge');
export const RefundRef = builder.objectRef<Refund>('Refund');
export const MoneyRef = builder.objectRef<Money>('Money');
export const PayerRef = builder.objectRef<Payer>('Payer');
export const AuthorCommissionRef = builder.objectRef<AuthorCommission>('AuthorCommission');
export const UserErrorRef = builder.objectRef<UserError>('UserError');

export const ProviderEnum = builder.enumType('Provider', {
  description: 'The payment provider that owns an object.',
  values: {
    ELEPAY: { description: 'elepay (ELESTYLE): charges and their refunds.' },
    ELOPAGE: { description: 'elopage: sales pages, pricing plans, payments and their refunds.' },
  } as const,
});

const STATUS_DESCRIPTIONS: Record<(typeof PAYMENT_STATUSES)[number], string> = {
  PENDING:
    'Created, waiting for the payer or the payment network (elepay pending/waiting/notified, elopage waiting/pending).',
  AUTHORIZED: 'Authorized but not captured yet (elepay uncaptured).',
  REQUIRES_ACTION:
    'Needs the merchant to act, e.g. a bank transfer with the wrong amount (elepay amount_mismatch).',
  SUCCEEDED: 'Money moved: a captured charge, a successful payment, a completed refund.',
  FAILED: 'Declined or errored (elepay failed, elopage error).',
  CANCELED: 'Canceled before money moved (elepay revoked, elopage canceled).',
  PARTIALLY_REFUNDED: 'Part of the captured amount was refunded.',
  REFUNDED: 'The whole captured amount was refunded.',
};

export const PaymentStatusEnum = builder.enumType('PaymentStatus', {
  description:
    'The normalized status of a transaction. `providerStatus` keeps the raw value; an unknown raw value reads as PENDING.',
  values: Object.fromEntries(
    PAYMENT_STATUSES.map((status) => [status, { description: STATUS_DESCRIPTIONS[status] }]),
  ) as {
    [K in (typeof PAYMENT_STATUSES)[number]]: { description: string };
  },
});

export const PricingPlanFormEnum = builder.enumType('PricingPlanForm', {
  description: 'How a pricing plan charges the buyer.',
  values: {
    ONE_TIME: { description: 'One payment of `price`.' },
    SUBSCRIPTION: { description: 'A first amount, then `nextAmount` every `nextInterval` until canceled.' },
    SPLIT: { description: 'A fixed number of payments (installments or a limited subscription).' },
  } as const,
});

const INTERVAL_DESCRIPTIONS: Record<BillingInterval, string> = {
  ONE_WEEK: 'Every week (elopage `1w`).',
  TWO_WEEKS: 'Every two weeks (`2w`).',
  THREE_WEEKS: 'Every three weeks (`3w`).',
  ONE_MONTH: 'Every month (`1m`).',
  TWO_MONTHS: 'Every two months (`2m`).',
  THREE_MONTHS: 'Every three months (`3m`).',
  SIX_MONTHS: 'Every six months (`6m`).',
  ONE_YEAR: 'Every year (`1y`).',
  TWO_YEARS: 'Every two years (`2y`).',
};

export const BillingIntervalEnum = builder.enumType('BillingInterval', {
  description: 'The time between two payments of a recurring pricing plan.',
  values: Object.fromEntries(
    Object.entries(INTERVAL_DESCRIPTIONS).map(([name, description]) => [name, { description }]),
  ) as { [K in BillingInterval]: { description: string } },
});

export const SplittingTypeEnum = builder.enumType('SplittingType', {
  description: 'How a split pricing plan invoices its payments.',
  values: {
    INSTALLMENT: { description: 'One invoice for the entire amount (elopage `installment`).' },
    LIMITED_SUBSCRIPTION: { description: 'One invoice per payment (elopage `limited_subscription`).' },
  } as const,
});

export const UserErrorCodeEnum = builder.enumType('UserErrorCode', {
  description: 'Stable codes of expected mutation failures.',
  values: Object.fromEntries(
    USER_ERROR_CODES.map((code) => [code, { description: USER_ERROR_DESCRIPTIONS[code] }]),
  ) as { [K in UserErrorCode]: { description: string } },
});
