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
export const SUBSCRIBER_BUFFER = 10_000;

export function matches(filter: StatusFilter, event: TransactionStatusEvent): boolean {
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
 * One subscriber's position in the log and its queue of events to deliver. With `after`, it first
 * replays what the log holds after that cursor, then continues live. Live events are held back from
 * before the replay starts, and every event at or before the last one taken is dropped, so the seam
 * has no gap and no duplicate. While replaying, the queue counts as full at half its capacity: the
 * replay waits for the client there, so the live phase starts with room to spare rather than with a
 * queue the replay just filled.
 */
export class SubscriberFeed {
  readonly stream: SubscriberStream<TransactionStatusEvent>;
  private last: string | null;
  private replaying: boolean;
  private readonly heldBack: TransactionStatusEvent[] = [];

  constructor(
    private readonly log: EventLog,
    private readonly filter: StatusFilter,
    private readonly after: string | null,
  ) {
    this.stream = new SubscriberStream(after === null ? SUBSCRIBER_BUFFER : SUBSCRIBER_BUFFER / 2);
    this.last = after;
    this.replaying = after !== null;
  }

  /** Call once live events reach `offer`: with `after`, the replay starts (the seam is safe from here). */
  begin(): void {
    if (this.after !== null) void this.replay(this.after);
  }

  /**
   * A live event, in log order. Queued for the reader; or, when `direct` and nothing is queued or
   * on its way while the reader waits, left to the caller: true means "write it yourself, now".
   */
  offer(event: TransactionStatusEvent, direct = false): boolean {
    if (this.replaying) {
      if (matches(this.filter, event) && this.heldBack.push(event) > SUBSCRIBER_BUFFER) this.cutOff();
      return false;
    }
    if (!this.stream.open || !this.isNext(event)) return false;
    if (direct && this.stream.idle) return true;
    // A full queue means the client stopped reading: cut it off rather than queue without bound. It
    // still gets what is queued, then the error, and can resume with `after` from its last cursor.
    if (this.stream.full) this.cutOff();
    else this.stream.push(event);
    return false;
  }

  /** Ends the subscription with SUBSCRIBER_TOO_SLOW once the reader has what is queued. */
  cutOff(): void {
    this.stream.stop(
      new GraphQLError('The subscriber fell too far behind; resubscribe with `after` its last cursor', {
        extensions: { code: SUBSCRIBER_TOO_SLOW },
      }),
    );
  }

  /** Whether `event` is news for this subscriber; moves `last` past it. */
  private isNext(event: TransactionStatusEvent): boolean {
    if (this.last !== null && compareCursors(event.cursor, this.last) <= 0) return false;
    this.last = event.cursor;
    return matches(this.filter, event);
  }

  /** Pushes `event` if it is news, waiting for the reader while the queue is full. */
  private async replayOne(event: TransactionStatusEvent): Promise<void> {
    if (!this.isNext(event)) return;
    const room = this.stream.room();
    if (room) await room;
    this.stream.push(event);
  }

  private async replay(cursor: string): Promise<void> {
    const stream = this.stream;
    try {
      const { events, position } = await this.log.since(cursor);
      // Retention may have dropped events since the subscribe-time check: a gap is never silent.
      if (position.kind === 'expired') throw cursorExpired(position.oldest);
      // The backlog may be larger than the queue: each push waits for room. Live events wait in
      // `heldBack` meanwhile, as many as the queue holds (a client that stops reading mid-replay
      // is cut off too).
      for (const event of events) {
        if (!stream.open) return;
        await this.replayOne(event);
      }
      while (this.heldBack.length > 0 && stream.open) {
        for (const event of this.heldBack.splice(0)) {
          if (!stream.open) return;
          await this.replayOne(event);
        }
      }
      // No await since the last check: nothing can slip between the held-back and the live ones.
      this.replaying = false;
      stream.capacity = SUBSCRIBER_BUFFER;
    } catch (error) {
      stream.stop(error);
    }
  }
}

/** The events one subscriber receives, following the log on its own (see SubscriberFeed). */
export function statusEvents(
  log: EventLog,
  filter: StatusFilter,
  after: string | null,
): AsyncIterableIterator<TransactionStatusEvent> {
  const feed = new SubscriberFeed(log, filter, after);
  feed.stream.whenClosed(log.listen((event) => feed.offer(event)));
  feed.begin();
  return feed.stream;
}
