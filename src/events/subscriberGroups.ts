import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Metrics } from '../metrics.js';
import type { TransactionStatusEvent } from './event.js';
import type { EventLog } from './log.js';
import { observeDeliveries } from './observed.js';
import type { StatusSubscription } from './statusSubscription.js';
import { matches, type StatusFilter, SUBSCRIBER_BUFFER, SubscriberFeed } from './subscription.js';
import { textFrames, writeCorked } from './webSocketFrames.js';

/**
 * graphql-ws subscribers served by their group: one log listener, one filter match, one execution
 * and one serialization per group and event, then per member only a frame written on its socket.
 *
 * A group is every graphql-ws subscriber with the same document, operation, variables (but one
 * used only as `after`) and authorization scope (sharedExecution.ts: `subscriberGroupKey`); they
 * would compute the same result for every event. Each member keeps a small record, under its
 * socket's: the head of its frames (its operation id) and its position (a SubscriberFeed: the
 * cursor it has, the queue it has not read). graphql-ws still owns
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
 * as many frames of a typical event (~450 bytes) as a subscriber's queue holds events
 * (SUBSCRIBER_BUFFER).
 */
export const MAX_SOCKET_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Frames written per turn of the event loop, over all groups: between turns Node polls I/O, so
 * HTTP queries and webhooks are answered while a large fan-out goes on. A turn of this many takes
 * a few milliseconds; the frames a socket gets in one turn leave in one write (writeCorked), and
 * that system call costs more than the frames' own work, so turns are not made smaller.
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

/**
 * Where a graphql-ws operation's frames go: its WebSocket, the TCP connection under it, and the
 * operation's id. websocket.ts puts it in the operation's context as `graphqlWsOperation` (one
 * property: a subscription keeps its context as long as it lives, and V8 keeps an object with few
 * properties compact).
 */
export interface GraphqlWsOperation {
  socket: WebSocket;
  connection: Socket;
  id: string;
}

export function graphqlWsOperationOf(context: object): GraphqlWsOperation | null {
  return (context as { graphqlWsOperation?: GraphqlWsOperation }).graphqlWsOperation ?? null;
}

/** The JSON text of the group's result for an event, or null when it must not be shared. */
export type GroupExecution = (event: TransactionStatusEvent) => Promise<string | null>;

const FRAME_TAIL = Buffer.from('}');

interface Member {
  feed: SubscriberFeed;
  /** Its `next` message up to the payload, in graphql-ws's key order. */
  frameHead: string;
  /** The group's event count when it joined: earlier events were not its own. */
  joinedAfter: number;
}

/** A socket with members in the group: they get an event's frames in one write. */
interface Connection {
  socket: WebSocket;
  tcp: Socket;
  members: Set<Member>;
}

/** The frame heads of one connection's members that take the event being delivered (reused). */
const heads: string[] = [];
const takers: Member[] = [];

interface Pending {
  seq: number;
  event: TransactionStatusEvent;
  text: Promise<string | null>;
}

class SubscriberGroup {
  private readonly connections = new Map<WebSocket, Connection>();
  private size = 0;
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
      frameHead: `{"id":${JSON.stringify(operation.id)},"type":"next","payload":`,
      joinedAfter: this.seq,
    };
    let connection = this.connections.get(operation.socket);
    if (!connection) {
      connection = { socket: operation.socket, tcp: operation.connection, members: new Set() };
      this.connections.set(operation.socket, connection);
    }
    const { members } = connection;
    members.add(member);
    this.size += 1;
    feed.stream.whenClosed(() => {
      members.delete(member);
      if (members.size === 0) this.connections.delete(operation.socket);
      this.size -= 1;
      if (this.size > 0) return;
      this.stopListening();
      this.onEmpty();
    });
  }

  private receive(event: TransactionStatusEvent): void {
    if (!matches(this.filter, event)) return;
    this.seq += 1;
    // The group itself is that far behind (its executions or writes): so is every member.
    if (this.pending.length >= SUBSCRIBER_BUFFER) {
      for (const { members } of this.connections.values()) for (const member of members) member.feed.cutOff();
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
    // Encoded once: each frame is then copies of bytes, not a string to build and encode.
    const payload = text === null ? null : Buffer.from(text);
    const recordedAt = event.occurredAt.getTime();
    let written = 0;
    const count = () => {
      if (written === 0) return;
      this.deliveries.inc(written);
      const lag = Math.max(0, Date.now() - recordedAt) / 1000;
      for (; written > 0; written--) this.lag.observe(lag);
    };
    for (const { socket, tcp, members } of this.connections.values()) {
      takers.length = 0;
      for (const member of members) {
        if (member.joinedAfter < seq && member.feed.offer(event, payload !== null)) takers.push(member);
      }
      if (takers.length === 0 || payload === null) continue;
      // A socket that stopped reading: cut it off rather than buffer without bound.
      if (socket.bufferedAmount > MAX_SOCKET_BUFFERED_BYTES) {
        for (const member of takers) member.feed.cutOff();
        continue;
      }
      // Nothing may follow a close frame; the members leave when graphql-ws sees the close.
      if (socket.readyState !== socket.OPEN) continue;
      write(socket, tcp, takers, payload);
      written += takers.length;
      turnBudget -= takers.length;
      if (turnBudget <= 0) {
        count();
        await waitForNextTurn();
      }
    }
    count();
  }
}

/**
 * The members' `next` frames, on the socket. In one write straight onto the TCP connection when the
 * WebSocket has no extension (ws then writes its own frames synchronously, so order is kept);
 * through `ws.send` otherwise (a compressing socket frames asynchronously).
 */
function write(socket: WebSocket, tcp: Socket, members: Member[], payload: Buffer): void {
  if (socket.extensions === '') {
    heads.length = 0;
    for (const member of members) heads.push(member.frameHead);
    writeCorked(tcp, textFrames(heads, payload, FRAME_TAIL));
    return;
  }
  for (const member of members) {
    socket.send(Buffer.concat([Buffer.from(member.frameHead), payload, FRAME_TAIL]), { binary: false });
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
