/**
 * elepay's current error body (providers/elepay.md §7): `errorCode` is the code to branch on,
 * `code` a deprecated `9_…` legacy string, `message` readable text (English here). The catalogue
 * puts every M/U code at HTTP 400, so provider routes always answer 400; the sandbox helper routes,
 * which are not elepay's, answer 404 for "not found" and 409 for "wrong status".
 */

import { randomBytes } from 'node:crypto';
import type { ElepayErrorWire } from '../../providers/elepay/wire.js';
import { ProviderError } from '../errors.js';
import type { Sent } from '../sent.js';
import type { SandboxReply } from '../server.js';

export type ElepayErrorCode =
  | 'M001002'
  | 'M002001'
  | 'M002002'
  | 'M002003'
  | 'M002004'
  | 'M002005'
  | 'M002007'
  | 'M002009'
  | 'M004001'
  | 'M004002'
  | 'M006000'
  | 'M006007'
  | 'U008001';

/**
 * Legacy numbers from the legacy table (§7) where one fits; the rest get the errorCode itself so
 * the deprecated field is never empty.
 */
const LEGACY_CODES: Record<ElepayErrorCode, string> = {
  M001002: '10003',
  M002001: '40027',
  M002002: '40027',
  M002003: '10111',
  M002004: '40022',
  M002005: '40026',
  M002007: '40022',
  M002009: '40023',
  M004001: 'M004001',
  M004002: 'M004002',
  M006000: '10109',
  M006007: 'M006007',
  U008001: '10102',
};

const HELPER_ROUTE_STATUS: Partial<Record<ElepayErrorCode, number>> = { M002003: 404, M006000: 409 };

export class ElepayApiError extends ProviderError {
  constructor(
    readonly errorCode: ElepayErrorCode,
    message: string,
    readonly parameterName: string | null = null,
    /** A more precise legacy number than the errorCode's usual one (40035 "invalid resource"). */
    readonly legacyCode: string = LEGACY_CODES[errorCode],
  ) {
    super(message);
    this.name = 'ElepayApiError';
  }

  toReply(helperRoute: boolean): SandboxReply {
    const body: Sent<ElepayErrorWire> = {
      errorCode: this.errorCode,
      code: `9_elepay_${this.legacyCode}`,
      message: this.message,
      requestId: `req_${randomBytes(12).toString('hex')}`,
      parameterName: this.parameterName,
      providerError: null,
    };
    return { status: (helperRoute && HELPER_ROUTE_STATUS[this.errorCode]) || 400, body };
  }
}

export function missing(parameterName: string): ElepayApiError {
  return new ElepayApiError('M002001', `Required parameter is missing: ${parameterName}`, parameterName);
}

export function invalid(parameterName: string | null, detail: string): ElepayApiError {
  return new ElepayApiError('M002002', `Invalid parameter value: ${detail}`, parameterName);
}

export function chargeNotFound(): ElepayApiError {
  return new ElepayApiError('M002003', 'The charge does not exist', 'id');
}

export function refundNotFound(): ElepayApiError {
  return new ElepayApiError('M002003', 'The refund does not exist', 'refundId');
}

export function invalidStatus(what: string, status: string): ElepayApiError {
  return new ElepayApiError('M006000', `Cannot ${what} in the current status (${status})`);
}

export function amountTooLarge(parameterName: string, detail: string): ElepayApiError {
  return new ElepayApiError('U008001', `The amount is too large: ${detail}`, parameterName);
}
