import type { Logger } from '../../logger.js';
import { stringifyExactJson } from '../../providers/json.js';
import type { WebhookSender } from '../webhooks.js';
import { renderTransaction } from './render.js';
import type { ElopageTables } from './tables.js';
import type { TransactionRow } from './types.js';

/** What every route handler needs. */
export interface ElopageContext {
  tables: ElopageTables;
  webhooks: WebhookSender;
  logger: Logger;
}

/**
 * elopage POSTs the payment object to the sales page's `webhook_url` on every status change, with
 * no signature and no event type (providers/elopage.md quirk 7); a refund sends the refund object.
 * Pages without an http(s) webhook URL (the document's examples use a bare `"elopage.com"`) get none.
 */
export function notifyTransaction(context: ElopageContext, row: TransactionRow, origin: string): void {
  const page = context.tables.salesPages.get(row.salesPageId);
  const url = page?.webhookUrl;
  if (!page || !url || !hasUsableWebhook(page)) return;
  const body = stringifyExactJson(renderTransaction(row, origin));
  context.webhooks.send({ url, body, headers: () => ({}), label: `${row.kind} ${row.id} ${row.state}` });
}

/** Only http(s) URLs are delivered to; anything else (a bare "elopage.com") gets no webhook. */
export function hasUsableWebhook(page: { webhookUrl?: string | null }): boolean {
  if (!page.webhookUrl) return false;
  try {
    const { protocol } = new URL(page.webhookUrl);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
