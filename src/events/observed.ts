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
 * be returned until one came, and a closed subscription would stay open until then. A class rather
 * than closures: every idle subscription keeps one, and methods on the prototype cost it nothing.
 */
class ObservedDeliveries implements AsyncIterableIterator<TransactionStatusEvent> {
  private readonly iterator: AsyncIterator<TransactionStatusEvent>;
  private readonly labels: { transport: Transport };
  private readonly started = Date.now();
  private ended = false;

  constructor(
    source: AsyncIterable<TransactionStatusEvent>,
    private readonly metrics: Metrics,
    private readonly transport: Transport,
    private replaying: boolean,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
    this.labels = { transport };
    metrics.liveSubscriptions.inc(this.labels);
    if (replaying) metrics.liveReplays.inc(this.labels);
    if (transport === 'sse') metrics.liveConnections.inc(this.labels);
  }

  // One `then` per event, not an async function's extra promise and ticks: this runs per
  // subscriber and event, the fan-out's hottest path.
  next(): Promise<IteratorResult<TransactionStatusEvent>> {
    return this.iterator.next().then(
      (result) => this.delivered(result),
      (error: unknown) => this.failed(error),
    );
  }

  async return(value?: unknown): Promise<IteratorResult<TransactionStatusEvent>> {
    this.end();
    return (await this.iterator.return?.(value)) ?? { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<TransactionStatusEvent>> {
    this.end();
    if (this.iterator.throw) return this.iterator.throw(error);
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private delivered(result: IteratorResult<TransactionStatusEvent>): IteratorResult<TransactionStatusEvent> {
    if (result.done) {
      this.end();
      return result;
    }
    this.metrics.liveDeliveries.inc(this.labels);
    const recordedAt = result.value.occurredAt.getTime();
    this.replaying &&= recordedAt < this.started;
    if (this.replaying) this.metrics.liveReplayedEvents.inc(this.labels);
    else this.metrics.liveLag.observe(this.labels, Math.max(0, Date.now() - recordedAt) / 1000);
    return result;
  }

  private failed(error: unknown): never {
    if (error instanceof GraphQLError && error.extensions.code === SUBSCRIBER_TOO_SLOW) {
      this.metrics.liveCutOff.inc(this.labels);
    }
    this.end();
    throw error;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.metrics.liveSubscriptions.dec(this.labels);
    if (this.transport === 'sse') this.metrics.liveConnections.dec(this.labels);
  }
}

export function observeDeliveries(
  source: AsyncIterable<TransactionStatusEvent>,
  metrics: Metrics,
  transport: Transport,
  resumed: boolean,
): AsyncIterableIterator<TransactionStatusEvent> {
  return new ObservedDeliveries(source, metrics, transport, resumed);
}
