import type { LosslessNumber } from 'lossless-json';
import { jsonNumber } from '../../providers/json.js';
import type { SandboxReply, SandboxRequest, SandboxRoute } from '../server.js';
import { ElepayApiError } from './errors.js';
import type { ElepayLedger } from './ledger.js';
import { listCharges, parseChargeListQuery } from './list.js';
import { toChargeStatusDto, toRefundDto } from './model.js';
import { parseCaptureRequest, parseChargeRequest, parseRefundRequest } from './requests.js';

/** The nine Charge/Refund endpoints of providers/elepay.md §3, at the API root. */
export function providerRoutes(ledger: ElepayLedger): SandboxRoute[] {
  const id = (request: SandboxRequest): string => request.params.id ?? '';
  return [
    {
      method: 'GET',
      path: '/charges',
      handler: guarded((request) => {
        const { total, page } = listCharges(ledger.allCharges(), parseChargeListQuery(request.query));
        return ok(200, { total: num(total), charges: page.map((c) => ledger.chargeDto(c)) });
      }),
    },
    {
      method: 'POST',
      path: '/charges',
      handler: guarded((request) => {
        const charge = ledger.createCharge(parseChargeRequest(request.body), Date.now());
        return ok(201, ledger.chargeDto(charge));
      }),
    },
    {
      method: 'GET',
      path: '/charges/:id',
      handler: guarded((request) => ok(200, ledger.chargeDto(ledger.charge(id(request))))),
    },
    {
      method: 'POST',
      path: '/charges/:id/capture',
      handler: guarded((request) => {
        ledger.charge(id(request)); // not found wins over a bad body
        const { amount, extra } = parseCaptureRequest(request.body);
        return ok(200, ledger.chargeDto(ledger.capture(id(request), amount, extra, Date.now())));
      }),
    },
    {
      method: 'POST',
      path: '/charges/:id/revoke',
      handler: guarded((request) => ok(200, ledger.chargeDto(ledger.revoke(id(request))))),
    },
    {
      method: 'GET',
      path: '/charges/:id/status',
      handler: guarded((request) => ok(200, toChargeStatusDto(ledger.charge(id(request))))),
    },
    {
      method: 'GET',
      path: '/charges/:id/refunds',
      handler: guarded((request) => {
        const refunds = ledger.refundsOf(ledger.charge(id(request)));
        return ok(200, { total: num(refunds.length), refunds: refunds.map(toRefundDto) });
      }),
    },
    {
      method: 'POST',
      path: '/charges/:id/refunds',
      handler: guarded((request) => {
        ledger.charge(id(request));
        const refund = ledger.createRefund(id(request), parseRefundRequest(request.body), Date.now());
        return ok(201, toRefundDto(refund));
      }),
    },
    {
      method: 'GET',
      path: '/charges/:id/refunds/:refundId',
      handler: guarded((request) => {
        const charge = ledger.charge(id(request));
        return ok(200, toRefundDto(ledger.refund(charge, request.params.refundId ?? '')));
      }),
    },
  ];
}

/** Runs a handler and answers elepay errors with their body; anything else is a real bug (500). */
export function guarded(
  handler: (request: SandboxRequest) => SandboxReply,
  mapError: (error: ElepayApiError) => ElepayApiError = (error) => error,
): (request: SandboxRequest) => SandboxReply {
  return (request) => {
    try {
      return handler(request);
    } catch (error) {
      if (error instanceof ElepayApiError) return mapError(error).toReply();
      throw error;
    }
  };
}

function ok(status: number, body: unknown): SandboxReply {
  return { status, body };
}

function num(value: number): LosslessNumber {
  return jsonNumber(value.toString());
}
