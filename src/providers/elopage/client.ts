/**
 * Every elopage endpoint the gateway uses (providers/elopage.md, Endpoints), in domain terms:
 * requests are built by requests.ts, answers checked and mapped by map.ts with the currency and
 * status table this client was made with, failures classified by failures.ts. Credentials travel
 * in the query on GET and in the JSON body otherwise (Auth); ProviderHttp never logs either.
 * Lookups of something that does not exist return null.
 */
import { z } from 'zod';
import type { ElopageRefund, ElopageTransaction, PricingPlan, SalesPage } from '../../domain/model.js';
import type { PricingPlanDraft, SalesPageDraft } from '../../domain/requests.js';
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
import { unexpectedShape } from '../shape.js';
import { mappedOnce } from '../sharedReads.js';
import { describeElopageFailure } from './failures.js';
import {
  type ElopageMapping,
  toElopageRefund,
  toElopageTransaction,
  toPricingPlan,
  toSalesPage,
} from './map.js';
import { createPricingPlanRequest, salesPageRequest } from './requests.js';
import { elopageDeleteSchema, elopageSalesPageSavedSchema } from './schemas.js';

export interface ElopageClientOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  timeoutMs: number;
  maxConcurrency: number;
  breakerCooldownMs: number;
  logger: Logger;
  metrics?: Metrics;
  /** elopage states no currency (Conventions): every amount is in this one. */
  currency: string;
  statuses: StatusNormalizer;
}

/** elopage IDs are integers; anything else cannot exist there, so it is not worth a call. */
const ELOPAGE_ID = /^\d{1,18}$/;

export function isElopageId(id: string): boolean {
  return ELOPAGE_ID.test(id);
}

export function elopageHttp(
  options: Omit<ElopageClientOptions, 'apiKey' | 'apiSecret' | 'currency' | 'statuses'>,
) {
  return new ProviderHttp({ provider: 'ELOPAGE', ...options, describeFailure: describeElopageFailure });
}

export class ElopageClient {
  private readonly http: ProviderHttp;
  private readonly mapping: ElopageMapping;
  /** A read shared by concurrent callers (../sharedReads.ts) is one answer, mapped once. */
  private readonly transactionOnce = mappedOnce((body: unknown) =>
    toElopageTransaction(findTransaction(body) ?? body, this.mapping),
  );
  private readonly salesPageOnce = mappedOnce((body: unknown, id: string) =>
    toSalesPage(body, id, this.mapping),
  );

  constructor(private readonly options: ElopageClientOptions) {
    this.mapping = { currency: options.currency, statuses: options.statuses };
    this.http = elopageHttp(options);
  }

  /** Creates a sales page with its plans; returns its ID. */
  async createSalesPage(page: SalesPageDraft): Promise<string> {
    return this.saved(await this.write('POST', '/sales_pages', 'POST /sales_pages', salesPageRequest(page)));
  }

  async getSalesPage(id: string, read: FreshRead = {}): Promise<SalesPage | null> {
    const body = await this.read(`/sales_pages/${id}`, 'GET /sales_pages/:id', id, read);
    // The GET answer has no `id` (quirk 2): the page is the one asked for.
    return body === null ? null : this.salesPageOnce(body, id);
  }

  /** Changes a sales page; fields the draft leaves out stay as they are. Read it back to see it. */
  async updateSalesPage(id: string, changes: SalesPageDraft): Promise<void> {
    await this.write('PUT', `/sales_pages/${id}`, 'PUT /sales_pages/:id', salesPageRequest(changes));
  }

  async getPricingPlan(id: string, read: FreshRead = {}): Promise<PricingPlan | null> {
    const body = await this.read(`/pricing_plans/${id}`, 'GET /pricing_plans/:id', id, read);
    return body === null ? null : toPricingPlan(body, this.mapping, id);
  }

  /** The new plan as elopage answered it; null when the answer names a form the gateway does not know. */
  async createPricingPlan(salesPageId: string, plan: PricingPlanDraft): Promise<PricingPlan | null> {
    const body = await this.write(
      'POST',
      '/pricing_plans',
      'POST /pricing_plans',
      createPricingPlanRequest(salesPageId, plan),
    );
    return toPricingPlan(body, this.mapping);
  }

  /** Whether elopage deleted the plan (it keeps the last plan of a page). */
  async deletePricingPlan(id: string): Promise<boolean> {
    const body = await this.write('DELETE', `/pricing_plans/${id}`, 'DELETE /pricing_plans/:id', {});
    const answer = elopageDeleteSchema.safeParse(body);
    if (!answer.success) throw unexpectedShape('ELOPAGE', 'a deletion');
    return answer.data.status === 'success';
  }

  /** GET /payments/:id serves payments and refund transactions alike. */
  async getTransaction(id: string, read: FreshRead = {}): Promise<ElopageTransaction | null> {
    const body = await this.read(`/payments/${id}`, 'GET /payments/:id', id, read);
    return body === null ? null : this.transactionOnce(body);
  }

  /** Always a full refund: elopage takes no amount (providers/elopage.md quirk 8). */
  async refundPayment(id: string): Promise<ElopageRefund> {
    const body = await this.write('POST', `/payments/${id}/refund`, 'POST /payments/:id/refund', {});
    const refund = findTransaction(body);
    // The refund request was accepted but its answer names no refund: it may exist.
    if (!refund) throw outcomeUnknown('ELOPAGE');
    return toElopageRefund(refund, this.mapping);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private credentials(): { key: string; secret: string } {
    return { key: this.options.apiKey, secret: this.options.apiSecret };
  }

  private read(path: string, route: string, id: string, { fresh }: FreshRead): Promise<unknown> {
    if (!isElopageId(id)) return Promise.resolve(null);
    return unlessNotFound(this.http.send({ method: 'GET', path, route, query: this.credentials(), fresh }));
  }

  private write(
    method: ProviderRequest['method'],
    path: string,
    route: string,
    body: object,
  ): Promise<unknown> {
    return this.http.send({ method, path, route, body: { ...this.credentials(), ...body } });
  }

  /** A saved sales page's ID; an answer without one is no proof of what happened. */
  private saved(body: unknown): string {
    const answer = elopageSalesPageSavedSchema.safeParse(body);
    if (!answer.success) throw outcomeUnknown('ELOPAGE');
    return answer.data.id;
  }
}

/** A payment or refund: something with an ID and a state. */
const transactionLike = z.looseObject({ id: z.string(), state: z.string() });
const wrapper = z.record(z.string(), z.unknown());

/**
 * The transaction in an answer. The refund example in the document is malformed:
 * `author_commissions` sits outside the refund object (quirk 2), so a transaction one level down
 * gets the commissions of either level.
 */
function findTransaction(body: unknown): unknown {
  if (transactionLike.safeParse(body).success) return body;
  const outer = wrapper.safeParse(body);
  if (!outer.success) return null;
  for (const value of Object.values(outer.data)) {
    const inner = transactionLike.safeParse(value);
    if (inner.success) {
      return {
        ...inner.data,
        author_commissions: inner.data.author_commissions ?? outer.data.author_commissions,
      };
    }
  }
  return null;
}
