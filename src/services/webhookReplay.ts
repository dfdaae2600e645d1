/**
 * Replaying a stored webhook delivery (src/ledger/deliveries.ts) through the receivers' own path:
 * check again what can be checked, read what the body names from the provider now, and record it
 * in the event log, which publishes only news (a duplicate publishes nothing). The operator's
 * `replayWebhookDelivery` and the reconciler's follow-up of refused webhooks both go through here.
 */
import type { Services } from '../context.js';
import { CodedError } from '../domain/errors.js';
import type { Transaction } from '../domain/model.js';
import type { RecordOrigin } from '../events/event.js';
import { fetchNamed, idsOf, NotReadableYet, readNotice } from '../events/webhookIntake.js';
import type { WebhookDelivery } from '../ledger/deliveries.js';

/**
 * What a replay did: PUBLISHED (news recorded and published), DUPLICATE (nothing new), IGNORED (an
 * event about nothing the gateway follows), NOT_VERIFIED (it fails verification: no provider call),
 * UNREADABLE_BODY (no event in it), NOT_READABLE_YET (the provider cannot show the object yet).
 */
export type ReplayResult =
  | 'PUBLISHED'
  | 'DUPLICATE'
  | 'IGNORED'
  | 'NOT_VERIFIED'
  | 'UNREADABLE_BODY'
  | 'NOT_READABLE_YET';

export interface Replay {
  result: ReplayResult;
  /** What the body named, as the provider has it now. */
  transactions: Transaction[];
  /** Cursors of the changes it published. */
  eventCursors: string[];
}

type ReplayServices = Pick<Services, 'elepay' | 'elopage' | 'events' | 'ledger' | 'metrics'>;

/**
 * Reads what a verified delivery named and records it with `source`; ends the reconciler's
 * follow-up of the delivery once recorded. Rejects when the provider or the event log fails.
 */
export async function rerecordDelivery(
  services: ReplayServices,
  delivery: WebhookDelivery,
  source: NonNullable<RecordOrigin['source']>,
): Promise<Replay> {
  const notice =
    delivery.body === null ? null : readNotice(delivery.provider, Buffer.from(delivery.body, 'utf8'));
  const settled = async (replay: Replay) => {
    const ids = idsOf(replay.transactions);
    const named = ids.length > 0 && ids.join() !== delivery.transactionIds.join();
    if (delivery.awaitingReconciliation || named)
      await services.ledger.deliveries.endFollowUp(delivery.id, ids);
    return replay;
  };
  if (!notice) return settled({ result: 'UNREADABLE_BODY', transactions: [], eventCursors: [] });
  let transactions: Transaction[];
  try {
    transactions = await fetchNamed(services, notice);
  } catch (error) {
    if (error instanceof NotReadableYet)
      return { result: 'NOT_READABLE_YET', transactions: [], eventCursors: [] };
    throw error;
  }
  const origin: RecordOrigin =
    source === 'WEBHOOK' && delivery.providerEventId
      ? { source, providerEventId: delivery.providerEventId }
      : { source };
  const eventCursors: string[] = [];
  for (const transaction of transactions) {
    const { event } = await services.events.record(transaction, origin);
    if (!event) continue;
    eventCursors.push(event.cursor);
    const { provider, kind, status } = transaction;
    services.metrics.statusChanges.inc({ provider, kind, status });
  }
  const result = transactions.length === 0 ? 'IGNORED' : eventCursors.length > 0 ? 'PUBLISHED' : 'DUPLICATE';
  return settled({ result, transactions, eventCursors });
}

/**
 * An operator's replay: an elepay delivery's signature is checked again with the secrets configured
 * now, as of when it was received (a delivery refused for a wrong secret that has since been
 * fixed passes; a stale one stays stale); elopage's path token is never stored, so an elopage
 * delivery is replayed only if its token was right. One that fails calls no provider.
 */
export async function replayWebhookDelivery(
  services: ReplayServices & Pick<Services, 'checkElepaySignature'>,
  delivery: WebhookDelivery,
): Promise<Replay> {
  if (!verifiedAgain(services, delivery))
    return { result: 'NOT_VERIFIED', transactions: [], eventCursors: [] };
  try {
    return await rerecordDelivery(services, delivery, 'WEBHOOK');
  } catch (error) {
    if (error instanceof CodedError) throw error;
    throw new CodedError(
      'EVENT_LOG_UNAVAILABLE',
      'the event log cannot record the replayed webhook now; nothing was published',
    );
  }
}

function verifiedAgain(services: Pick<Services, 'checkElepaySignature'>, delivery: WebhookDelivery): boolean {
  if (delivery.provider === 'ELOPAGE') return delivery.verified;
  if (delivery.body === null) return false;
  const raw = Buffer.from(delivery.body, 'utf8');
  return (
    services.checkElepaySignature(delivery.signature ?? undefined, raw, delivery.receivedAt.getTime()) ===
    'valid'
  );
}
