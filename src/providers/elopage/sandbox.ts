/**
 * The embedded elopage simulator's own helper routes (src/sandbox/elopage), which are not part of
 * elopage's API: a buyer completing a checkout, a pending payment settling. They live beside `/api`,
 * at the simulator's root, so this client has its own base URL. gateway.ts makes it only when
 * elopage runs on the simulator, so a production gateway has no such calls.
 */
import type { Payment } from '../../domain/model.js';
import type { SandboxCheckout, SandboxOutcome } from '../../domain/requests.js';
import type { ProviderHttp } from '../http.js';
import { type ElopageClientOptions, elopageHttp } from './client.js';
import { type ElopageMapping, toPayment } from './map.js';
import type { ElopagePayerWire } from './wire.js';

/** POST /_sandbox/checkout body (src/sandbox/elopage/checkout.ts). */
interface SandboxCheckoutRequestWire {
  sales_page_id: string;
  pricing_plan_id?: string;
  payment_method?: string;
  outcome: 'succeed' | 'fail' | 'pending' | 'cancel';
  payer?: ElopagePayerWire;
  card_number?: string;
  iban?: string;
}

const OUTCOMES = { SUCCEED: 'succeed', FAIL: 'fail', CANCEL: 'cancel', PENDING: 'pending' } as const;

export class ElopageSandboxClient {
  private readonly http: ProviderHttp;
  private readonly mapping: ElopageMapping;

  /** `baseUrl`: the simulator's root, where its helper routes are. */
  constructor(options: ElopageClientOptions) {
    this.mapping = { currency: options.currency, statuses: options.statuses };
    this.http = elopageHttp(options);
  }

  /** A buyer completes the checkout of a sales page; returns the payment it made. */
  async checkout(checkout: SandboxCheckout): Promise<Payment> {
    const payer = checkout.payer;
    const body: SandboxCheckoutRequestWire = {
      sales_page_id: checkout.salesPageId,
      outcome: OUTCOMES[checkout.outcome],
      ...(checkout.pricingPlanId ? { pricing_plan_id: checkout.pricingPlanId } : {}),
      ...(checkout.paymentMethod ? { payment_method: checkout.paymentMethod } : {}),
      ...(checkout.cardNumber ? { card_number: checkout.cardNumber } : {}),
      ...(checkout.iban ? { iban: checkout.iban } : {}),
      ...(payer
        ? {
            payer: {
              email: payer.email,
              first_name: payer.firstName,
              last_name: payer.lastName,
              country: payer.country,
              city: payer.city,
              street: payer.street,
              zip: payer.zip,
              company: payer.company,
              vat_id: payer.vatId,
              phone: payer.phone,
            },
          }
        : {}),
    };
    return toPayment(await this.post('/_sandbox/checkout', 'POST /_sandbox/checkout', body), this.mapping);
  }

  async settlePayment(id: string, outcome: SandboxOutcome): Promise<Payment> {
    const body = await this.post(
      `/_sandbox/payments/${encodeURIComponent(id)}/settle`,
      'POST /_sandbox/payments/:id/settle',
      {
        outcome: OUTCOMES[outcome],
      },
    );
    return toPayment(body, this.mapping);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private post(path: string, route: string, body: object): Promise<unknown> {
    return this.http.send({ method: 'POST', path, route, body });
  }
}
