/**
 * The simulator's state: charges and refunds and their state machine (providers/elepay.md §5).
 * Every transition takes `now` so the seed can write history. Every documented event (§8) goes to
 * the event sink, which does nothing until the factory attaches the webhook sender after seeding,
 * so seeded objects fire nothing. Refusals are thrown as ElepayApiError.
 */

import { randomBytes } from 'node:crypto';
import { SandboxTable } from '../store.js';
import {
  amountTooLarge,
  chargeNotFound,
  ElepayApiError,
  invalid,
  invalidStatus,
  refundNotFound,
} from './errors.js';
import type {
  ChargeDateField,
  ChargeListQuery,
  ChargeOutcome,
  ChargeRecord,
  ChargeStatus,
  ElepayEventType,
  NewCharge,
  NewRefund,
  RefundOutcome,
  RefundRecord,
} from './model.js';

export type ElepayEvent =
  | { type: Exclude<ElepayEventType, 'refund.succeeded'>; charge: ChargeRecord }
  | { type: 'refund.succeeded'; refund: RefundRecord };
export type EventSink = (event: ElepayEvent) => void;

/** Statuses a payer can still finish: pending, plus the konbini/bank in-between ones (1.3.0). */
const AWAITING_PAYER: readonly ChargeStatus[] = ['pending', 'waiting', 'notified'];
const PAID: readonly ChargeStatus[] = ['captured', 'partially_refunded', 'refunded'];

export class ElepayState {
  private readonly charges = new SandboxTable<ChargeRecord>('ch_', 1);
  private readonly refunds = new SandboxTable<RefundRecord>('re_', 1);
  private readonly chargeIdByOrderNo = new Map<string, string>();
  private seq = 0;
  private sink: EventSink = () => undefined;

  setEventSink(sink: EventSink): void {
    this.sink = sink;
  }

  charge(id: string): ChargeRecord {
    const charge = this.charges.get(id);
    if (!charge) throw chargeNotFound();
    return charge;
  }

  allCharges(): ChargeRecord[] {
    return this.charges.all();
  }

  refundsOf(charge: ChargeRecord): RefundRecord[] {
    return charge.refundIds.map((id) => this.refunds.get(id)!);
  }

  refund(charge: ChargeRecord, refundId: string): RefundRecord {
    const refund = this.refunds.get(refundId);
    if (!refund || refund.chargeId !== charge.id) throw refundNotFound();
    return refund;
  }

  /** GET /charges: `total` is the full match count, which offset paging needs (§6 [infer]). */
  listCharges(query: ChargeListQuery): { total: number; page: ChargeRecord[] } {
    const matches = this.charges.all().filter((charge) => {
      if (query.paymentMethods.length > 0 && !query.paymentMethods.includes(charge.paymentMethod))
        return false;
      if (query.status !== null && charge.status !== query.status) return false;
      if (query.from === null && query.to === null) return true;
      // Both bounds are inclusive; a charge without the chosen timestamp never matches a range.
      const time = dateOf(charge, query.dateField);
      if (time === null) return false;
      return (query.from === null || time >= query.from) && (query.to === null || time <= query.to);
    });
    const direction = query.order === 'asc' ? 1 : -1;
    matches.sort((a, b) => {
      const ta = dateOf(a, query.sort);
      const tb = dateOf(b, query.sort);
      // Charges without the sort timestamp (unpaid, sorted by paid_time) go last either way.
      if (ta === null || tb === null) return ta === tb ? direction * (a.seq - b.seq) : ta === null ? 1 : -1;
      return direction * (ta - tb || a.seq - b.seq);
    });
    return { total: matches.length, page: matches.slice(query.offset, query.offset + query.limit) };
  }

  /** POST /charges: always `pending` first; the payer finishes it (§5). orderNo is unique (§9). */
  createCharge(input: NewCharge, now: number): ChargeRecord {
    const existingId = this.chargeIdByOrderNo.get(input.orderNo);
    if (existingId !== undefined) {
      const existing = this.charges.get(existingId)!;
      throw PAID.includes(existing.status)
        ? new ElepayApiError('M002007', 'The orderNo has already been paid', 'orderNo')
        : new ElepayApiError('M002004', 'A charge with this orderNo already exists', 'orderNo');
    }
    const id = this.charges.nextId();
    this.seq += 1;
    const charge: ChargeRecord = {
      ...input,
      id,
      seq: this.seq,
      authorizeAmount: null,
      // The pre-auth flag describes the kind of charge, so it is set from the request.
      authorize: !input.captureOnPayment,
      cardInfo: null,
      voucherNo: null,
      codeContent: input.resource === 'mpm' ? `https://sandbox.elepay.invalid/mpm/${id}` : null,
      credential: `sandbox_cred_${randomBytes(16).toString('hex')}`,
      paid: false,
      refunded: false,
      status: 'pending',
      paidTime: null,
      refundTime: null,
      createTime: now,
      refundIds: [],
    };
    this.chargeIdByOrderNo.set(input.orderNo, id);
    return this.charges.insert(id, charge);
  }

  /** Sandbox helper: the payer completes, fails or abandons a pending charge (§5, §10). */
  settleCharge(id: string, outcome: ChargeOutcome, now: number): ChargeRecord {
    const charge = this.charge(id);
    if (!AWAITING_PAYER.includes(charge.status)) throw invalidStatus('settle the charge', charge.status);
    if (outcome === 'fail') {
      charge.status = 'failed';
    } else if (outcome === 'cancel') {
      this.revokeNow(charge);
    } else {
      recordPaymentDetails(charge);
      if (charge.captureOnPayment) {
        this.captureNow(charge, charge.amount, now);
      } else {
        charge.status = 'uncaptured';
        charge.authorize = true;
        charge.authorizeAmount = charge.amount;
      }
    }
    return charge;
  }

  /** POST /charges/{id}/capture: only `uncaptured`, amount ≤ authorized (equal allowed, §11 #11). */
  capture(id: string, amount: bigint | null, extra: Record<string, string>, now: number): ChargeRecord {
    const charge = this.charge(id);
    if (charge.status !== 'uncaptured') throw invalidStatus('capture the charge', charge.status);
    const authorized = charge.authorizeAmount ?? charge.amount;
    if (amount !== null && amount > authorized) {
      throw amountTooLarge('amount', `capture amount exceeds the authorized amount ${authorized}`);
    }
    Object.assign(charge.extra, extra);
    this.captureNow(charge, amount ?? authorized, now);
    return charge;
  }

  /** POST /charges/{id}/revoke: pending/uncaptured only; a captured payment is refunded instead. */
  revoke(id: string): ChargeRecord {
    const charge = this.charge(id);
    if (charge.status === 'captured') {
      throw new ElepayApiError('M006007', 'A completed payment cannot be cancelled; refund it instead');
    }
    if (charge.status !== 'pending' && charge.status !== 'uncaptured') {
      throw invalidStatus('revoke the charge', charge.status);
    }
    this.revokeNow(charge);
    return charge;
  }

  /**
   * POST /charges/{id}/refunds: refunds start `pending` (asynchronous, §5). Pending refunds count
   * against the remaining amount, so concurrent refunds can never exceed the charge.
   */
  createRefund(id: string, input: NewRefund, now: number): RefundRecord {
    const charge = this.charge(id);
    if (charge.status !== 'captured' && charge.status !== 'partially_refunded') {
      throw invalidStatus('refund the charge', charge.status);
    }
    if (input.currency !== null && input.currency !== charge.currency) {
      throw invalid('currency', `currency must match the charge currency ${charge.currency}`);
    }
    const committed = this.refundsOf(charge).reduce((sum, r) => sum + r.amount, 0n);
    const remaining = charge.amount - committed;
    if (input.amount > remaining) {
      throw amountTooLarge('amount', `refund amount exceeds the refundable amount ${remaining}`);
    }
    const refundId = this.refunds.nextId();
    const refund: RefundRecord = {
      id: refundId,
      chargeId: charge.id,
      amount: input.amount,
      currency: charge.currency,
      metadata: input.metadata,
      reason: input.reason,
      status: 'pending',
      refundedTime: null,
      createTime: now,
    };
    charge.refundIds.push(refundId);
    return this.refunds.insert(refundId, refund);
  }

  /** Sandbox helper: the processor completes a pending refund. elepay has no failed refund status. */
  settleRefund(chargeId: string, refundId: string, outcome: RefundOutcome, now: number): RefundRecord {
    const charge = this.charge(chargeId);
    const refund = this.refund(charge, refundId);
    if (outcome === 'fail') {
      throw new ElepayApiError('M002005', 'Operation not supported: elepay refunds cannot fail', 'outcome');
    }
    if (refund.status !== 'pending') throw invalidStatus('settle the refund', refund.status);
    refund.status = 'refunded';
    refund.refundedTime = now;
    const refundedSum = this.refundsOf(charge)
      .filter((r) => r.status === 'refunded')
      .reduce((sum, r) => sum + r.amount, 0n);
    if (refundedSum >= charge.amount) {
      charge.status = 'refunded';
      charge.refunded = true;
      charge.refundTime = now;
    } else {
      charge.status = 'partially_refunded';
    }
    this.sink({ type: 'refund.succeeded', refund });
    return refund;
  }

  private captureNow(charge: ChargeRecord, amount: bigint, now: number): void {
    charge.status = 'captured';
    charge.amount = amount;
    charge.paid = true;
    charge.paidTime = now;
    this.sink({ type: 'charge.succeeded', charge });
  }

  private revokeNow(charge: ChargeRecord): void {
    charge.status = 'revoked';
    this.sink({ type: 'charge.revoked', charge });
  }
}

/** What the processor reports once the payer has paid or authorized. */
function recordPaymentDetails(charge: ChargeRecord): void {
  charge.voucherNo = randomBytes(6).toString('hex').toUpperCase();
  if (charge.paymentMethod === 'creditcard') {
    charge.cardInfo = { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030, threeDSecure: true };
  }
}

function dateOf(charge: ChargeRecord, field: ChargeDateField): number | null {
  return field === 'paid_time' ? charge.paidTime : charge.createTime;
}
