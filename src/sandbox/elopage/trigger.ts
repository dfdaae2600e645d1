import type { SandboxReply, SandboxRequest, SandboxRoute } from '../server.js';
import { checkoutState, DEFAULT_PAYER } from './checkout.js';
import { invalidState, notFound, singleValidationError } from './errors.js';
import { type ElopageContext, hasUsableWebhook, notifyTransaction } from './notify.js';
import { createPayment, OPEN_STATES, refundPayment, SUCCEEDED_STATES } from './payments.js';
import { originOf, renderTransaction } from './render.js';
import type { PaymentMethod, PaymentState, SalesPageRow, TransactionRow } from './types.js';
import { asRecord, idText } from './validation.js';

/**
 * `POST /_sandbox/trigger` — what `npm run trigger` calls. Not part of elopage, whose webhooks carry
 * no event type (providers/elopage.md quirk 7): the event names here only say which state the posted
 * payment (or refund) is in. Either the existing transaction is posted again, or a fresh checkout is
 * made that ends in that state, posting its body the way every checkout does.
 */
export const TRIGGER_EVENTS = [
  'payment.successful',
  'payment.pending',
  'payment.error',
  'payment.canceled',
  'refund.successful',
] as const;
export type ElopageTriggerEvent = (typeof TRIGGER_EVENTS)[number];

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
      return {
        method: 'bank_account',
        state: checkoutState('bank_account', 'pending', undefined, SEPA_IBAN),
      };
    case 'payment.error':
      return { method: 'card', state: checkoutState('card', 'succeed', DECLINED_CARD, undefined) };
    case 'payment.canceled':
      return { method: 'card', state: checkoutState('card', 'cancel', TEST_CARD, undefined) };
    default:
      return { method: 'card', state: checkoutState('card', 'succeed', TEST_CARD, undefined) };
  }
}

function noWebhook(page: SalesPageRow): SandboxReply {
  return singleValidationError('webhook_url', `sales page ${page.id} has no http(s) webhook_url to post to`);
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

export function triggerRoute(context: ElopageContext): SandboxRoute {
  const { tables } = context;

  const resend = (event: ElopageTriggerEvent, id: string, origin: string): SandboxReply => {
    const row = tables.transactions.get(id);
    if (!row) return notFound('payment not found');
    const problem = mismatch(event, row);
    if (problem) return invalidState(problem);
    const page = tables.salesPages.get(row.salesPageId);
    if (!page) return notFound('the sales page of this payment no longer exists');
    if (!hasUsableWebhook(page)) return noWebhook(page);
    notifyTransaction(context, row, origin);
    return triggered(event, row, origin);
  };

  const fresh = (event: ElopageTriggerEvent, pageId: string | null, origin: string): SandboxReply => {
    let page: SalesPageRow | undefined;
    if (pageId !== null) {
      page = tables.salesPages.get(pageId);
      if (!page) return notFound('sales page not found');
      if (!hasUsableWebhook(page)) return noWebhook(page);
    } else {
      // The newest page is most likely the one the developer just made through the gateway.
      page = tables.salesPages.all().reverse().find(hasUsableWebhook);
      if (!page) {
        return singleValidationError(
          'sales_page_id',
          'no sales page has an http(s) webhook_url; create one (createSalesPage on the gateway sets it) or name one',
        );
      }
    }
    const plan = tables.plansOf(page)[0];
    if (!plan) return singleValidationError('sales_page_id', `sales page ${page.id} has no pricing plan`);
    const { method, state } = fixtureCheckout(event);
    const at = new Date();
    const payment = createPayment(tables, { page, plan, method, state, payer: { ...DEFAULT_PAYER }, at });
    notifyTransaction(context, payment, origin);
    if (event !== 'refund.successful') return triggered(event, payment, origin);
    const refund = refundPayment(tables, payment, at);
    notifyTransaction(context, refund, origin);
    return triggered(event, refund, origin);
  };

  return {
    method: 'POST',
    path: '/_sandbox/trigger',
    helper: true,
    handler: (request: SandboxRequest): SandboxReply => {
      const body = asRecord(request.body) ?? {};
      const event = (TRIGGER_EVENTS as readonly unknown[]).includes(body.event)
        ? (body.event as ElopageTriggerEvent)
        : null;
      // 400 rather than elopage's 422, which this route keeps for "nowhere to post the webhook".
      if (!event)
        return {
          ...singleValidationError('event', `must be one of ${TRIGGER_EVENTS.join(', ')}`),
          status: 400,
        };
      const origin = originOf(request);
      if (body.id !== undefined && body.id !== null) {
        const id = idText(body.id);
        return id ? resend(event, id, origin) : notFound('payment not found');
      }
      if (body.sales_page_id !== undefined && body.sales_page_id !== null) {
        const pageId = idText(body.sales_page_id);
        return pageId ? fresh(event, pageId, origin) : notFound('sales page not found');
      }
      return fresh(event, null, origin);
    },
  };
}

function triggered(event: ElopageTriggerEvent, row: TransactionRow, origin: string): SandboxReply {
  return { status: 200, body: { event, object: renderTransaction(row, origin), webhook: 'queued' } };
}
