import type { SandboxReply, SandboxRoute } from '../server.js';
import type { ChargeStatus } from './constants.js';
import { invalid, invalidStatus, refundNotFound } from './errors.js';
import { helperStatus } from './helper-routes.js';
import type { ElepayEventType, ElepayLedger, EventSink } from './ledger.js';
import type { ChargeDto, ChargeRecord, RefundDto } from './model.js';
import { toRefundDto } from './model.js';
import { guarded } from './routes.js';
import { bodyObject, oneOf, optionalString } from './validation.js';

/**
 * `POST /_sandbox/trigger` — what `npm run trigger` calls. Not part of elepay: it lets a developer
 * make the simulator emit one of the documented events (providers/elepay.md §8), either again for
 * an existing object or by driving a fresh charge through the ordinary state machine, so the
 * delivery is the real signed one with the real retry schedule.
 */
export const TRIGGER_EVENTS: readonly ElepayEventType[] = [
  'charge.succeeded',
  'charge.revoked',
  'refund.succeeded',
];

/** The charge once paid stays "succeeded" through later refunds, so all three may re-send it. */
const SUCCEEDED_CHARGE: readonly ChargeStatus[] = ['captured', 'partially_refunded', 'refunded'];

/** A fresh fixture's amounts (JPY has no minor unit, so 1000 is ¥1,000). */
const FIXTURE_AMOUNT = 1000n;
const FIXTURE_REFUND = 100n;

export interface TriggerOptions {
  ledger: ElepayLedger;
  /** The same sink the ledger fires into: a re-send goes down the exact path of a live event. */
  emit: EventSink;
  /** False when the simulator runs without a webhook URL; the sink then drops every event. */
  webhookConfigured: boolean;
}

type TriggeredObject = ChargeDto | RefundDto;

export function triggerRoute({ ledger, emit, webhookConfigured }: TriggerOptions): SandboxRoute {
  let fixtures = 0;
  // Date.now() alone could repeat within one millisecond, and orderNo must be unique (§9).
  const fixtureOrderNo = () => `trigger-${Date.now()}-${++fixtures}`;

  const resend = (event: ElepayEventType, id: string, chargeId: string | null): TriggeredObject => {
    if (event === 'refund.succeeded') {
      const charge = chargeId === null ? chargeOwningRefund(ledger, id) : ledger.charge(chargeId);
      const refund = ledger.refund(charge, id);
      if (refund.status !== 'refunded')
        throw invalidStatus('send refund.succeeded for the refund', refund.status);
      const dto = toRefundDto(refund);
      emit(event, dto, refund.id);
      return dto;
    }
    const charge = ledger.charge(id);
    const fits =
      event === 'charge.revoked' ? charge.status === 'revoked' : SUCCEEDED_CHARGE.includes(charge.status);
    if (!fits) throw invalidStatus(`send ${event} for the charge`, charge.status);
    const dto = ledger.chargeDto(charge);
    emit(event, dto, charge.id);
    return dto;
  };

  /** Builds the object through the ledger's own transitions, which fire the webhooks themselves. */
  const fresh = (event: ElepayEventType): TriggeredObject => {
    const now = Date.now();
    const charge = ledger.createCharge(
      {
        amount: FIXTURE_AMOUNT,
        currency: 'JPY',
        paymentMethod: 'creditcard',
        orderNo: fixtureOrderNo(),
        captureOnPayment: true,
        resource: 'web',
        description: `Sandbox trigger: ${event}`,
        extra: {},
        metadata: {},
        clientIp: null,
      },
      now,
    );
    if (event === 'charge.revoked') return ledger.chargeDto(ledger.settleCharge(charge.id, 'cancel', now));
    ledger.settleCharge(charge.id, 'succeed', now);
    if (event === 'charge.succeeded') return ledger.chargeDto(charge);
    const refund = ledger.createRefund(
      charge.id,
      { amount: FIXTURE_REFUND, currency: null, metadata: {}, reason: 'Sandbox trigger' },
      now,
    );
    return toRefundDto(ledger.settleRefund(charge.id, refund.id, 'succeed', now));
  };

  return {
    method: 'POST',
    path: '/_sandbox/trigger',
    helper: true,
    handler: guarded((request): SandboxReply => {
      const body = bodyObject(request.body);
      const event = oneOf(body.event, 'event', TRIGGER_EVENTS);
      const { id, chargeId } = targetIds(event, body);
      const object = id === null ? fresh(event) : resend(event, id, chargeId);
      return {
        status: 200,
        body: { event, object, webhook: webhookConfigured ? 'queued' : 'no endpoint configured' },
      };
    }, helperStatus),
  };
}

/**
 * For a charge event the charge may be named by `id` or `chargeId` (the CLI's `--charge`); for a
 * refund `id` is the refund and `chargeId` its optional parent.
 */
function targetIds(
  event: ElepayEventType,
  body: Record<string, unknown>,
): { id: string | null; chargeId: string | null } {
  const id = optionalString(body.id, 'id');
  const chargeId = optionalString(body.chargeId, 'chargeId');
  if (event === 'refund.succeeded') {
    if (id === null && chargeId !== null) {
      throw invalid('id', 'refund.succeeded takes the refund ID in id; chargeId only names its charge');
    }
    return { id, chargeId };
  }
  if (id !== null && chargeId !== null && id !== chargeId) {
    throw invalid('chargeId', 'id and chargeId name different charges');
  }
  return { id: id ?? chargeId, chargeId: null };
}

/** Lets a developer re-send a refund by its ID alone: refund IDs are unique across charges. */
function chargeOwningRefund(ledger: ElepayLedger, refundId: string): ChargeRecord {
  const charge = ledger.allCharges().find((c) => c.refundIds.includes(refundId));
  if (!charge) throw refundNotFound();
  return charge;
}
