import { GraphQLError } from 'graphql';
import type { Provider } from '../domain/model.js';
import { compareCursors, isCursor, type TransactionStatusEvent } from './event.js';
import type { EventLog } from './log.js';
import { SubscriberStream } from './subscriberStream.js';

export interface StatusFilter {
  /** Global IDs of transactions; empty or absent = all. */
  ids?: ReadonlySet<string>;
  provider?: Provider;
  /** elopage sales page ID (provider ID). */
  salesPageId?: string;
  /** The subscriber's tenant: only its transactions' changes (absent: every change). */
  tenant?: string;
}

/** Events a subscriber may fall behind by before it is cut off (it can resume with `after`). */
const SUBSCRIBER_BUFFER = 10_000;

function matches(filter: StatusFilter, event: TransactionStatusEvent): boolean {
  if (filter.ids && filter.ids.size > 0 && !filter.ids.has(event.transactionId)) return false;
  if (filter.provider && filter.provider !== event.provider) return false;
  if (filter.salesPageId && filter.salesPageId !== event.salesPageId) return false;
  if (filter.tenant && filter.tenant !== event.tenant) return false;
  return true;
}

/** Why a subscriber that stopped reading is cut off; it can resume with `after`. */
export const SUBSCRIBER_TOO_SLOW = 'SUBSCRIBER_TOO_SLOW';
/** Why a resume is refused: retention dropped events after its cursor. */
export const CURSOR_EXPIRED = 'CURSOR_EXPIRED';

function badCursor(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/**
 * The typed signal of a gap: the events after the subscriber's cursor are gone, so it must re-read
 * the state it tracks (queries), then subscribe again without `after`, or with `after: "0-0"` for
 * everything still kept (`oldestCursor` is the first of those; null when nothing is kept).
 */
function cursorExpired(oldest: string | null): GraphQLError {
  return new GraphQLError(
    'Events after this cursor are no longer kept: re-read the state you track, then subscribe without `after` (or with "0-0" for every kept event)',
    { extensions: { code: CURSOR_EXPIRED, oldestCursor: oldest } },
  );
}

/**
 * Refuses, at subscribe time, an `after` the log cannot resume from without a silent gap: not a
 * cursor (empty included) or past the newest event (another environment's cursor, a reset Redis)
 * is BAD_USER_INPUT; one older than retention is CURSOR_EXPIRED.
 */
export async function checkResumeCursor(log: EventLog, after: string): Promise<void> {
  if (!isCursor(after)) throw badCursor('`after` must be the cursor of a previous event');
  const position = await log.locate(after);
  if (position.kind === 'beyond') {
    throw badCursor('`after` is later than the newest event: it is not a cursor of this event log');
  }
  if (position.kind === 'expired') throw cursorExpired(position.oldest);
}

/**
 * The events one subscriber receives. With `after`, it first replays what the log holds after that
 * cursor, then continues live. Live events are held back from before the replay starts, and every
 * event at or before the last one delivered is dropped, so the seam has no gap and no duplicate.
 * While replaying, the queue counts as full at half its capacity: the replay waits for the client
 * there, so the live phase starts with room to spare rather than with a queue the replay just filled.
 */
export function statusEvents(
  log: EventLog,
  filter: StatusFilter,
  after: string | null,
): AsyncIterableIterator<TransactionStatusEvent> {
  const stream = new SubscriberStream<TransactionStatusEvent>(
    after === null ? SUBSCRIBER_BUFFER : SUBSCRIBER_BUFFER / 2,
  );
  let last = after;
  let replaying = after !== null;
  const heldBack: TransactionStatusEvent[] = [];
  /** Whether `event` is news for this subscriber; moves `last` past it. */
  const isNext = (event: TransactionStatusEvent) => {
    if (last !== null && compareCursors(event.cursor, last) <= 0) return false;
    last = event.cursor;
    return matches(filter, event);
  };
  const cutOff = () =>
    stream.stop(
      new GraphQLError('The subscriber fell too far behind; resubscribe with `after` its last cursor', {
        extensions: { code: SUBSCRIBER_TOO_SLOW },
      }),
    );
  const deliverLive = (event: TransactionStatusEvent) => {
    if (!isNext(event)) return;
    // A full queue means the client stopped reading: cut it off rather than queue without bound. It
    // still gets what is queued, then the error, and can resume with `after` from its last cursor.
    if (stream.full) return cutOff();
    stream.push(event);
  };
  const holdBack = (event: TransactionStatusEvent) => {
    if (matches(filter, event) && heldBack.push(event) > SUBSCRIBER_BUFFER) cutOff();
  };
  stream.whenClosed(log.listen((event) => (replaying ? holdBack(event) : deliverLive(event))));

  /** Pushes `event` if it is news, waiting for the reader while the queue is full. */
  const replayOne = async (event: TransactionStatusEvent) => {
    if (!isNext(event)) return;
    const room = stream.room();
    if (room) await room;
    stream.push(event);
  };
  const replay = async (cursor: string) => {
    try {
      const { events, position } = await log.since(cursor);
      // Retention may have dropped events since the subscribe-time check: a gap is never silent.
      if (position.kind === 'expired') throw cursorExpired(position.oldest);
      // The backlog may be larger than the queue: each push waits for room. Live events wait in
      // `heldBack` meanwhile, as many as the queue holds (a client that stops reading mid-replay
      // is cut off too).
      for (const event of events) {
        if (!stream.open) return;
        await replayOne(event);
      }
      while (heldBack.length > 0 && stream.open) {
        for (const event of heldBack.splice(0)) {
          if (!stream.open) return;
          await replayOne(event);
        }
      }
      // No await since the last check: nothing can slip between the held-back and the live ones.
      replaying = false;
      stream.capacity = SUBSCRIBER_BUFFER;
    } catch (error) {
      stream.stop(error);
    }
  };
  if (after !== null) void replay(after);
  return stream;
}
