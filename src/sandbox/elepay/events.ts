import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logger.js';
import { jsonNumber, stringifyExactJson } from '../../providers/json.js';
import type { WebhookSender } from '../webhooks.js';
import type { EventSink } from './ledger.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';

/**
 * Turns ledger events into signed deliveries (providers/elepay.md §8). The body (and so the event
 * id) is fixed once; only the signature header is recomputed, with a fresh `t`, per attempt.
 */
export function createWebhookSink(
  sender: WebhookSender,
  webhook: { url: string; secret: string } | null,
  logger: Logger,
): EventSink {
  if (!webhook) return () => undefined;
  return (type, object, subjectId) => {
    const envelope = {
      id: `evt_${randomBytes(12).toString('hex')}`,
      object: 'event',
      createTime: jsonNumber(Date.now().toString()),
      liveMode: false,
      type,
      data: { object },
    };
    const body = stringifyExactJson(envelope);
    const label = `${type} ${subjectId}`;
    logger.debug({ webhook: label, eventId: envelope.id }, 'elepay sandbox event queued');
    sender.send({
      url: webhook.url,
      body,
      label,
      headers: () => ({
        [SIGNATURE_HEADER]: signWebhook(webhook.secret, body, Math.floor(Date.now() / 1000)),
      }),
    });
  };
}
