/**
 * The simulator's state: sales pages, pricing plans and transactions, and the payment lifecycle (a
 * checkout creates a payment, a settlement moves an open one on, a refund is a transaction of its
 * own). Every status change goes to the event sink, which does nothing until the factory attaches
 * the webhook sender after seeding, so seeded objects fire nothing. Refusals are thrown as
 * ElopageApiError. ID ranges follow the document's examples: sales page 1087, pricing plan 1306,
 * payment 540391, payment session 3913, invoice 2879.
 */

import { randomBytes } from 'node:crypto';
import { SandboxTable } from '../store.js';
import { fieldInvalid, invalidState, notFound, validationFailed } from './errors.js';
import { chargedAmount, commissionAmount, negated, paymentAmounts } from './fees.js';
import {
  type CheckoutOutcome,
  MAX_PLANS_PER_PAGE,
  type NewPayment,
  type NewSalesPage,
  OPEN_STATES,
  type PaymentMethod,
  type PaymentRow,
  type PaymentState,
  type PlanInput,
  type PricingPlanRow,
  type RefundRow,
  type SalesPageChanges,
  type SalesPageRow,
  SUCCEEDED_STATES,
  type TransactionRow,
} from './model.js';

export type EventSink = (transaction: TransactionRow) => void;

/** A plain counter for IDs that have no table of their own (commissions, sessions, invoices). */
class Sequence {
  constructor(private next: number) {}

  take(): string {
    const id = String(this.next);
    this.next += 1;
    return id;
  }
}

/** The document's test data (Sandbox: Test payments credentials). */
const TEST_CARDS = new Set(['5017670000005900', '5017670000006700', '5017670000007500', '5017670000008300']);
const FAILING_IBAN = 'DE62370400440532013001';

const OUTCOME_STATES: Record<CheckoutOutcome, PaymentState> = {
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
  outcome: CheckoutOutcome,
  cardNumber: string | null,
  iban: string | null,
): PaymentState {
  if (method === 'card' && cardNumber !== null && !TEST_CARDS.has(cardNumber)) return 'error';
  if (method === 'bank_account') return iban === FAILING_IBAN ? 'error' : 'pending';
  if (method === 'bank_wire' && outcome === 'pending') return 'waiting';
  return OUTCOME_STATES[outcome];
}

export class ElopageState {
  private readonly salesPages = new SandboxTable<SalesPageRow>('', 1087);
  private readonly pricingPlans = new SandboxTable<PricingPlanRow>('', 1306);
  /** Payments and refunds share one sequence: both are read by GET /api/payments/:id. */
  private readonly transactions = new SandboxTable<TransactionRow>('', 540391);
  private readonly commissionIds = new Sequence(1);
  private readonly sessionIds = new Sequence(3913);
  private readonly invoiceNumbers = new Sequence(2879);
  private sink: EventSink = () => undefined;

  setEventSink(sink: EventSink): void {
    this.sink = sink;
  }

  salesPage(id: string): SalesPageRow {
    const page = this.salesPages.get(id);
    if (!page) throw notFound('sales page not found');
    return page;
  }

  /** In creation order, the newest last. */
  allSalesPages(): SalesPageRow[] {
    return this.salesPages.all();
  }

  pricingPlan(id: string): PricingPlanRow {
    const plan = this.pricingPlans.get(id);
    if (!plan) throw notFound('pricing plan not found');
    return plan;
  }

  plansOf(page: SalesPageRow): PricingPlanRow[] {
    return page.planIds.flatMap((id) => {
      const plan = this.pricingPlans.get(id);
      return plan ? [plan] : [];
    });
  }

  /** A payment or a refund transaction. */
  transaction(id: string): TransactionRow {
    const row = this.transactions.get(id);
    if (!row) throw notFound('payment not found');
    return row;
  }

  payment(id: string): PaymentRow {
    const row = this.transaction(id);
    if (row.kind === 'refund') throw invalidState(`transaction ${row.id} is a refund, not a payment`);
    return row;
  }

  createSalesPage(input: NewSalesPage): SalesPageRow {
    const id = this.salesPages.nextId();
    const page: SalesPageRow = {
      id,
      name: input.name,
      slug: slugify(input.name),
      successUrl: input.successUrl ?? null,
      cancelUrl: input.cancelUrl ?? null,
      errorUrl: input.errorUrl ?? null,
      webhookUrl: input.webhookUrl ?? null,
      pageHeader: input.pageHeader ?? null,
      pageFooter: input.pageFooter ?? null,
      planIds: [],
      authors: input.authors ?? [],
      forward: input.forward ?? null,
      successEmail: input.successEmail ?? null,
    };
    this.salesPages.insert(id, page);
    for (const plan of input.plans) this.insertPlan(page, plan);
    return page;
  }

  /**
   * A plan with `id` replaces that plan's form and preferences (it must belong to this page), one
   * without is added, and plans not mentioned are kept.
   */
  updateSalesPage(page: SalesPageRow, changes: SalesPageChanges): SalesPageRow {
    const errors: Record<string, string[]> = {};
    changes.plans.forEach((plan, index) => {
      if (plan.id !== undefined && !page.planIds.includes(plan.id)) {
        errors[`pricing_plans.${index}.id`] = ['is not a pricing plan of this sales page'];
      }
    });
    const added = changes.plans.filter((plan) => plan.id === undefined).length;
    if (page.planIds.length + added > MAX_PLANS_PER_PAGE) {
      errors.pricing_plans = [`at most ${MAX_PLANS_PER_PAGE} pricing plans per sales page`];
    }
    if (Object.keys(errors).length > 0) throw validationFailed(errors);

    const { plans, ...fields } = changes;
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) Object.assign(page, { [key]: value });
    }
    for (const plan of plans) {
      const existing = plan.id === undefined ? undefined : this.pricingPlans.get(plan.id);
      if (existing) Object.assign(existing, { form: plan.form, preferences: { ...plan.preferences } });
      else this.insertPlan(page, plan);
    }
    return page;
  }

  /** POST /api/pricing_plans: attached to its sales page at once. */
  addPlan(page: SalesPageRow, input: PlanInput): PricingPlanRow {
    if (page.planIds.length >= MAX_PLANS_PER_PAGE) {
      throw fieldInvalid('sales_page_id', `a sales page has at most ${MAX_PLANS_PER_PAGE} pricing plans`);
    }
    return this.insertPlan(page, input);
  }

  /** False when the plan is its page's last one, which the page needs. */
  deletePlan(plan: PricingPlanRow): boolean {
    const page = this.salesPages.get(plan.salesPageId);
    if (page && page.planIds.length <= 1) return false;
    if (page) page.planIds = page.planIds.filter((planId) => planId !== plan.id);
    this.pricingPlans.delete(plan.id);
    return true;
  }

  /** A checkout: the payment starts in the state the buyer's choices lead to. */
  createPayment(input: NewPayment): PaymentRow {
    const amounts = paymentAmounts(chargedAmount(input.plan));
    const id = this.transactions.nextId();
    const payment: PaymentRow = {
      kind: 'payment',
      id,
      payer: { ...input.payer },
      revenue: amounts.revenue,
      amount: amounts.net,
      fee: amounts.fee,
      recurringForm: input.plan.form,
      paymentMethod: input.method,
      paymentSessionId: this.sessionIds.take(),
      salesPageId: input.page.id,
      pageSlug: input.page.slug,
      pricingPlanId: input.plan.id,
      state: 'pending',
      createdAt: input.at,
      successAt: null,
      token: randomBytes(15).toString('base64url'),
      invoiceNumber: null,
      commissions: [],
      refundId: null,
    };
    this.transactions.insert(id, payment);
    this.moveTo(payment, input.state, input.at);
    this.sink(payment);
    return payment;
  }

  /** The bank settles an open (pending or waiting) payment. */
  settle(payment: PaymentRow, state: PaymentState, at: Date): PaymentRow {
    if (!OPEN_STATES.includes(payment.state)) {
      throw invalidState(
        `only pending or waiting payments can be settled; payment ${payment.id} is ${payment.state}`,
      );
    }
    this.moveTo(payment, state, at);
    this.sink(payment);
    return payment;
  }

  /** A full refund (elopage has no partial ones): negative gross, net and commissions, no fee. */
  refund(payment: PaymentRow, at: Date): RefundRow {
    if (payment.refundId !== null) throw invalidState(`payment ${payment.id} is already refunded`);
    if (!SUCCEEDED_STATES.includes(payment.state)) {
      throw invalidState(
        `only successful payments can be refunded; payment ${payment.id} is ${payment.state}`,
      );
    }
    const id = this.transactions.nextId();
    const refund: RefundRow = {
      kind: 'refund',
      id,
      payer: { ...payment.payer },
      total: negated(payment.revenue),
      amount: negated(payment.amount),
      fee: '0',
      paymentMethod: payment.paymentMethod,
      paymentSessionId: payment.paymentSessionId,
      salesPageId: payment.salesPageId,
      refundedTransferId: payment.id,
      state: 'successful',
      createdAt: at,
      commissions: payment.commissions.map((commission) => ({
        id: this.commissionIds.take(),
        rate: commission.rate,
        amount: negated(commission.amount),
        paymentId: id,
      })),
    };
    this.transactions.insert(id, refund);
    // The payment keeps its state: the document defines no refunded state.
    payment.refundId = id;
    this.sink(refund);
    return refund;
  }

  private insertPlan(page: SalesPageRow, input: PlanInput): PricingPlanRow {
    const id = this.pricingPlans.nextId();
    const plan: PricingPlanRow = {
      id,
      salesPageId: page.id,
      form: input.form,
      preferences: { ...input.preferences },
    };
    this.pricingPlans.insert(id, plan);
    page.planIds.push(id);
    return plan;
  }

  /**
   * Sets a payment's state. On success it gets its success date, an invoice and the authors'
   * commissions (only authors with a custom commission: the seller's general rate is unknown to
   * the simulator).
   */
  private moveTo(payment: PaymentRow, state: PaymentState, at: Date): void {
    payment.state = state;
    if (!SUCCEEDED_STATES.includes(state) || payment.successAt) return;
    payment.successAt = at;
    payment.invoiceNumber = this.invoiceNumbers.take();
    const page = this.salesPages.get(payment.salesPageId);
    payment.commissions = (page?.authors ?? [])
      .filter((author) => author.customCommissionEnabled && author.commission !== null)
      .map((author) => ({
        id: this.commissionIds.take(),
        rate: author.commission ?? '0',
        amount: commissionAmount(payment.amount, author.commission ?? '0'),
        paymentId: payment.id,
      }));
  }
}

/** `product name` → `product-name`, like the document's `url_to_pay` example. */
function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'product';
}
