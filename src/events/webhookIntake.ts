/**
 * From a verified webhook body to the transactions it names, read from the provider: shared by the
 * receivers (a webhook as it arrives), an operator's replay of a stored delivery, and the
 * reconciler's follow-up of a verified webhook that was answered 503 (services/). The body is only a
 * hint: what is recorded is always what the provider's API says now.
 */
import type { Services } from '../context.js';
import { encodeGlobalId, globalIdOf } from '../domain/ids.js';
import type { Provider, Transaction } from '../domain/model.js';
import { type ElepayEvent, readElepayEvent, verifyElepaySignature } from '../providers/elepay/webhook.js';
import { readElopageNotification } from '../providers/elopage/webhook.js';
import { traced } from '../tracing/index.js';

/** What a verified body names. An elepay refund event always names its charge. */
export type WebhookNotice =
  | { provider: 'ELEPAY'; event: Exclude<ElepayEvent, { subject: 'refund' }> }
  | { provider: 'ELEPAY'; event: Extract<ElepayEvent, { subject: 'refund' }> & { chargeId: string } }
  | { provider: 'ELOPAGE'; id: string };

/** The notice a body holds; null when it is not the provider's event (or names nothing readable). */
export function readNotice(provider: Provider, raw: Buffer): WebhookNotice | null {
  if (provider === 'ELOPAGE') {
    const id = readElopageNotification(raw);
    return id ? { provider, id } : null;
  }
  const event = readElepayEvent(raw);
  if (!event) return null;
  // elepay serves a refund only under its charge: without the charge it cannot be read.
  if (event.subject === 'refund')
    return event.chargeId ? { provider, event: { ...event, chargeId: event.chargeId } } : null;
  return { provider, event };
}

/**
 * The global IDs a notice names before anything is read: elepay's say charge or refund; an elopage
 * notification names an ID that may be a payment or a refund, known only once read.
 */
export function namedTransactionIds(notice: WebhookNotice): string[] {
  if (notice.provider === 'ELOPAGE') return [];
  const { event } = notice;
  if (event.subject === 'charge') return [encodeGlobalId({ kind: 'Charge', id: event.chargeId })];
  if (event.subject === 'refund') {
    return [
      encodeGlobalId({ kind: 'Refund', provider: 'ELEPAY', chargeId: event.chargeId, id: event.refundId }),
      encodeGlobalId({ kind: 'Charge', id: event.chargeId }),
    ];
  }
  return [];
}

/** The provider has no readable object behind the webhook yet: it should retry later. */
export class NotReadableYet extends Error {}

/** The object a webhook names, which must exist: a lookup that finds nothing is retried later. */
function found<T>(object: T | null, what: string): T {
  if (object === null) throw new NotReadableYet(what);
  return object;
}

/**
 * A webhook says the object just changed: its lookup must not join a read of the same object that
 * was already in flight (providers/sharedReads.ts), whose answer may predate the change.
 */
const FRESH = { fresh: true };

/**
 * Reads what a notice names from its provider now: [] for an elepay event about something else.
 * Throws NotReadableYet when the provider cannot show it yet, a ProviderError when it fails.
 */
export async function fetchNamed(
  services: Pick<Services, 'elepay' | 'elopage'>,
  notice: WebhookNotice,
): Promise<Transaction[]> {
  if (notice.provider === 'ELOPAGE') {
    return [
      found(
        await traced('webhook.fetch', () => services.elopage.getTransaction(notice.id, FRESH)),
        'payment',
      ),
    ];
  }
  const { event } = notice;
  const client = services.elepay;
  if (event.subject === 'charge') {
    return [found(await traced('webhook.fetch', () => client.getCharge(event.chargeId, FRESH)), 'charge')];
  }
  if (event.subject === 'refund') {
    // A refund also moves its charge (PARTIALLY_REFUNDED, REFUNDED): record both as elepay has them.
    const [refund, charge] = await traced('webhook.fetch', () =>
      Promise.all([
        client.getRefund(event.chargeId, event.refundId, FRESH),
        client.getCharge(event.chargeId, FRESH),
      ]),
    );
    return [found(refund, 'refund'), found(charge, 'charge')];
  }
  return [];
}

/** The global IDs of what was read. */
export function idsOf(transactions: readonly Transaction[]): string[] {
  return transactions.map((transaction) => globalIdOf(transaction));
}

/**
 * Checks an elepay signature with the configured secrets (current and previous), as of `atMs`:
 * a stored delivery is checked again as of when it was received.
 */
export type ElepaySignatureCheck = (
  header: string | undefined,
  raw: Buffer,
  atMs?: number,
) => ReturnType<typeof verifyElepaySignature>;

export function elepaySignatureCheck(secrets: readonly string[]): ElepaySignatureCheck {
  return (header, raw, atMs) => verifyElepaySignature(header, raw, secrets, atMs);
}
