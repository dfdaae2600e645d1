/**
 * The embedded elepay simulator's own helper routes (src/sandbox/elepay), which are not part of
 * elepay's API: the payer or payment network ending a pending charge or refund. gateway.ts makes
 * this client only when elepay runs on the simulator, so a production gateway has no such calls.
 */
import type { Charge, ElepayRefund } from '../../domain/model.js';
import type { SandboxOutcome } from '../../domain/requests.js';
import type { ProviderHttp } from '../http.js';
import { type ElepayClientOptions, elepayHeaders, elepayHttp } from './client.js';
import { toCharge, toElepayRefund } from './map.js';

const OUTCOMES: Record<SandboxOutcome, string> = { SUCCEED: 'succeed', FAIL: 'fail', CANCEL: 'cancel' };

const enc = encodeURIComponent;

export class ElepaySandboxClient {
  private readonly http: ProviderHttp;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: ElepayClientOptions) {
    this.headers = elepayHeaders(options);
    this.http = elepayHttp(options);
  }

  async settleCharge(id: string, outcome: SandboxOutcome): Promise<Charge> {
    const body = await this.settle(
      `/_sandbox/charges/${enc(id)}/settle`,
      'POST /_sandbox/charges/:id/settle',
      outcome,
    );
    return toCharge(body, this.options.statuses);
  }

  async settleRefund(chargeId: string, refundId: string, outcome: SandboxOutcome): Promise<ElepayRefund> {
    const body = await this.settle(
      `/_sandbox/charges/${enc(chargeId)}/refunds/${enc(refundId)}/settle`,
      'POST /_sandbox/charges/:id/refunds/:refundId/settle',
      outcome,
    );
    return toElepayRefund(body, this.options.statuses);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private settle(path: string, route: string, outcome: SandboxOutcome): Promise<unknown> {
    return this.http.send({
      method: 'POST',
      path,
      route,
      headers: this.headers,
      body: { outcome: OUTCOMES[outcome] },
    });
  }
}
