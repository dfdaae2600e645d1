/**
 * Turns state events into signed deliveries (providers/elepay.md §8) to the one configured URL.
 * The body (and so the event id) is fixed once; only the signature header is recomputed, with a
 * fresh `t`, per attempt. Without a configured webhook the sink drops every event.
 */

import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { ElepayEventWire } from '../../providers/elepay/wire.js';
import { jsonNumber, stringifyExactJson } from '../../providers/json.js';
import type { Sent } from '../sent.js';
import type { WebhookSender } from '../webhooks.js';
import { renderCharge, renderRefund } from './render.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';
import type { ElepayState, EventSink } from './state.js';

export interface ElepayWebhookTarget {
  url: string;
  secret: string;
}

export function createWebhookSink(
  state: ElepayState,
  sender: WebhookSender,
  target: ElepayWebhookTarget | null,
  logger: Logger,
): EventSink {
  if (!target) return () => undefined;
  return (event) => {
    // Rendered now: the delivery shows the object as it was when the event happened.
    const object =
      event.type === 'refund.succeeded' ? renderRefund(event.refund) : renderCharge(state, event.charge);
    const envelope: Sent<ElepayEventWire> = {
      id: `evt_${randomBytes(12).toString('hex')}`,
      object: 'event',
      createTime: jsonNumber(Date.now().toString()),
      liveMode: false,
      type: event.type,
      data: { object },
    };
    const body = stringifyExactJson(envelope);
    const label = `${event.type} ${object.id}`;
    logger.debug({ webhook: label, eventId: envelope.id }, 'elepay sandbox event queued');
    sender.send({
      url: target.url,
      body,
      label,
      headers: () => ({
        [SIGNATURE_HEADER]: signWebhook(target.secret, body, Math.floor(Date.now() / 1000)),
      }),
    });
  };
}
