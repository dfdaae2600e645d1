/**
 * Every elepay Charge and Refund endpoint the gateway uses (providers/elepay.md §3), in domain
 * terms: requests are built by requests.ts, answers checked and mapped by map.ts with the status
 * table this client was made with, failures classified by failures.ts. A lookup of something that
 * does not exist returns null.
 */
import { z } from 'zod';
import type { Charge, ElepayRefund } from '../../domain/model.js';
import type { Money } from '../../domain/money.js';
import type { ChargeListQuery, ChargePage, NewCharge, NewRefund } from '../../domain/requests.js';
import type { StatusNormalizer } from '../../domain/status.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import {
  type FreshRead,
  outcomeUnknown,
  ProviderHttp,
  type ProviderRequest,
  unlessNotFound,
} from '../http.js';
import { mappedOnce } from '../sharedReads.js';
import { describeElepayFailure } from './failures.js';
import { toCharge, toChargePage, toElepayRefund, toElepayRefunds } from './map.js';
import { captureRequest, chargeListQuery, chargeRequest, refundRequest } from './requests.js';

export interface ElepayClientOptions {
  baseUrl: string;
  secretKey: string;
  authScheme: 'basic' | 'bearer';
  timeoutMs: number;
  maxConcurrency: number;
  breakerCooldownMs: number;
  logger: Logger;
  metrics?: Metrics;
  /** Normalizes elepay's raw statuses (one per gateway, so each unknown status is logged once). */
  statuses: StatusNormalizer;
}

/** §2: Basic with the secret key as user and an empty password, or Bearer with the key itself. */
export function elepayHeaders(options: Pick<ElepayClientOptions, 'secretKey' | 'authScheme'>) {
  const authorization =
    options.authScheme === 'bearer'
      ? `Bearer ${options.secretKey}`
      : `Basic ${Buffer.from(`${options.secretKey}:`).toString('base64')}`;
  return { authorization, 'accept-language': 'en' };
}

export function elepayHttp(options: Omit<ElepayClientOptions, 'secretKey' | 'authScheme' | 'statuses'>) {
  return new ProviderHttp({ provider: 'ELEPAY', ...options, describeFailure: describeElepayFailure });
}

/** What proves a write reached elepay and made something: an answer naming the object. */
const written = z.object({ id: z.string().min(1) });

/** IDs go into paths encoded, whatever they hold. */
const enc = encodeURIComponent;

export class ElepayClient {
  private readonly http: ProviderHttp;
  private readonly headers: Record<string, string>;
  private readonly statuses: StatusNormalizer;
  /** A read shared by concurrent callers (../sharedReads.ts) is one answer, mapped once. */
  private readonly chargeOnce = mappedOnce((body: unknown) => toCharge(body, this.statuses));

  constructor(options: ElepayClientOptions) {
    this.headers = elepayHeaders(options);
    this.statuses = options.statuses;
    this.http = elepayHttp(options);
  }

  async listCharges(query: ChargeListQuery): Promise<ChargePage> {
    const { limit, offset, ...filter } = chargeListQuery(query);
    const body = await this.call({
      method: 'GET',
      path: '/charges',
      route: 'GET /charges',
      query: { ...filter, limit: limit?.toString(), offset: offset?.toString() },
    });
    return toChargePage(body, this.statuses);
  }

  async createCharge(charge: NewCharge): Promise<Charge> {
    const body = await this.write({
      method: 'POST',
      path: '/charges',
      route: 'POST /charges',
      body: chargeRequest(charge),
    });
    return toCharge(body, this.statuses);
  }

  /** `fresh`: do not join an identical read in flight (a webhook said it just changed). */
  async getCharge(id: string, { fresh }: FreshRead = {}): Promise<Charge | null> {
    const body = await unlessNotFound(
      this.call({ method: 'GET', path: `/charges/${enc(id)}`, route: 'GET /charges/:id', fresh }),
    );
    return body === null ? null : this.chargeOnce(body);
  }

  /** Captures an authorized charge: all of it, or `amount`. */
  async captureCharge(id: string, amount: Money | null): Promise<Charge> {
    const body = await this.write({
      method: 'POST',
      path: `/charges/${enc(id)}/capture`,
      route: 'POST /charges/:id/capture',
      body: captureRequest(amount),
    });
    return toCharge(body, this.statuses);
  }

  /** Cancels (elepay: revokes) a pending or authorized charge. */
  async cancelCharge(id: string): Promise<Charge> {
    const body = await this.write({
      method: 'POST',
      path: `/charges/${enc(id)}/revoke`,
      route: 'POST /charges/:id/revoke',
    });
    return toCharge(body, this.statuses);
  }

  /** Every refund of a charge, pending ones included; null when the charge does not exist. */
  async listRefunds(chargeId: string, { fresh }: FreshRead = {}): Promise<ElepayRefund[] | null> {
    const body = await unlessNotFound(
      this.call({
        method: 'GET',
        path: `/charges/${enc(chargeId)}/refunds`,
        route: 'GET /charges/:id/refunds',
        fresh,
      }),
    );
    return body === null ? null : toElepayRefunds(body, this.statuses);
  }

  async createRefund(chargeId: string, refund: NewRefund): Promise<ElepayRefund> {
    const body = await this.write({
      method: 'POST',
      path: `/charges/${enc(chargeId)}/refunds`,
      route: 'POST /charges/:id/refunds',
      body: refundRequest(refund),
    });
    return toElepayRefund(body, this.statuses);
  }

  async getRefund(
    chargeId: string,
    refundId: string,
    { fresh }: FreshRead = {},
  ): Promise<ElepayRefund | null> {
    const body = await unlessNotFound(
      this.call({
        method: 'GET',
        path: `/charges/${enc(chargeId)}/refunds/${enc(refundId)}`,
        route: 'GET /charges/:id/refunds/:refundId',
        fresh,
      }),
    );
    return body === null ? null : toElepayRefund(body, this.statuses);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private call(request: ProviderRequest): Promise<unknown> {
    return this.http.send({ ...request, headers: this.headers });
  }

  /**
   * A charge or refund write: an answer that names no object is no proof of what happened (the
   * write reached elepay), so it is an unknown outcome rather than a failure.
   */
  private async write(request: ProviderRequest): Promise<unknown> {
    const body = await this.call(request);
    if (!written.safeParse(body).success) throw outcomeUnknown('ELEPAY');
    return body;
  }
}
