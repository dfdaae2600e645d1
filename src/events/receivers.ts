/**
 * The providers' webhooks, turned into events. A webhook is only a hint: after checking where it
 * comes from, the gateway fetches the object from the provider and records what the API says. It
 * answers 2xx only once the status the webhook implies is recorded, so a provider retries anything
 * that was not: an object the provider cannot show yet (404 just after the write, an empty or
 * unreadable answer, an outage) or an event log that cannot record is a 503. Every request, refused
 * or not, is then recorded in the ledger's webhook deliveries, after its answer and without waiting.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sameSecret } from '../auth/sameSecret.js';
import type { Services } from '../context.js';
import { ProviderError } from '../domain/errors.js';
import type { Provider, Transaction } from '../domain/model.js';
import type { DeliveryOutcome, DeliveryRefusal, NewDelivery } from '../ledger/deliveries.js';
import { codeLabel } from '../metrics.js';
import { BodyTooLarge, BodyTooSlow, readBody } from '../readBody.js';
import { traced, traceRecord } from '../tracing/index.js';
import {
  fetchNamed,
  idsOf,
  NotReadableYet,
  namedTransactionIds,
  readNotice,
  type WebhookNotice,
} from './webhookIntake.js';

export interface WebhookReceiverOptions {
  services: Services;
  /** Current and previous elepay signing secrets (rotation); empty = elepay webhooks disabled. */
  elepaySecrets: string[];
  elopageToken: string;
}

/**
 * Webhook bodies are small JSON objects (anything larger is refused unread), sent at once (a sender
 * trickling one holds a socket for nothing).
 */
const WEBHOOK_BODY = { maxBytes: 256 * 1024, deadlineMs: 10_000 };

/**
 * The most of an unverified body the ledger keeps (elepay's events are 1–2 KiB): enough to replay
 * one refused for a wrong secret once the secret is fixed, while forged requests cannot fill the
 * database with 256 KiB each.
 */
const UNVERIFIED_BODY_KEPT = 16 * 1024;

const SIGNATURE_REFUSALS = {
  missing: 'SIGNATURE_MISSING',
  malformed: 'SIGNATURE_MALFORMED',
  stale: 'STALE_TIMESTAMP',
  mismatch: 'BAD_SIGNATURE',
} as const satisfies Record<string, DeliveryRefusal>;

/**
 * What one request is recorded as in the ledger's webhook deliveries, filled in while it is
 * handled and stored once it is answered. Never a secret: elopage's path token is not kept.
 */
class DeliveryDraft {
  readonly receivedAt = new Date();
  verified = false;
  refusal: DeliveryRefusal | null = null;
  httpStatus = 0;
  transactionIds: string[] = [];
  eventCursors: string[] = [];
  /** Whether it named transactions the gateway read (recorded, as news or not). */
  fetched = false;
  providerEventId: string | null = null;
  body: string | null = null;
  signature: string | null = null;

  constructor(readonly provider: Provider) {}

  named(notice: WebhookNotice): void {
    this.transactionIds = namedTransactionIds(notice);
    if (notice.provider === 'ELEPAY') this.providerEventId = notice.event.eventId ?? null;
  }

  toDelivery(): NewDelivery {
    const outcome = this.outcome();
    const { verified, body } = this;
    return {
      provider: this.provider,
      receivedAt: this.receivedAt,
      verified,
      refusal: this.refusal,
      httpStatus: this.httpStatus,
      outcome,
      transactionIds: this.transactionIds,
      eventCursors: this.eventCursors,
      providerEventId: this.providerEventId,
      body,
      signature: this.signature,
      // A verified webhook the gateway could not record: the reconciler polls what it names.
      followUp: verified && outcome === 'RETRY_LATER' && body !== null,
    };
  }

  private outcome(): DeliveryOutcome {
    if (this.httpStatus >= 500) return 'RETRY_LATER';
    if (this.httpStatus >= 400) return 'REFUSED';
    if (this.eventCursors.length > 0) return 'RECORDED';
    return this.fetched ? 'DUPLICATE' : 'IGNORED';
  }
}

function reply(
  res: ServerResponse,
  draft: DeliveryDraft,
  status: number,
  body: Record<string, unknown>,
): void {
  if (res.headersSent) return;
  draft.httpStatus = status;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    connection: status >= 400 ? 'close' : 'keep-alive',
  });
  res.end(JSON.stringify(body));
}

export function createWebhookReceivers({ services, elepaySecrets, elopageToken }: WebhookReceiverOptions) {
  const { logger, events, metrics, ledger } = services;
  const refused = (draft: DeliveryDraft, reason: string, refusal: DeliveryRefusal) => {
    draft.refusal = refusal;
    metrics.webhooksRefused.inc({ provider: draft.provider, reason });
  };

  /**
   * Records each fetched transaction; the answer tells the provider whether to retry. `started`
   * is when the webhook arrived (performance.now()); `eventTime` is when the provider says the event
   * happened and `eventId` its ID (elepay's createTime and `evt_…`). elopage sends neither: no time
   * of the event (created_date is when the payment began; success_date exists only once paid, to
   * the minute), so its lag counts from receipt.
   */
  async function recordAll(
    res: ServerResponse,
    draft: DeliveryDraft,
    source: string,
    transactions: Transaction[],
    { started, eventTime, eventId }: { started: number; eventTime?: number; eventId?: string },
  ): Promise<void> {
    draft.transactionIds = idsOf(transactions);
    draft.fetched = transactions.length > 0;
    const verdicts: string[] = [];
    for (const transaction of transactions) {
      const outcome = await traceRecord(transaction, () =>
        events.record(transaction, { providerEventId: eventId }),
      );
      verdicts.push(outcome.verdict);
      if (outcome.event) draft.eventCursors.push(outcome.event.cursor);
      const { provider, kind, status } = transaction;
      metrics.webhookRecords.inc({ provider, verdict: outcome.verdict });
      if (outcome.verdict === 'publish') metrics.statusChanges.inc({ provider, kind, status });
      // A provider clock ahead of ours would read as negative lag: that is 0, not a bucket below it.
      if (eventTime !== undefined) {
        metrics.webhookLag.observe({ provider }, Math.max(0, Date.now() - eventTime) / 1000);
      }
      metrics.webhookReceiptLag.observe({ provider }, (performance.now() - started) / 1000);
      logger.info(
        {
          webhook: source,
          provider: transaction.provider,
          transaction: transaction.providerId,
          status: transaction.status,
          verdict: outcome.verdict,
          cursor: outcome.event?.cursor,
        },
        'webhook processed',
      );
    }
    reply(res, draft, 200, { received: true, published: verdicts.filter((v) => v === 'publish').length });
  }

  /** Handles one request, answers it, then stores its delivery record without waiting for it. */
  async function guarded(
    res: ServerResponse,
    draft: DeliveryDraft,
    work: () => Promise<void>,
  ): Promise<void> {
    const source = draft.provider;
    metrics.webhooksReceived.inc({ provider: source });
    try {
      await work();
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        refused(draft, 'body_too_large', 'BODY_TOO_LARGE');
        return reply(res, draft, 413, { error: 'body too large' });
      }
      if (error instanceof BodyTooSlow) {
        refused(draft, 'body_too_slow', 'BODY_TOO_SLOW');
        return reply(res, draft, 408, { error: 'body too slow' });
      }
      // The provider could not show the object, or the event could not be recorded: let it retry.
      const reason =
        error instanceof ProviderError
          ? error.code
          : error instanceof NotReadableYet
            ? 'PROVIDER_OBJECT_NOT_FOUND'
            : 'EVENT_LOG_UNAVAILABLE';
      draft.refusal =
        error instanceof ProviderError
          ? 'PROVIDER_UNAVAILABLE'
          : error instanceof NotReadableYet
            ? 'OBJECT_NOT_READABLE_YET'
            : 'EVENT_LOG_UNAVAILABLE';
      metrics.webhooksUnavailable.inc({ provider: source, reason: codeLabel(reason) });
      logger.warn(
        {
          webhook: source.toLowerCase(),
          reason,
          ...(reason === 'EVENT_LOG_UNAVAILABLE' ? { err: { message: (error as Error).message } } : {}),
          ...(error instanceof NotReadableYet ? { object: error.message } : {}),
        },
        'webhook not recorded; the provider will retry',
      );
      reply(res, draft, 503, { error: 'temporarily unable to record the event', code: reason });
    } finally {
      ledger.deliveries.record(draft.toDelivery());
    }
  }

  async function elepay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const draft = new DeliveryDraft('ELEPAY');
    await guarded(res, draft, async () => {
      if (elepaySecrets.length === 0) {
        draft.refusal = 'WEBHOOKS_DISABLED';
        return reply(res, draft, 404, { error: 'not found' });
      }
      const raw = await readBody(req, WEBHOOK_BODY);
      const header = req.headers['elepay-signature'] as string | undefined;
      draft.body = raw.toString('utf8');
      draft.signature = header ?? null;
      const verdict = traced(
        'webhook.verify',
        () => services.checkElepaySignature(header, raw),
        (signature) => ({ 'paygraph.webhook.signature': signature }),
      );
      if (verdict !== 'valid') {
        if (raw.length > UNVERIFIED_BODY_KEPT) draft.body = null;
        refused(draft, `signature_${verdict}`, SIGNATURE_REFUSALS[verdict]);
        logger.warn({ webhook: 'elepay', signature: verdict }, 'elepay webhook rejected');
        return reply(res, draft, 400, { error: `signature ${verdict}` });
      }
      draft.verified = true;
      metrics.webhooksVerified.inc({ provider: 'ELEPAY' });
      const notice = readNotice('ELEPAY', raw);
      if (notice?.provider !== 'ELEPAY') {
        refused(draft, 'not_an_event', 'UNREADABLE_BODY');
        return reply(res, draft, 400, {
          error: 'not an elepay event (a refund event must name its chargeId)',
        });
      }
      draft.named(notice);
      const transactions = await fetchNamed(services, notice);
      const { event } = notice;
      await recordAll(res, draft, `elepay ${event.type}`, transactions, {
        started,
        eventTime: event.occurredAtMs,
        eventId: event.eventId,
      });
    });
  }

  async function elopage(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const started = performance.now();
    const draft = new DeliveryDraft('ELOPAGE');
    await guarded(res, draft, async () => {
      // elopage signs nothing: the unguessable path token is the guard (providers/elopage.md quirk 7).
      const tokenMatches = traced(
        'webhook.verify',
        () => sameSecret(token, elopageToken),
        (matches) => ({ 'paygraph.webhook.token': matches ? 'valid' : 'bad' }),
      );
      if (!tokenMatches) {
        refused(draft, 'bad_token', 'WRONG_TOKEN');
        return reply(res, draft, 404, { error: 'not found' });
      }
      draft.verified = true;
      metrics.webhooksVerified.inc({ provider: 'ELOPAGE' });
      const raw = await readBody(req, WEBHOOK_BODY);
      draft.body = raw.toString('utf8');
      const notice = readNotice('ELOPAGE', raw);
      if (!notice) {
        refused(draft, 'not_an_event', 'UNREADABLE_BODY');
        return reply(res, draft, 400, { error: 'not an elopage payment notification' });
      }
      await recordAll(res, draft, 'elopage', await fetchNamed(services, notice), { started });
    });
  }

  return { elepay, elopage };
}
