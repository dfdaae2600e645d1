import type { SandboxRoute } from '../server.js';
import type { ElepayApiError } from './errors.js';
import type { ChargeOutcome, ElepayLedger, RefundOutcome } from './ledger.js';
import { toRefundDto } from './model.js';
import { guarded } from './routes.js';
import { bodyObject, oneOf } from './validation.js';

/**
 * Test-only triggers, not part of elepay (providers/elepay.md §10: the API cannot complete a test
 * payment). They keep elepay's error body but use honest HTTP statuses: 404 not found, 409 wrong
 * state, 400 bad input.
 */
const CHARGE_OUTCOMES: readonly ChargeOutcome[] = ['succeed', 'fail', 'cancel'];
const REFUND_OUTCOMES: readonly RefundOutcome[] = ['succeed', 'fail'];

/** Helper routes answer an honest 404/409 instead of elepay's blanket 400 (also used by trigger.ts). */
export function helperStatus(error: ElepayApiError): ElepayApiError {
  if (error.errorCode === 'M002003') return error.withStatus(404);
  if (error.errorCode === 'M006000') return error.withStatus(409);
  return error;
}

export function helperRoutes(ledger: ElepayLedger): SandboxRoute[] {
  return [
    {
      method: 'POST',
      path: '/_sandbox/charges/:id/settle',
      helper: true,
      handler: guarded((request) => {
        const outcome = oneOf(bodyObject(request.body).outcome, 'outcome', CHARGE_OUTCOMES);
        const charge = ledger.settleCharge(request.params.id ?? '', outcome, Date.now());
        return { status: 200, body: ledger.chargeDto(charge) };
      }, helperStatus),
    },
    {
      method: 'POST',
      path: '/_sandbox/charges/:id/refunds/:refundId/settle',
      helper: true,
      handler: guarded((request) => {
        const outcome = oneOf(bodyObject(request.body).outcome, 'outcome', REFUND_OUTCOMES);
        const { id = '', refundId = '' } = request.params;
        return { status: 200, body: toRefundDto(ledger.settleRefund(id, refundId, outcome, Date.now())) };
      }, helperStatus),
    },
  ];
}
