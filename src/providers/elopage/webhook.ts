/**
 * elopage payment notifications (providers/elopage.md quirk 7): elopage signs nothing, so the body
 * is only a hint naming a payment or refund, which the gateway then reads from elopage's API.
 */
import { parseWebhookBody } from '../webhookBody.js';
import { isElopageId } from './client.js';
import { elopageNotificationSchema } from './schemas.js';

/** The ID of the transaction a notification names; null when it names none. */
export function readElopageNotification(raw: Buffer): string | null {
  const parsed = elopageNotificationSchema.safeParse(parseWebhookBody(raw));
  return parsed.success && isElopageId(parsed.data.id) ? parsed.data.id : null;
}
