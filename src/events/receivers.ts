/**
 * The providers' webhooks, turned into events. A webhook is only a hint: after checking where it
 * comes from, the gateway fetches the object from the provider and records what the API says. It
 * answers 2xx only once the status the webhook implies is recorded, so a provider retries anything
 * that was not: an object the provider cannot show yet (404 just after the write, an empty or
 * unreadable answer, an outage) or an event log that cannot record is a 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sameSecret } from '../auth/sameSecret.js';
import type { Services } from '../context.js';
import { ProviderError } from '../domain/errors.js';
import type { Provider, Transaction } from '../domain/model.js';
import { codeLabel } from '../metrics.js';
import { readElepayEvent, verifyElepaySignature } from '../providers/elepay/webhook.js';
import { readElopageNotification } from '../providers/elopage/webhook.js';
import { BodyTooLarge, BodyTooSlow, readBody } from '../readBody.js';
import { traced, traceRecord } from '../tracing/index.js';

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
 * A webhook says the object just changed: its lookup must not join a read of the same object that
 * was already in flight (providers/sharedReads.ts), whose answer may predate the change.
 */
const FRESH = { fresh: true };

/** The provider has no readable object behind the webhook yet: it should retry later. */
class NotReadableYet extends Error {}

/** The object a webhook names, which must exist: a lookup that finds nothing is retried later. */
function found<T>(object: T | null, what: string): T {
  if (object === null) throw new NotReadableYet(what);
  return object;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    connection: status >= 400 ? 'close' : 'keep-alive',
  });
  res.end(JSON.stringify(body));
}

export function createWebhookReceivers({ services, elepaySecrets, elopageToken }: WebhookReceiverOptions) {
  const { logger, events, metrics } = services;
  const refused = (provider: Provider, reason: string) => metrics.webhooksRefused.inc({ provider, reason });

  /**
   * Records each fetched transaction; the answer tells the provider whether to retry. `receivedAt`
   * is when the webhook arrived (performance.now()); `eventTime` is when the provider says the event
   * happened and `eventId` its ID (elepay's createTime and `evt_…`). elopage sends neither: no time
   * of the event (created_date is when the payment began; success_date exists only once paid, to
   * the minute), so its lag counts from receipt.
   */
  async function recordAll(
    res: ServerResponse,
    source: string,
    transactions: Transaction[],
    { receivedAt, eventTime, eventId }: { receivedAt: number; eventTime?: number; eventId?: string },
  ): Promise<void> {
    const verdicts: string[] = [];
    for (const transaction of transactions) {
      const outcome = await traceRecord(transaction, () =>
        events.record(transaction, { providerEventId: eventId }),
      );
      verdicts.push(outcome.verdict);
      const { provider, kind, status } = transaction;
      metrics.webhookRecords.inc({ provider, verdict: outcome.verdict });
      if (outcome.verdict === 'publish') metrics.statusChanges.inc({ provider, kind, status });
      // A provider clock ahead of ours would read as negative lag: that is 0, not a bucket below it.
      if (eventTime !== undefined) {
        metrics.webhookLag.observe({ provider }, Math.max(0, Date.now() - eventTime) / 1000);
      }
      metrics.webhookReceiptLag.observe({ provider }, (performance.now() - receivedAt) / 1000);
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
    reply(res, 200, { received: true, published: verdicts.filter((v) => v === 'publish').length });
  }

  async function guarded(res: ServerResponse, source: Provider, work: () => Promise<void>): Promise<void> {
    metrics.webhooksReceived.inc({ provider: source });
    try {
      await work();
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        refused(source, 'body_too_large');
        return reply(res, 413, { error: 'body too large' });
      }
      if (error instanceof BodyTooSlow) {
        refused(source, 'body_too_slow');
        return reply(res, 408, { error: 'body too slow' });
      }
      // The provider could not show the object, or the event could not be recorded: let it retry.
      const reason =
        error instanceof ProviderError
          ? error.code
          : error instanceof NotReadableYet
            ? 'PROVIDER_OBJECT_NOT_FOUND'
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
      reply(res, 503, { error: 'temporarily unable to record the event', code: reason });
    }
  }

  async function elepay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    await guarded(res, 'ELEPAY', async () => {
      if (elepaySecrets.length === 0) return reply(res, 404, { error: 'not found' });
      const raw = await readBody(req, WEBHOOK_BODY);
      const verdict = traced(
        'webhook.verify',
        () =>
          verifyElepaySignature(req.headers['elepay-signature'] as string | undefined, raw, elepaySecrets),
        (signature) => ({ 'paygraph.webhook.signature': signature }),
      );
      if (verdict !== 'valid') {
        refused('ELEPAY', `signature_${verdict}`);
        logger.warn({ webhook: 'elepay', signature: verdict }, 'elepay webhook rejected');
        return reply(res, 400, { error: `signature ${verdict}` });
      }
      metrics.webhooksVerified.inc({ provider: 'ELEPAY' });
      const event = readElepayEvent(raw);
      if (!event) {
        refused('ELEPAY', 'not_an_event');
        return reply(res, 400, { error: 'not an elepay event' });
      }
      const client = services.elepay;
      const source = `elepay ${event.type}`;
      const eventTime = event.occurredAtMs;
      if (event.subject === 'charge') {
        const charge = found(
          await traced('webhook.fetch', () => client.getCharge(event.chargeId, FRESH)),
          'charge',
        );
        return recordAll(res, source, [charge], { receivedAt, eventTime, eventId: event.eventId });
      }
      if (event.subject === 'refund') {
        const { chargeId, refundId } = event;
        if (!chargeId) {
          refused('ELEPAY', 'not_an_event');
          return reply(res, 400, { error: 'refund event without chargeId' });
        }
        // A refund also moves its charge (PARTIALLY_REFUNDED, REFUNDED): record both as elepay has them.
        const [refund, charge] = await traced('webhook.fetch', () =>
          Promise.all([client.getRefund(chargeId, refundId, FRESH), client.getCharge(chargeId, FRESH)]),
        );
        return recordAll(res, source, [found(refund, 'refund'), found(charge, 'charge')], {
          receivedAt,
          eventTime,
          eventId: event.eventId,
        });
      }
      reply(res, 200, { received: true, published: 0 });
    });
  }

  async function elopage(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const receivedAt = performance.now();
    await guarded(res, 'ELOPAGE', async () => {
      // elopage signs nothing: the unguessable path token is the guard (providers/elopage.md quirk 7).
      const tokenMatches = traced(
        'webhook.verify',
        () => sameSecret(token, elopageToken),
        (matches) => ({ 'paygraph.webhook.token': matches ? 'valid' : 'bad' }),
      );
      if (!tokenMatches) {
        refused('ELOPAGE', 'bad_token');
        return reply(res, 404, { error: 'not found' });
      }
      metrics.webhooksVerified.inc({ provider: 'ELOPAGE' });
      const id = readElopageNotification(await readBody(req, WEBHOOK_BODY));
      if (!id) {
        refused('ELOPAGE', 'not_an_event');
        return reply(res, 400, { error: 'not an elopage payment notification' });
      }
      const transaction = found(
        await traced('webhook.fetch', () => services.elopage.getTransaction(id, FRESH)),
        'payment',
      );
      await recordAll(res, 'elopage', [transaction], { receivedAt });
    });
  }

  return { elepay, elopage };
}
