import { GraphQLError } from 'graphql';
import type { Metrics, Transport } from '../metrics.js';
import type { TransactionStatusEvent } from './event.js';
import { SUBSCRIBER_TOO_SLOW } from './subscription.js';

/**
 * One subscriber's events as they leave for the client, counted at that edge: open subscriptions
 * (and SSE streams, one per subscription), deliveries, cut-offs, lag from record to delivery, and
 * for a resumed subscription the events it replayed (those recorded before it began; its live
 * events start with the first one recorded after).
 *
 * A plain iterator rather than an async generator: a generator waiting for the next event could not
 * be returned until one came, and a closed subscription would stay open until then.
 */
export function observeDeliveries(
  source: AsyncIterable<TransactionStatusEvent>,
  metrics: Metrics,
  transport: Transport,
  resumed: boolean,
): AsyncIterableIterator<TransactionStatusEvent> {
  const iterator = source[Symbol.asyncIterator]();
  const labels = { transport };
  const started = Date.now();
  let replaying = resumed;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    metrics.liveSubscriptions.dec(labels);
    if (transport === 'sse') metrics.liveConnections.dec(labels);
  };
  metrics.liveSubscriptions.inc(labels);
  if (resumed) metrics.liveReplays.inc(labels);
  if (transport === 'sse') metrics.liveConnections.inc(labels);

  const delivered = (result: IteratorResult<TransactionStatusEvent>) => {
    if (result.done) {
      end();
      return result;
    }
    metrics.liveDeliveries.inc(labels);
    const recordedAt = result.value.occurredAt.getTime();
    replaying &&= recordedAt < started;
    if (replaying) metrics.liveReplayedEvents.inc(labels);
    else metrics.liveLag.observe(labels, Math.max(0, Date.now() - recordedAt) / 1000);
    return result;
  };
  const failed = (error: unknown): never => {
    if (error instanceof GraphQLError && error.extensions.code === SUBSCRIBER_TOO_SLOW) {
      metrics.liveCutOff.inc(labels);
    }
    end();
    throw error;
  };

  return {
    // One `then` per event, not an async function's extra promise and ticks: this runs per
    // subscriber and event, the fan-out's hottest path.
    next: () => iterator.next().then(delivered, failed),
    async return(value?: unknown) {
      end();
      return (await iterator.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      end();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
