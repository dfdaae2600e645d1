import { FixedBuffer, Repeater } from '@repeaterjs/repeater';
import type { Provider } from '../domain/model.js';
import { compareCursors, type TransactionStatusEvent } from './event.js';
import type { EventLog } from './log.js';

export interface StatusFilter {
  /** Global IDs of transactions; empty or absent = all. */
  ids?: ReadonlySet<string>;
  provider?: Provider;
  /** elopage sales page ID (provider ID). */
  salesPageId?: string;
}

/** Events a subscriber may fall behind by before it is cut off (it can resume with `after`). */
const SUBSCRIBER_BUFFER = 10_000;

function matches(filter: StatusFilter, event: TransactionStatusEvent): boolean {
  if (filter.ids && filter.ids.size > 0 && !filter.ids.has(event.transactionId)) return false;
  if (filter.provider && filter.provider !== event.provider) return false;
  if (filter.salesPageId && filter.salesPageId !== event.salesPageId) return false;
  return true;
}

/**
 * The events one subscriber receives. With `after`, it first replays what the log holds after that
 * cursor, then continues live. Live events are buffered from before the replay starts, and every
 * event at or before the last one delivered is dropped, so the seam has no gap and no duplicate.
 */
export function statusEvents(
  log: EventLog,
  filter: StatusFilter,
  after: string | null,
): AsyncIterable<TransactionStatusEvent> {
  return new Repeater<TransactionStatusEvent>(async (push, stop) => {
    let last = after;
    let replaying = after !== null;
    const heldBack: TransactionStatusEvent[] = [];
    const deliver = (event: TransactionStatusEvent) => {
      if (last !== null && compareCursors(event.cursor, last) <= 0) return;
      last = event.cursor;
      if (matches(filter, event)) push(event).catch(stop);
    };
    const unlisten = log.listen((event) => (replaying ? heldBack.push(event) : deliver(event)));
    try {
      if (after !== null) {
        for (const event of await log.since(after)) deliver(event);
        replaying = false;
        for (const event of heldBack.splice(0)) deliver(event);
      }
    } catch (error) {
      stop(error);
    }
    await stop;
    unlisten();
  }, new FixedBuffer(SUBSCRIBER_BUFFER));
}
