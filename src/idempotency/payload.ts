/**
 * Mutation payloads as stored for replays. A payload is `{ <object fields>, userErrors }` whose
 * object fields hold domain objects (domain/model.ts) or IDs. JSON keeps everything but Dates, which
 * only transactions carry; those are revived by the same field list as the event log uses, never by
 * a name rule that would also catch a merchant's metadata.
 */

import type { NodeObject } from '../domain/model.js';
import { reviveTransactionDates } from '../events/event.js';
import type { Loaders } from '../loaders.js';
import { scrubSecrets } from '../logger.js';

export function serializePayload(payload: object, masks: readonly PayloadMask[] = []): string {
  let text = JSON.stringify(payload);
  for (const { secret, shownAs } of masks) if (secret) text = text.replaceAll(secret, shownAs);
  return scrubSecrets(text);
}

/**
 * A secret a payload may carry, stored as what clients are shown instead: the elopage webhook token
 * in a sales page's webhookUrl is stored as `***`, exactly as SalesPage.webhookUrl shows it, so a
 * replay reads the same and Redis never holds the token. Every other configured secret is cut out
 * too (none is expected in a payload).
 */
export interface PayloadMask {
  secret: string;
  shownAs: string;
}

export function parsePayload<P>(text: string): P {
  const payload = JSON.parse(text) as Record<string, unknown>;
  for (const value of Object.values(payload)) {
    if (isTransaction(value)) reviveTransactionDates(value);
  }
  return payload as P;
}

function isTransaction(value: unknown): value is Record<string, unknown> {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'Charge' || kind === 'Payment' || kind === 'Refund';
}

function isNode(value: unknown): value is NodeObject {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && typeof (value as { providerId?: unknown }).providerId === 'string';
}

/**
 * Puts a replayed payload's objects into the request's loaders, so nested fields that load by ID
 * (a refund's `refundedTransaction`, say) read the same snapshot as the original response did,
 * instead of calling the provider: a replay shows what the first execution returned.
 */
export function primeLoaders(loaders: Loaders, payload: object): void {
  for (const value of Object.values(payload)) if (isNode(value)) loaders.remember(value);
}
