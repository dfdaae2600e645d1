/** The normalized status every transaction exposes (API.md, Principles → Status). */
export const PAYMENT_STATUSES = [
  'PENDING',
  'AUTHORIZED',
  'REQUIRES_ACTION',
  'SUCCEEDED',
  'FAILED',
  'CANCELED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** elepay ChargeStatusType (providers/elepay.md §4), 1.2.x and 1.3.0 values. */
const ELEPAY_CHARGE: Record<string, PaymentStatus> = {
  pending: 'PENDING',
  waiting: 'PENDING',
  notified: 'PENDING',
  uncaptured: 'AUTHORIZED',
  amount_mismatch: 'REQUIRES_ACTION',
  captured: 'SUCCEEDED',
  failed: 'FAILED',
  revoked: 'CANCELED',
  partially_refunded: 'PARTIALLY_REFUNDED',
  refunded: 'REFUNDED',
};

/** elepay RefundStatusType. */
const ELEPAY_REFUND: Record<string, PaymentStatus> = { pending: 'PENDING', refunded: 'SUCCEEDED' };

/** elopage payment and refund states (providers/elopage.md, Payment object). */
const ELOPAGE_TRANSACTION: Record<string, PaymentStatus> = {
  waiting: 'PENDING',
  pending: 'PENDING',
  successful: 'SUCCEEDED',
  success_av: 'SUCCEEDED',
  canceled: 'CANCELED',
  error: 'FAILED',
};

export type StatusTable = 'elepayCharge' | 'elepayRefund' | 'elopageTransaction';
const TABLES: Record<StatusTable, Record<string, PaymentStatus>> = {
  elepayCharge: ELEPAY_CHARGE,
  elepayRefund: ELEPAY_REFUND,
  elopageTransaction: ELOPAGE_TRANSACTION,
};

/**
 * Maps raw provider statuses. Providers add statuses over time (elepay went from 4 to 10), so
 * an unknown value maps to PENDING and is reported once per table and value, never thrown.
 */
export class StatusNormalizer {
  private readonly reported = new Set<string>();

  constructor(private readonly onUnknown: (table: StatusTable, raw: string) => void) {}

  normalize(table: StatusTable, raw: string): PaymentStatus {
    const known = TABLES[table][raw];
    if (known) return known;
    const key = `${table}:${raw}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.onUnknown(table, raw);
    }
    return 'PENDING';
  }
}
