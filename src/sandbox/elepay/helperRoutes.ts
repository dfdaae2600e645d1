import type { SandboxRoute } from '../server.js';
import { renderCharge, renderRefund } from './render.js';
import type { ElepayState } from './state.js';
import { chargeSettlement, parse, refundSettlement } from './validation.js';

/**
 * Sandbox helper routes standing in for the payer completing a charge and the processor completing
 * a refund: the API cannot complete a test payment (providers/elepay.md §10). Not part of elepay:
 * unauthenticated and not counted; they keep elepay's error body with honest HTTP statuses.
 */
export function helperRoutes(state: ElepayState): SandboxRoute[] {
  return [
    {
      method: 'POST',
      path: '/_sandbox/charges/:id/settle',
      helper: true,
      handler: (request) => {
        const { outcome } = parse(chargeSettlement, request.body);
        const charge = state.settleCharge(request.params.id ?? '', outcome, Date.now());
        return { status: 200, body: renderCharge(state, charge) };
      },
    },
    {
      method: 'POST',
      path: '/_sandbox/charges/:id/refunds/:refundId/settle',
      helper: true,
      handler: (request) => {
        const { outcome } = parse(refundSettlement, request.body);
        const { id = '', refundId = '' } = request.params;
        return { status: 200, body: renderRefund(state.settleRefund(id, refundId, outcome, Date.now())) };
      },
    },
  ];
}
