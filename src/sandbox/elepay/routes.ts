import type { SandboxRequest, SandboxRoute } from '../server.js';
import {
  renderCharge,
  renderChargeList,
  renderChargeStatus,
  renderRefund,
  renderRefundList,
} from './render.js';
import type { ElepayState } from './state.js';
import { captureRequest, chargeRequest, parse, parseChargeListQuery, refundRequest } from './validation.js';

/** The nine Charge/Refund endpoints of providers/elepay.md §3, at the API root. */
export function providerRoutes(state: ElepayState): SandboxRoute[] {
  const chargeOf = (request: SandboxRequest) => state.charge(request.params.id ?? '');
  return [
    {
      method: 'GET',
      path: '/charges',
      handler: (request) => {
        const { total, page } = state.listCharges(parseChargeListQuery(request.query));
        return { status: 200, body: renderChargeList(state, total, page) };
      },
    },
    {
      method: 'POST',
      path: '/charges',
      handler: (request) => {
        const charge = state.createCharge(parse(chargeRequest, request.body), Date.now());
        return { status: 201, body: renderCharge(state, charge) };
      },
    },
    {
      method: 'GET',
      path: '/charges/:id',
      handler: (request) => ({ status: 200, body: renderCharge(state, chargeOf(request)) }),
    },
    {
      method: 'POST',
      path: '/charges/:id/capture',
      handler: (request) => {
        const charge = chargeOf(request); // not found wins over a bad body
        const { amount, extra } = parse(captureRequest, request.body);
        return {
          status: 200,
          body: renderCharge(state, state.capture(charge.id, amount, extra, Date.now())),
        };
      },
    },
    {
      method: 'POST',
      path: '/charges/:id/revoke',
      handler: (request) => ({ status: 200, body: renderCharge(state, state.revoke(chargeOf(request).id)) }),
    },
    {
      method: 'GET',
      path: '/charges/:id/status',
      handler: (request) => ({ status: 200, body: renderChargeStatus(chargeOf(request)) }),
    },
    {
      method: 'GET',
      path: '/charges/:id/refunds',
      handler: (request) => ({ status: 200, body: renderRefundList(state.refundsOf(chargeOf(request))) }),
    },
    {
      method: 'POST',
      path: '/charges/:id/refunds',
      handler: (request) => {
        const charge = chargeOf(request);
        const refund = state.createRefund(charge.id, parse(refundRequest, request.body), Date.now());
        return { status: 201, body: renderRefund(refund) };
      },
    },
    {
      method: 'GET',
      path: '/charges/:id/refunds/:refundId',
      handler: (request) => {
        const refund = state.refund(chargeOf(request), request.params.refundId ?? '');
        return { status: 200, body: renderRefund(refund) };
      },
    },
  ];
}
