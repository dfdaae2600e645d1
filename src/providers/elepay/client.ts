import { ProviderError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import {
  asRecord,
  type FreshRead,
  outcomeUnknown,
  ProviderHttp,
  type ProviderRequest,
  stringField,
} from '../http.js';
import type {
  ElepayCaptureRequestWire,
  ElepayChargeRequestWire,
  ElepayChargeStatusWire,
  ElepayChargesResponseWire,
  ElepayChargeWire,
  ElepayListChargesQuery,
  ElepayRefundRequestWire,
  ElepayRefundsResponseWire,
  ElepayRefundWire,
} from './wire.js';

export interface ElepayClientOptions {
  baseUrl: string;
  secretKey: string;
  authScheme: 'basic' | 'bearer';
  timeoutMs: number;
  maxConcurrency: number;
  breakerCooldownMs: number;
  logger: Logger;
  metrics?: Metrics;
}

export type ElepaySandboxOutcome = 'succeed' | 'fail' | 'cancel';

/**
 * Every elepay Charge and Refund endpoint (providers/elepay.md §3). Returns wire objects; mapping
 * to the domain happens in map.ts. A lookup of something that does not exist returns null.
 */
export class ElepayClient {
  private readonly http: ProviderHttp;
  private readonly authorization: string;

  constructor(options: ElepayClientOptions) {
    // §2: Basic with the secret key as user and an empty password, or Bearer with the key itself.
    this.authorization =
      options.authScheme === 'bearer'
        ? `Bearer ${options.secretKey}`
        : `Basic ${Buffer.from(`${options.secretKey}:`).toString('base64')}`;
    this.http = new ProviderHttp({
      provider: 'ELEPAY',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      maxConcurrency: options.maxConcurrency,
      breakerCooldownMs: options.breakerCooldownMs,
      logger: options.logger,
      metrics: options.metrics,
      describeFailure: describeElepayFailure,
    });
  }

  async listCharges(query: ElepayListChargesQuery): Promise<ElepayChargesResponseWire> {
    const { limit, offset, ...rest } = query;
    const body = await this.call({
      method: 'GET',
      path: '/charges',
      route: 'GET /charges',
      query: { ...rest, limit: limit?.toString(), offset: offset?.toString() },
    });
    return listOf(body, 'charges') as ElepayChargesResponseWire;
  }

  createCharge(body: ElepayChargeRequestWire): Promise<ElepayChargeWire> {
    return this.write({ method: 'POST', path: '/charges', route: 'POST /charges', body });
  }

  /** `fresh`: do not join an identical read in flight (a webhook said it just changed). */
  getCharge(id: string, { fresh }: FreshRead = {}): Promise<ElepayChargeWire | null> {
    return this.orNull(
      this.call({ method: 'GET', path: `/charges/${enc(id)}`, route: 'GET /charges/:id', fresh }),
    );
  }

  captureCharge(id: string, body: ElepayCaptureRequestWire): Promise<ElepayChargeWire> {
    return this.write({
      method: 'POST',
      path: `/charges/${enc(id)}/capture`,
      route: 'POST /charges/:id/capture',
      body,
    });
  }

  /** Cancels (voids) a pending or authorized charge. */
  revokeCharge(id: string): Promise<ElepayChargeWire> {
    return this.write({
      method: 'POST',
      path: `/charges/${enc(id)}/revoke`,
      route: 'POST /charges/:id/revoke',
    });
  }

  getChargeStatus(id: string): Promise<ElepayChargeStatusWire | null> {
    return this.orNull(
      this.call({ method: 'GET', path: `/charges/${enc(id)}/status`, route: 'GET /charges/:id/status' }),
    );
  }

  async listRefunds(chargeId: string, { fresh }: FreshRead = {}): Promise<ElepayRefundsResponseWire | null> {
    const body = await this.orNull(
      this.call({
        method: 'GET',
        path: `/charges/${enc(chargeId)}/refunds`,
        route: 'GET /charges/:id/refunds',
        fresh,
      }),
    );
    return body === null ? null : (listOf(body, 'refunds') as ElepayRefundsResponseWire);
  }

  createRefund(chargeId: string, body: ElepayRefundRequestWire): Promise<ElepayRefundWire> {
    return this.write({
      method: 'POST',
      path: `/charges/${enc(chargeId)}/refunds`,
      route: 'POST /charges/:id/refunds',
      body,
    });
  }

  getRefund(chargeId: string, refundId: string, { fresh }: FreshRead = {}): Promise<ElepayRefundWire | null> {
    return this.orNull(
      this.call({
        method: 'GET',
        path: `/charges/${enc(chargeId)}/refunds/${enc(refundId)}`,
        route: 'GET /charges/:id/refunds/:refundId',
        fresh,
      }),
    );
  }

  // Test helpers of the embedded simulator (src/sandbox/elepay): not part of elepay's API.

  sandboxSettleCharge(id: string, outcome: ElepaySandboxOutcome): Promise<ElepayChargeWire> {
    return this.call({
      method: 'POST',
      path: `/_sandbox/charges/${enc(id)}/settle`,
      route: 'POST /_sandbox/charges/:id/settle',
      body: { outcome },
    }) as Promise<ElepayChargeWire>;
  }

  sandboxSettleRefund(
    chargeId: string,
    refundId: string,
    outcome: ElepaySandboxOutcome,
  ): Promise<ElepayRefundWire> {
    return this.call({
      method: 'POST',
      path: `/_sandbox/charges/${enc(chargeId)}/refunds/${enc(refundId)}/settle`,
      route: 'POST /_sandbox/charges/:id/refunds/:refundId/settle',
      body: { outcome },
    }) as Promise<ElepayRefundWire>;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private call(request: ProviderRequest): Promise<unknown> {
    return this.http.send({
      ...request,
      headers: { authorization: this.authorization, 'accept-language': 'en' },
    });
  }

  /**
   * A charge or refund write: an answer that names no object is no proof of what happened (the
   * write reached elepay), so it is an unknown outcome rather than a failure.
   */
  private async write<T>(request: ProviderRequest): Promise<T> {
    const body = await this.call(request);
    if (stringField(asRecord(body), 'id') === undefined) throw outcomeUnknown('ELEPAY');
    return body as T;
  }

  private async orNull<T>(pending: Promise<unknown>): Promise<T | null> {
    try {
      return (await pending) as T;
    } catch (error) {
      if (error instanceof ProviderError && error.failure === 'NOT_FOUND') return null;
      throw error;
    }
  }
}

/** A list answer whose list is missing is no answer (it would read as "none"). */
function listOf(body: unknown, field: string): unknown {
  if (!Array.isArray(asRecord(body)[field])) {
    throw new ProviderError('ELEPAY', 'UNAVAILABLE', `elepay answered a list without ${field}`);
  }
  return body;
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

/** Readable sentences for the errorCodes a user can act on (§7); others get a generic one. */
const KNOWN_REFUSALS: Record<string, string> = {
  M001002: 'elepay does not accept this payment method',
  M002001: 'elepay is missing a required parameter',
  M002002: 'elepay rejected a parameter value',
  M002004: 'elepay already has a charge with this order number',
  M002005: 'elepay does not support this operation',
  M002007: 'this order number was already paid at elepay',
  M002009: 'elepay does not support this currency',
  M006000: 'the charge or refund is not in a state that allows this',
  M006001: 'another operation on this charge is in progress at elepay',
  M006006: 'a disputed charge cannot be refunded',
  M006007: 'a completed payment cannot be cancelled; refund it instead',
  U008000: 'elepay rejected the amount as out of range',
  U008001: 'the amount is larger than elepay allows here',
  U008002: 'the amount is smaller than elepay allows',
};

/**
 * Classifies an elepay error answer (§7). The catalogue puts every M/U error at HTTP 400, so the
 * class comes from `errorCode` first and the HTTP status second; legacy bodies carry a snake_case
 * `code` or `type`. Only the code and the parameter name leave this function, never the message.
 */
export function describeElepayFailure(status: number, body: unknown): ProviderError {
  const record = asRecord(body);
  const errorCode = stringField(record, 'errorCode');
  const legacyCode = stringField(record, 'code');
  const legacyType = stringField(record, 'type');
  const parameter = stringField(record, 'parameterName');
  const code = errorCode ?? legacyCode;

  if (
    status === 401 ||
    status === 403 ||
    errorCode === 'M004001' ||
    errorCode === 'M004002' ||
    legacyType === 'authentication_error' ||
    legacyCode?.startsWith('auth_')
  ) {
    return new ProviderError('ELEPAY', 'AUTH_FAILED', 'elepay refused the credentials', status, code);
  }
  if (
    status === 404 ||
    errorCode === 'M002003' ||
    legacyType === 'not_found_error' ||
    legacyCode?.startsWith('not_found')
  ) {
    return new ProviderError('ELEPAY', 'NOT_FOUND', 'elepay has no such object', status, code);
  }
  if (status >= 500 || errorCode?.startsWith('S') || errorCode === 'M005000' || status === 429) {
    return new ProviderError('ELEPAY', 'UNAVAILABLE', 'elepay is unavailable', status, code);
  }
  const sentence = (code && KNOWN_REFUSALS[code]) ?? 'elepay rejected the request';
  return new ProviderError(
    'ELEPAY',
    'REJECTED',
    `${sentence}${parameter ? ` (parameter ${parameter})` : ''}${code ? ` [${code}]` : ''}`,
    status,
    code,
  );
}
