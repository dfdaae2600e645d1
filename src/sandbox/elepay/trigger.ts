/**
 * `POST /_sandbox/trigger` — what `npm run trigger` calls. Not part of elepay: it lets a developer
 * make the simulator emit one of the documented events (providers/elepay.md §8), either again for
 * an existing object or by driving a fresh charge through the ordinary state machine, so the
 * delivery is the real signed one with the real retry schedule.
 */

import type { ElepayChargeWire, ElepayRefundWire } from '../../providers/elepay/wire.js';
import type { Sent } from '../sent.js';
import type { SandboxRoute } from '../server.js';
import { invalid, invalidStatus, refundNotFound } from './errors.js';
import type { ChargeRecord, ChargeStatus, ElepayEventType } from './model.js';
import { renderCharge, renderRefund } from './render.js';
import type { ElepayState, EventSink } from './state.js';
import { parse, triggerRequest } from './validation.js';

/** The charge once paid stays "succeeded" through later refunds, so all three may re-send it. */
const SUCCEEDED_CHARGE: readonly ChargeStatus[] = ['captured', 'partially_refunded', 'refunded'];

/** A fresh fixture's amounts (JPY has no minor unit, so 1000 is ¥1,000). */
const FIXTURE_AMOUNT = 1000n;
const FIXTURE_REFUND = 100n;

export interface TriggerOptions {
  state: ElepayState;
  /** The same sink the state fires into: a re-send goes down the exact path of a live event. */
  emit: EventSink;
  /** False when the simulator runs without a webhook URL; the sink then drops every event. */
  webhookConfigured: boolean;
}

type TriggeredObject = Sent<ElepayChargeWire> | Sent<ElepayRefundWire>;

export function triggerRoute({ state, emit, webhookConfigured }: TriggerOptions): SandboxRoute {
  let fixtures = 0;
  // Date.now() alone could repeat within one millisecond, and orderNo must be unique (§9).
  const fixtureOrderNo = () => `trigger-${Date.now()}-${++fixtures}`;

  const resend = (event: ElepayEventType, id: string, chargeId: string | null): TriggeredObject => {
    if (event === 'refund.succeeded') {
      const charge = chargeId === null ? chargeOwningRefund(state, id) : state.charge(chargeId);
      const refund = state.refund(charge, id);
      if (refund.status !== 'refunded')
        throw invalidStatus('send refund.succeeded for the refund', refund.status);
      emit({ type: event, refund });
      return renderRefund(refund);
    }
    const charge = state.charge(id);
    const fits =
      event === 'charge.revoked' ? charge.status === 'revoked' : SUCCEEDED_CHARGE.includes(charge.status);
    if (!fits) throw invalidStatus(`send ${event} for the charge`, charge.status);
    emit({ type: event, charge });
    return renderCharge(state, charge);
  };

  /** Builds the object through the state's own transitions, which fire the webhooks themselves. */
  const fresh = (event: ElepayEventType): TriggeredObject => {
    const now = Date.now();
    const charge = state.createCharge(
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
    if (event === 'charge.revoked') return renderCharge(state, state.settleCharge(charge.id, 'cancel', now));
    state.settleCharge(charge.id, 'succeed', now);
    if (event === 'charge.succeeded') return renderCharge(state, charge);
    const refund = state.createRefund(
      charge.id,
      { amount: FIXTURE_REFUND, currency: null, metadata: {}, reason: 'Sandbox trigger' },
      now,
    );
    return renderRefund(state.settleRefund(charge.id, refund.id, 'succeed', now));
  };

  return {
    method: 'POST',
    path: '/_sandbox/trigger',
    helper: true,
    handler: (request) => {
      const { event, ...ids } = parse(triggerRequest, request.body);
      const { id, chargeId } = targetIds(event, ids);
      const object = id === null ? fresh(event) : resend(event, id, chargeId);
      return {
        status: 200,
        body: { event, object, webhook: webhookConfigured ? 'queued' : 'no endpoint configured' },
      };
    },
  };
}

/**
 * For a charge event the charge may be named by `id` or `chargeId` (the CLI's `--charge`); for a
 * refund `id` is the refund and `chargeId` its optional parent.
 */
function targetIds(
  event: ElepayEventType,
  given: { id?: string | undefined; chargeId?: string | undefined },
): { id: string | null; chargeId: string | null } {
  const id = given.id ?? null;
  const chargeId = given.chargeId ?? null;
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
function chargeOwningRefund(state: ElepayState, refundId: string): ChargeRecord {
  const charge = state.allCharges().find((c) => c.refundIds.includes(refundId));
  if (!charge) throw refundNotFound();
  return charge;
}
