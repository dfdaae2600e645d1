import type { SandboxReply, SandboxRequest, SandboxRoute } from '../server.js';
import { invalidState, notFound, singleValidationError } from './errors.js';
import { type ElopageContext, notifyTransaction } from './notify.js';
import { refundBlocker, refundPayment } from './payments.js';
import { pathId } from './pricingPlans.js';
import { originOf, renderRefund, renderTransaction } from './render.js';
import { asRecord } from './validation.js';

/** GET /api/payments/:id (payments and refund transactions alike) and the full refund. */
export function paymentRoutes(context: ElopageContext): SandboxRoute[] {
  const { tables } = context;

  const read = (request: SandboxRequest): SandboxReply => {
    const id = pathId(request);
    const row = id ? tables.transactions.get(id) : undefined;
    if (!row) return notFound('payment not found');
    return { status: 200, body: renderTransaction(row, originOf(request)) };
  };

  const refund = (request: SandboxRequest): SandboxReply => {
    const id = pathId(request);
    const payment = id ? tables.transactions.get(id) : undefined;
    if (!payment) return notFound('payment not found');
    // elopage refunds in full only; the endpoint takes no amount (providers/elopage.md quirk 8).
    if (asRecord(request.body)?.amount !== undefined) {
      return singleValidationError('amount', 'partial refunds are not supported');
    }
    if (payment.kind === 'refund') return invalidState('a refund transaction cannot be refunded');
    const blocker = refundBlocker(payment);
    if (blocker) return invalidState(blocker);
    const row = refundPayment(tables, payment, new Date());
    notifyTransaction(context, row, originOf(request));
    return { status: 200, body: renderRefund(row) };
  };

  return [
    { method: 'GET', path: '/api/payments/:id', handler: read },
    { method: 'POST', path: '/api/payments/:id/refund', handler: refund },
  ];
}
