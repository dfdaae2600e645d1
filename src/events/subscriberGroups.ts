import type { WebSocket } from 'ws';
import type { Metrics } from '../metrics.js';
import type { TransactionStatusEvent } from './event.js';
import type { EventLog } from './log.js';
import { observeDeliveries } from './observed.js';
import type { StatusSubscription } from './statusSubscription.js';
import { matches, type StatusFilter, SUBSCRIBER_BUFFER, SubscriberFeed } from './subscription.js';

/**
 * graphql-ws subscribers served by their group: one log listener, one filter match, one execution
 * and one serialization per group and event, then per member only a frame written on its socket.
 *
 * A group is every graphql-ws subscriber with the same document, operation, variables and
 * authorization scope (sharedExecution.ts: `subscriberGroupKey`); they would compute the same
 * result for every event. Each member keeps a small record: its socket, its operation id, its
 * position (a SubscriberFeed: the cursor it has, the queue it has not read). graphql-ws still owns
 * the protocol: the operation's iterator is the member's queue, which stays empty while the group
 * writes `next` frames directly, so graphql-ws only sees the subscription start and end (and sends
 * `complete` or `error` itself).
 *
 * An event goes through the member's queue instead, in order behind whatever is queued, when its
 * result holds errors (they are masked per operation, by the same plugins as any other result),
 * while the member replays `after`, or while an earlier frame is still on its way through the
 * queue. Once the queue is read and the reader waits again, direct writes resume: a member joins
 * the direct path only when nothing of its own can overtake or be overtaken.
 */

/**
 * Bytes a socket may have waiting to be sent before its subscriptions are cut off with
 * SUBSCRIBER_TOO_SLOW (the client can resume with `after`). On top of the kernel's buffers; about
 * as many frames of a typical event as a subscriber's queue holds events (SUBSCRIBER_BUFFER).
 */
export const MAX_SOCKET_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Frames written per turn of the event loop, over all groups: between turns Node polls I/O, so
 * HTTP queries and webhooks are answered while a large fan-out goes on. A turn of this many takes
 * a few milliseconds; the frames a socket gets in one turn leave in one write (websocket.ts corks
 * it), and that system call costs more than the frames' own work, so turns are not made smaller.
 */
const WRITES_PER_TURN = 2_000;

let turnBudget = WRITES_PER_TURN;
let nextTurn: Promise<void> | null = null;

function waitForNextTurn(): Promise<void> {
  nextTurn ??= new Promise((resolve) =>
    setImmediate(() => {
      nextTurn = null;
      turnBudget = WRITES_PER_TURN;
      resolve();
    }),
  );
  return nextTurn;
}

/** Where a graphql-ws operation's frames go (websocket.ts puts both in the operation's context). */
export interface GraphqlWsOperation {
  socket: WebSocket;
  graphqlWsOperationId: string;
}

export function graphqlWsOperationOf(context: object): GraphqlWsOperation | null {
  const { socket, graphqlWsOperationId } = context as Partial<GraphqlWsOperation>;
  return socket && typeof graphqlWsOperationId === 'string' ? { socket, graphqlWsOperationId } : null;
}

/** The JSON text of the group's result for an event, or null when it must not be shared. */
export type GroupExecution = (event: TransactionStatusEvent) => Promise<string | null>;

const FRAME_TAIL = Buffer.from('}');

interface Member {
  feed: SubscriberFeed;
  socket: WebSocket;
  /** Its `next` frame up to the payload, in graphql-ws's key order, as UTF-8. */
  frameHead: Buffer;
  /** The group's event count when it joined: earlier events were not its own. */
  joinedAfter: number;
}

interface Pending {
  seq: number;
  event: TransactionStatusEvent;
  text: Promise<string | null>;
}

class SubscriberGroup {
  private readonly members = new Set<Member>();
  /** Matching events in log order, executing or waiting to be written. */
  private readonly pending: Pending[] = [];
  private seq = 0;
  private draining = false;
  private readonly stopListening: () => void;
  private readonly deliveries: ReturnType<Metrics['liveDeliveries']['labels']>;
  private readonly lag: ReturnType<Metrics['liveLag']['labels']>;

  constructor(
    log: EventLog,
    private readonly filter: StatusFilter,
    private readonly execute: GroupExecution,
    metrics: Metrics,
    private readonly onEmpty: () => void,
  ) {
    const labels = { transport: 'graphql-ws' } as const;
    this.deliveries = metrics.liveDeliveries.labels(labels);
    this.lag = metrics.liveLag.labels(labels);
    this.stopListening = log.listen((event) => this.receive(event));
  }

  join(feed: SubscriberFeed, operation: GraphqlWsOperation): void {
    const member: Member = {
      feed,
      socket: operation.socket,
      frameHead: Buffer.from(
        `{"id":${JSON.stringify(operation.graphqlWsOperationId)},"type":"next","payload":`,
      ),
      joinedAfter: this.seq,
    };
    this.members.add(member);
    feed.stream.whenClosed(() => {
      this.members.delete(member);
      if (this.members.size > 0) return;
      this.stopListening();
      this.onEmpty();
    });
  }

  private receive(event: TransactionStatusEvent): void {
    if (!matches(this.filter, event)) return;
    this.seq += 1;
    // The group itself is that far behind (its executions or writes): so is every member.
    if (this.pending.length >= SUBSCRIBER_BUFFER) {
      for (const member of this.members) member.feed.cutOff();
      return;
    }
    const text = this.execute(event).catch(() => null);
    this.pending.push({ seq: this.seq, event, text });
    if (!this.draining) void this.drain();
  }

  /** Delivers the pending events one after another, in log order, whatever order they execute in. */
  private async drain(): Promise<void> {
    this.draining = true;
    for (let next = this.pending[0]; next; next = this.pending[0]) {
      await this.deliver(next, await next.text);
      this.pending.shift();
    }
    this.draining = false;
  }

  private async deliver({ seq, event }: Pending, text: string | null): Promise<void> {
    // Encoded once: each frame is then three copies of bytes, not a string to build and encode.
    const payload = text === null ? null : Buffer.from(text);
    const recordedAt = event.occurredAt.getTime();
    let written = 0;
    const count = () => {
      if (written === 0) return;
      this.deliveries.inc(written);
      const lag = Math.max(0, Date.now() - recordedAt) / 1000;
      for (; written > 0; written--) this.lag.observe(lag);
    };
    for (const member of this.members) {
      if (member.joinedAfter >= seq || !member.feed.offer(event, payload !== null)) continue;
      // A socket that stopped reading: cut it off rather than buffer without bound.
      if (member.socket.bufferedAmount > MAX_SOCKET_BUFFERED_BYTES) {
        member.feed.cutOff();
        continue;
      }
      const frame = Buffer.concat([member.frameHead, payload as Buffer, FRAME_TAIL]);
      member.socket.send(frame, { binary: false });
      written += 1;
      turnBudget -= 1;
      if (turnBudget <= 0) {
        count();
        await waitForNextTurn();
      }
    }
    count();
  }
}

const groupsByLog = new WeakMap<EventLog, Map<string, SubscriberGroup>>();

/**
 * Adds a graphql-ws subscriber to its group (created with its first member, dropped with its last)
 * and returns its iterator for graphql-ws: the member's queue, counted like any subscription's.
 * `execute` runs the group's execution of an event (called once per event, for the whole group).
 */
export function joinSubscriberGroup(
  key: string,
  subscription: StatusSubscription,
  operation: GraphqlWsOperation,
  execute: GroupExecution,
): AsyncIterableIterator<TransactionStatusEvent> {
  const { log, filter, after, metrics } = subscription;
  const groups = groupsByLog.get(log) ?? new Map<string, SubscriberGroup>();
  groupsByLog.set(log, groups);
  let group = groups.get(key);
  if (!group) {
    const created = new SubscriberGroup(log, filter, execute, metrics, () => {
      if (groups.get(key) === created) groups.delete(key);
    });
    groups.set(key, created);
    group = created;
  }
  const feed = new SubscriberFeed(log, filter, after);
  group.join(feed, operation);
  feed.begin();
  return observeDeliveries(feed.stream, metrics, 'graphql-ws', after !== null);
}
