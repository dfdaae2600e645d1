/**
 * elopage POSTs the payment object to the sales page's `webhook_url` on every status change, with
 * no signature and no event type (providers/elopage.md quirk 7); a refund sends the refund object.
 * Pages without an http(s) webhook URL (the document's examples use a bare `"elopage.com"`) get
 * none. Links in the body point at the simulator's own address, as a real provider's point at its
 * own host.
 */

import type { Logger } from '../../logger.js';
import { stringifyExactJson } from '../../providers/json.js';
import type { WebhookSender } from '../webhooks.js';
import type { SalesPageRow } from './model.js';
import { renderTransaction } from './render.js';
import type { ElopageState, EventSink } from './state.js';

export function createWebhookSink(
  state: ElopageState,
  sender: WebhookSender,
  origin: () => string,
  logger: Logger,
): EventSink {
  return (row) => {
    // Sales pages are never deleted, so every transaction's page exists.
    const page = state.salesPage(row.salesPageId);
    const url = page.webhookUrl;
    if (!url || !hasUsableWebhook(page)) return;
    // Rendered now: the delivery shows the transaction as it was when its state changed.
    const body = stringifyExactJson(renderTransaction(row, origin()));
    const label = `${row.kind} ${row.id} ${row.state}`;
    logger.debug({ webhook: label }, 'elopage sandbox webhook queued');
    sender.send({ url, body, headers: () => ({}), label });
  };
}

/** Only http(s) URLs are delivered to; anything else (a bare "elopage.com") gets no webhook. */
export function hasUsableWebhook(page: Pick<SalesPageRow, 'webhookUrl'>): boolean {
  if (!page.webhookUrl) return false;
  try {
    const { protocol } = new URL(page.webhookUrl);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
