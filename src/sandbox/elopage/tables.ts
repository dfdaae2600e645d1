import { SandboxTable } from '../store.js';
import type { PricingPlanRow, SalesPageRow, TransactionRow } from './types.js';

/** A plain counter for IDs that have no table of their own (commissions, sessions, invoices). */
export class Sequence {
  constructor(private next: number) {}

  take(): string {
    const id = String(this.next);
    this.next += 1;
    return id;
  }
}

/**
 * All simulator state. ID ranges follow the document's examples: sales page 1087, pricing plan 1306,
 * payment 540391, payment session 3913, invoice 2879.
 */
export class ElopageTables {
  readonly salesPages = new SandboxTable<SalesPageRow>('', 1087);
  readonly pricingPlans = new SandboxTable<PricingPlanRow>('', 1306);
  /** Payments and refunds share one sequence: both are read by GET /api/payments/:id. */
  readonly transactions = new SandboxTable<TransactionRow>('', 540391);
  readonly commissionIds = new Sequence(1);
  readonly sessionIds = new Sequence(3913);
  readonly invoiceNumbers = new Sequence(2879);

  plansOf(page: SalesPageRow): PricingPlanRow[] {
    return page.planIds.flatMap((id) => {
      const plan = this.pricingPlans.get(id);
      return plan ? [plan] : [];
    });
  }
}
