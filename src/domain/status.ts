/**
 * The normalized status every transaction exposes (API.md, Principles → Status), and the rule for
 * raw provider statuses: each provider client brings its own table (providers/<name>/map.ts), and
 * an unknown raw value reads as PENDING.
 */
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

/** A provider's raw statuses of one kind of object, named for the log line about unknown ones. */
export interface StatusTable {
  name: string;
  statuses: Readonly<Record<string, PaymentStatus>>;
}

/**
 * Maps raw provider statuses. Providers add statuses over time (elepay went from 4 to 10), so
 * an unknown value maps to PENDING and is reported once per table and value, never thrown.
 */
export class StatusNormalizer {
  private readonly reported = new Set<string>();

  constructor(private readonly onUnknown: (table: string, raw: string) => void) {}

  normalize(table: StatusTable, raw: string): PaymentStatus {
    const known = Object.hasOwn(table.statuses, raw) ? table.statuses[raw] : undefined;
    if (known) return known;
    const key = `${table.name}:${raw}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.onUnknown(table.name, raw);
    }
    return 'PENDING';
  }
}
