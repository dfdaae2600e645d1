import { randomBytes } from 'node:crypto';
import type { SandboxReply } from '../server.js';

/**
 * elepay's current error body (providers/elepay.md §7): `errorCode` is the code to branch on,
 * `code` a deprecated `9_…` legacy string, `message` readable text (English here). The catalogue
 * puts every M/U code at HTTP 400, so provider routes always answer 400; only the sandbox helper
 * routes, which are not elepay's, use 404/409.
 */
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

export interface ElepayErrorBody {
  errorCode: ElepayErrorCode;
  code: string;
  message: string;
  requestId: string;
  parameterName: string | null;
  providerError: null;
}

/** Thrown by validation and the state machine; the route wrapper turns it into a reply. */
export class ElepayApiError extends Error {
  constructor(
    readonly errorCode: ElepayErrorCode,
    message: string,
    readonly parameterName: string | null = null,
    /** HTTP status: 400 for provider routes (§7); helper routes pass 404/409. */
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = 'ElepayApiError';
  }

  /** The same error with another HTTP status (helper routes). */
  withStatus(httpStatus: number): ElepayApiError {
    return new ElepayApiError(this.errorCode, this.message, this.parameterName, httpStatus);
  }

  toReply(): SandboxReply {
    const body: ElepayErrorBody = {
      errorCode: this.errorCode,
      code: `9_elepay_${LEGACY_CODES[this.errorCode]}`,
      message: this.message,
      requestId: `req_${randomBytes(12).toString('hex')}`,
      parameterName: this.parameterName,
      providerError: null,
    };
    return { status: this.httpStatus, body };
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
