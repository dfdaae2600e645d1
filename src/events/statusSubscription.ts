import type { Metrics, Transport } from '../metrics.js';
import type { TransactionStatusEvent } from './event.js';
import type { EventLog } from './log.js';
import { observeDeliveries } from './observed.js';
import { type StatusFilter, statusEvents } from './subscription.js';

/**
 * What a `transactionStatusChanged` subscriber asked for: the log, its filter and `after`. Iterated,
 * it follows the log on its own (statusEvents), as an SSE stream does; a graphql-ws operation joins
 * its subscriber group instead (events/subscriberGroups.ts), which reads the same fields.
 */
export class StatusSubscription implements AsyncIterable<TransactionStatusEvent> {
  constructor(
    readonly log: EventLog,
    readonly filter: StatusFilter,
    readonly after: string | null,
    readonly metrics: Metrics,
    readonly transport: Transport,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<TransactionStatusEvent> {
    const events = statusEvents(this.log, this.filter, this.after);
    return observeDeliveries(events, this.metrics, this.transport, this.after !== null);
  }
}
