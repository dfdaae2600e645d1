/**
 * `POST /_sandbox/trigger` — what `npm run trigger` calls. Not part of elopage, whose webhooks carry
 * no event type (providers/elopage.md quirk 7): the event names here only say which state the posted
 * payment (or refund) is in. Either the existing transaction is posted again, or a fresh checkout is
 * made that ends in that state, posting its body the way every checkout does.
 */

import type { SandboxReply, SandboxRoute } from '../server.js';
import { fieldInvalid, invalidState } from './errors.js';
import { DEFAULT_PAYER } from './helperRoutes.js';
import {
  type ElopageTriggerEvent,
  OPEN_STATES,
  type PaymentMethod,
  type PaymentState,
  type SalesPageRow,
  SUCCEEDED_STATES,
  type TransactionRow,
} from './model.js';
import { originOf, renderTransaction } from './render.js';
import { checkoutState, type ElopageState, type EventSink } from './state.js';
import { parse, triggerRequest } from './validation.js';
import { hasUsableWebhook } from './webhooks.js';

/** The document's test data: a succeeding card, the succeeding SEPA IBAN (stays pending), an unknown card. */
const TEST_CARD = '5017670000005900';
const DECLINED_CARD = '4000000000000002';
const SEPA_IBAN = 'DE89370400440532013000';

/** Which transactions each event may re-send; `waiting` is elopage's other not-yet-paid state. */
const MATCHING_STATES: Record<Exclude<ElopageTriggerEvent, 'refund.successful'>, readonly PaymentState[]> = {
  'payment.successful': SUCCEEDED_STATES,
  'payment.pending': OPEN_STATES,
  'payment.error': ['error'],
  'payment.canceled': ['canceled'],
};

/** The checkout a fresh fixture makes; the rules of checkoutState decide the state it ends in. */
function fixtureCheckout(event: ElopageTriggerEvent): { method: PaymentMethod; state: PaymentState } {
  switch (event) {
    case 'payment.pending':
      return { method: 'bank_account', state: checkoutState('bank_account', 'pending', null, SEPA_IBAN) };
    case 'payment.error':
      return { method: 'card', state: checkoutState('card', 'succeed', DECLINED_CARD, null) };
    case 'payment.canceled':
      return { method: 'card', state: checkoutState('card', 'cancel', TEST_CARD, null) };
    default:
      return { method: 'card', state: checkoutState('card', 'succeed', TEST_CARD, null) };
  }
}

/** Throws unless `page` has somewhere to post to. */
function requireWebhook(page: SalesPageRow): SalesPageRow {
  if (!hasUsableWebhook(page)) {
    throw fieldInvalid('webhook_url', `sales page ${page.id} has no http(s) webhook_url to post to`);
  }
  return page;
}

/** Why `row` cannot be re-sent as `event`, or null when it can. */
function mismatch(event: ElopageTriggerEvent, row: TransactionRow): string | null {
  if (event === 'refund.successful') {
    if (row.kind === 'refund') return null;
    return row.refundId === null
      ? `transaction ${row.id} is a payment that has not been refunded`
      : `transaction ${row.id} is a payment; its refund is ${row.refundId}`;
  }
  if (row.kind === 'refund') return `transaction ${row.id} is a refund; use refund.successful`;
  if (MATCHING_STATES[event].includes(row.state)) return null;
  const hint = OPEN_STATES.includes(row.state)
    ? ` (settle it first: POST /_sandbox/payments/${row.id}/settle)`
    : '';
  return `payment ${row.id} is ${row.state}, not what ${event} reports${hint}`;
}

export interface TriggerOptions {
  state: ElopageState;
  /** The same sink the state fires into: a re-send goes down the exact path of a live webhook. */
  emit: EventSink;
}

export function triggerRoute({ state, emit }: TriggerOptions): SandboxRoute {
  const resend = (event: ElopageTriggerEvent, id: string): TransactionRow => {
    const row = state.transaction(id);
    const problem = mismatch(event, row);
    if (problem) throw invalidState(problem);
    requireWebhook(state.salesPage(row.salesPageId));
    emit(row);
    return row;
  };

  /** Checks out through the state's own transitions, which fire the webhooks themselves. */
  const fresh = (event: ElopageTriggerEvent, pageId: string | null): TransactionRow => {
    // Without a page named, the newest page is most likely the one the developer just made.
    const page =
      pageId === null
        ? state.allSalesPages().reverse().find(hasUsableWebhook)
        : requireWebhook(state.salesPage(pageId));
    if (!page) {
      throw fieldInvalid(
        'sales_page_id',
        'no sales page has an http(s) webhook_url; create one (createSalesPage on the gateway sets it) or name one',
      );
    }
    const plan = state.plansOf(page)[0];
    if (!plan) throw fieldInvalid('sales_page_id', `sales page ${page.id} has no pricing plan`);
    const at = new Date();
    const payment = state.createPayment({
      page,
      plan,
      ...fixtureCheckout(event),
      payer: { ...DEFAULT_PAYER },
      at,
    });
    return event === 'refund.successful' ? state.refund(payment, at) : payment;
  };

  return {
    method: 'POST',
    path: '/_sandbox/trigger',
    helper: true,
    handler: (request): SandboxReply => {
      // 400 rather than elopage's 422, which this route keeps for "nowhere to post the webhook".
      const { event, id, sales_page_id } = parse(triggerRequest, request.body, 400);
      const row = id ? resend(event, id) : fresh(event, sales_page_id ?? null);
      return {
        status: 200,
        body: { event, object: renderTransaction(row, originOf(request)), webhook: 'queued' },
      };
    },
  };
}
