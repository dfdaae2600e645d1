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
  ElopageCreatePricingPlanRequestWire,
  ElopageDeleteResponseWire,
  ElopagePayerWire,
  ElopagePaymentWire,
  ElopagePricingPlanWire,
  ElopageRefundWire,
  ElopageSalesPageRequestWire,
  ElopageSalesPageSavedWire,
  ElopageSalesPageWire,
} from './wire.js';

export interface ElopageClientOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  timeoutMs: number;
  maxConcurrency: number;
  breakerCooldownMs: number;
  logger: Logger;
  metrics?: Metrics;
}

export interface ElopageSandboxCheckoutRequest {
  sales_page_id: string;
  pricing_plan_id?: string;
  payment_method?: string;
  outcome: 'succeed' | 'fail' | 'pending' | 'cancel';
  payer?: ElopagePayerWire;
  card_number?: string;
  iban?: string;
}

/** elopage IDs are integers; anything else cannot exist there, so it is not worth a call. */
const ELOPAGE_ID = /^\d{1,18}$/;

export function isElopageId(id: string): boolean {
  return ELOPAGE_ID.test(id);
}

/**
 * Every elopage endpoint (providers/elopage.md, Endpoints). Credentials travel in the query on GET
 * and in the JSON body otherwise (Auth); ProviderHttp never logs either. Lookups of something that
 * does not exist return null.
 */
export class ElopageClient {
  private readonly http: ProviderHttp;

  constructor(private readonly options: ElopageClientOptions) {
    this.http = new ProviderHttp({
      provider: 'ELOPAGE',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      maxConcurrency: options.maxConcurrency,
      breakerCooldownMs: options.breakerCooldownMs,
      logger: options.logger,
      metrics: options.metrics,
      describeFailure: describeElopageFailure,
    });
  }

  createSalesPage(body: ElopageSalesPageRequestWire): Promise<ElopageSalesPageSavedWire> {
    return this.write(
      'POST',
      '/sales_pages',
      'POST /sales_pages',
      body,
    ) as Promise<ElopageSalesPageSavedWire>;
  }

  getSalesPage(id: string, fresh: FreshRead = {}): Promise<ElopageSalesPageWire | null> {
    return this.read(`/sales_pages/${id}`, 'GET /sales_pages/:id', id, fresh);
  }

  updateSalesPage(id: string, body: ElopageSalesPageRequestWire): Promise<ElopageSalesPageSavedWire> {
    return this.write(
      'PUT',
      `/sales_pages/${id}`,
      'PUT /sales_pages/:id',
      body,
    ) as Promise<ElopageSalesPageSavedWire>;
  }

  getPricingPlan(id: string, fresh: FreshRead = {}): Promise<ElopagePricingPlanWire | null> {
    return this.read(`/pricing_plans/${id}`, 'GET /pricing_plans/:id', id, fresh);
  }

  createPricingPlan(body: ElopageCreatePricingPlanRequestWire): Promise<ElopagePricingPlanWire> {
    return this.write(
      'POST',
      '/pricing_plans',
      'POST /pricing_plans',
      body,
    ) as Promise<ElopagePricingPlanWire>;
  }

  deletePricingPlan(id: string): Promise<ElopageDeleteResponseWire> {
    return this.write(
      'DELETE',
      `/pricing_plans/${id}`,
      'DELETE /pricing_plans/:id',
      {},
    ) as Promise<ElopageDeleteResponseWire>;
  }

  /** GET /payments/:id serves payments and refund transactions alike. */
  async getTransaction(
    id: string,
    read: FreshRead = {},
  ): Promise<ElopagePaymentWire | ElopageRefundWire | null> {
    const body = await this.read<unknown>(`/payments/${id}`, 'GET /payments/:id', id, read);
    return body === null ? null : unwrapTransaction(body);
  }

  /** Always a full refund: elopage takes no amount (providers/elopage.md quirk 8). */
  async refundPayment(id: string): Promise<ElopageRefundWire> {
    const body = await this.write('POST', `/payments/${id}/refund`, 'POST /payments/:id/refund', {});
    try {
      return unwrapTransaction(body) as ElopageRefundWire;
    } catch {
      // The refund request was accepted but its answer names no refund: it may exist.
      throw outcomeUnknown('ELOPAGE');
    }
  }

  // Test helpers of the embedded simulator (src/sandbox/elopage): not part of elopage's API. They
  // live beside /api, at the simulator's root.

  async sandboxCheckout(body: ElopageSandboxCheckoutRequest): Promise<ElopagePaymentWire> {
    return (await this.sandboxCall(
      '/_sandbox/checkout',
      'POST /_sandbox/checkout',
      body,
    )) as ElopagePaymentWire;
  }

  async sandboxSettlePayment(
    id: string,
    outcome: 'succeed' | 'fail' | 'cancel',
  ): Promise<ElopagePaymentWire> {
    return (await this.sandboxCall(`/_sandbox/payments/${id}/settle`, 'POST /_sandbox/payments/:id/settle', {
      outcome,
    })) as ElopagePaymentWire;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private credentials(): { key: string; secret: string } {
    return { key: this.options.apiKey, secret: this.options.apiSecret };
  }

  private async read<T>(
    path: string,
    route: string,
    id: string,
    { fresh }: FreshRead = {},
  ): Promise<T | null> {
    if (!isElopageId(id)) return null;
    try {
      return (await this.http.send({ method: 'GET', path, route, query: this.credentials(), fresh })) as T;
    } catch (error) {
      if (error instanceof ProviderError && error.failure === 'NOT_FOUND') return null;
      throw error;
    }
  }

  private write(
    method: ProviderRequest['method'],
    path: string,
    route: string,
    body: object,
  ): Promise<unknown> {
    return this.http.send({ method, path, route, body: { ...this.credentials(), ...body } });
  }

  private sandboxCall(path: string, route: string, body: object): Promise<unknown> {
    return this.http.send({ method: 'POST', path, route, body, fromRoot: true });
  }
}

/**
 * The refund example in the document is malformed: `author_commissions` sits outside the refund
 * object (quirk 2). Accept the commissions at either level of a wrapped body.
 */
function unwrapTransaction(body: unknown): ElopagePaymentWire | ElopageRefundWire {
  const outer = asRecord(body);
  if ('id' in outer && 'state' in outer) return outer as unknown as ElopagePaymentWire | ElopageRefundWire;
  const inner = Object.values(outer).find((value) => {
    const record = asRecord(value);
    return 'id' in record && 'state' in record;
  });
  if (!inner)
    throw new ProviderError('ELOPAGE', 'UNAVAILABLE', 'elopage answered with an unexpected payment shape');
  const record = asRecord(inner);
  return {
    ...record,
    author_commissions: record.author_commissions ?? outer.author_commissions,
  } as unknown as ElopageRefundWire;
}

/**
 * Classifies an elopage error answer. The document names `NoAccessRight` and `UserNotFound` but no
 * shape or status, so both the HTTP status and the `error` name count. Only the error name and the
 * names of invalid fields leave this function, never elopage's message text.
 */
export function describeElopageFailure(status: number, body: unknown): ProviderError {
  const record = asRecord(body);
  const name = stringField(record, 'error');
  if (status === 401 || status === 403 || name === 'NoAccessRight' || name === 'UserNotFound') {
    return new ProviderError('ELOPAGE', 'AUTH_FAILED', 'elopage refused the credentials', status, name);
  }
  if (status === 404 || name === 'NotFound') {
    return new ProviderError('ELOPAGE', 'NOT_FOUND', 'elopage has no such object', status, name);
  }
  if (status >= 500 || status === 429) {
    return new ProviderError('ELOPAGE', 'UNAVAILABLE', 'elopage is unavailable', status, name);
  }
  const fields = Object.keys(asRecord(record.errors)).slice(0, 10);
  const detail = fields.length > 0 ? ` (fields: ${fields.join(', ')})` : '';
  const sentence =
    name === 'InvalidState'
      ? 'elopage refused this in the object’s current state'
      : 'elopage rejected the request';
  return new ProviderError('ELOPAGE', 'REJECTED', `${sentence}${detail}`, status, name);
}
