import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ChargeDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
  TransactionStatusFeedDocument,
} from '../generated/graphql.js';
import { createCharge, refund, settle } from '../support/flows.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { connectWs, subscribeWs } from '../support/subscriptions.js';

/**
 * graphql-ws subscribers served by their group (src/events/subscriberGroups.ts): the group writes
 * each member's `next` frames straight onto its socket. Seen here frame by frame, with a raw
 * graphql-transport-ws client: a completed operation gets nothing more, operations with different
 * filters on one socket each get only their events, a socket that stops reading is cut off with
 * SUBSCRIBER_TOO_SLOW while the rest carry on, and a resume with `after` joins without a gap or a
 * duplicate while events keep coming.
 */
let gw: TestGateway;
const clients: Client[] = [];
const sockets: RawSocket[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ ELEPAY_WEBHOOK_SECRET: 'whsec_subscriber_groups_tests_0001' });
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all(clients.map((client) => client.dispose()));
  gw.expectNoLeaks();
  await gw.close();
});

interface Frame {
  id?: string;
  type: string;
  payload?: {
    data?: TransactionStatusChangedSubscription;
    message?: string;
    extensions?: { code?: string };
  } & { message?: string; extensions?: { code?: string } }[];
}

/** A graphql-transport-ws client that keeps every frame it receives, in order. */
class RawSocket {
  readonly frames: Frame[] = [];
  private readonly waiters = new Set<() => void>();
  private probes = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const waiter of this.waiters) waiter();
    });
  }

  static async open(url: string): Promise<RawSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const socket = new RawSocket(ws);
    sockets.push(socket);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'connection_init' }));
    await socket.until(() => socket.frames.some((frame) => frame.type === 'connection_ack'));
    return socket;
  }

  subscribe(id: string, query: string, variables: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  }

  complete(id: string): void {
    this.ws.send(JSON.stringify({ id, type: 'complete' }));
  }

  /**
   * Resolves once every operation sent before is live: a query sent after them on this socket
   * completes only after a call to elepay, while subscribing needs no I/O (as syncWs).
   */
  async sync(): Promise<void> {
    const id = `probe-${++this.probes}`;
    this.subscribe(id, print(ChargeDocument), { id: 'ch_subscriber_groups_probe' });
    await this.until(() => this.frames.some((frame) => frame.id === id && frame.type === 'complete'));
  }

  next(id: string): TransactionStatusChangedSubscription['transactionStatusChanged'][] {
    return this.frames
      .filter((frame) => frame.id === id && frame.type === 'next')
      .map((frame) => {
        const change = frame.payload?.data?.transactionStatusChanged;
        if (!change) throw new Error(`a next frame without data: ${JSON.stringify(frame)}`);
        return change;
      });
  }

  until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out; frames: ${JSON.stringify(this.frames.slice(-5)).slice(0, 800)}`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

const CHANGED = print(TransactionStatusChangedDocument);

async function liveCutOffs(): Promise<number> {
  const response = await request(`${gw.url}/metrics`);
  const text = await response.body.text();
  const line = /^paygraph_live_cut_off_total\{transport="graphql-ws"\} (\d+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

describe('graphql-ws subscriber groups', () => {
  it('operations on one socket: each filter gets only its events, a completed one nothing more', async () => {
    const [first, second] = [await createCharge(gw, '1000'), await createCharge(gw, '2000')];
    const socket = await RawSocket.open(gw.url);
    // `a` and `b` are one group (same document and variables); `c` is another.
    socket.subscribe('a', CHANGED, { filter: { ids: [first] } });
    socket.subscribe('b', CHANGED, { filter: { ids: [first] } });
    socket.subscribe('c', CHANGED, { filter: { ids: [second] } });
    await socket.sync();

    await settle(gw, first);
    await settle(gw, second);
    await socket.until(() => socket.next('a').length === 1 && socket.next('c').length === 1);
    await socket.until(() => socket.next('b').length === 1);
    expect(socket.next('a').map((e) => [e.transaction.id, e.status])).toEqual([[first, 'SUCCEEDED']]);
    expect(socket.next('b')).toEqual(socket.next('a'));
    expect(socket.next('c').map((e) => [e.transaction.id, e.status])).toEqual([[second, 'SUCCEEDED']]);

    socket.complete('b');
    await socket.sync();
    // Two more changes of `first`: the group writes an event to every member before the next one,
    // so once `a` has the second, anything for `b` would have come before it.
    await settle(gw, await refund(gw, first, '300'));
    await settle(gw, await refund(gw, first));
    await socket.until(() => socket.next('a').length === 3);
    expect(socket.next('a').map((e) => e.status)).toEqual(['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED']);
    expect(socket.frames.filter((frame) => frame.id === 'b')).toHaveLength(1);
    expect(socket.next('c')).toHaveLength(1);
    expect(socket.frames.filter((frame) => frame.type === 'error')).toEqual([]);
  });

  it('a socket that stops reading is cut off with SUBSCRIBER_TOO_SLOW; the others keep receiving', async () => {
    const variables = { filter: { provider: 'ELEPAY' } };
    const client = connectWs(gw.url);
    clients.push(client);
    const witness = await subscribeWs(client, TransactionStatusChangedDocument, {
      filter: { provider: 'ELEPAY' },
    });
    // Many operations on the stalled socket, so its frames outgrow the kernel's buffers quickly.
    const OPERATIONS = 500;
    const stalled = await RawSocket.open(gw.url);
    for (let i = 0; i < OPERATIONS; i++) stalled.subscribe(`s${i}`, CHANGED, variables);
    await stalled.sync();
    stalled.ws.pause();

    const cutOffBefore = await liveCutOffs();
    let events = 0;
    while ((await liveCutOffs()) < cutOffBefore + OPERATIONS) {
      expect(events, 'never cut off').toBeLessThan(600);
      const charges = await Promise.all(Array.from({ length: 10 }, () => createCharge(gw, '100')));
      await Promise.all(charges.map((id) => settle(gw, id)));
      events += charges.length;
    }
    // The witness, in the same group on another socket, got every one of them.
    const seen = (await witness.waitFor(events, 60_000)).map((p) => p.transactionStatusChanged.cursor);
    expect(new Set(seen).size).toBe(events);
    expect(witness.errors).toEqual([]);

    // Reading again, the stalled socket gets what was written before the cut-off, then the error.
    stalled.ws.resume();
    const errors = () => stalled.frames.filter((frame) => frame.type === 'error');
    await stalled.until(() => errors().length === OPERATIONS, 60_000);
    for (const error of errors()) {
      expect(error.payload?.[0]?.extensions?.code).toBe('SUBSCRIBER_TOO_SLOW');
      // Nothing for an operation after its error, and what it got is a prefix of the witness's.
      const frames = stalled.frames.filter((frame) => frame.id === error.id);
      expect(frames.at(-1)).toBe(error);
      const cursors = stalled.next(error.id ?? '').map((e) => e.cursor);
      expect(cursors.length).toBeLessThan(events);
      expect(cursors).toEqual(seen.slice(0, cursors.length));
    }
    await witness.close();
  }, 120_000);

  it('a resume with `after` while events keep coming: no gap, no duplicate at the seam', async () => {
    const ids = await Promise.all(Array.from({ length: 31 }, () => createCharge(gw, '500')));
    const filter = { ids };
    const client = connectWs(gw.url);
    const other = connectWs(gw.url);
    clients.push(client, other);
    // Only `after` differs: the resumed subscriber is in the witness's group once it has replayed.
    const witness = await subscribeWs(client, TransactionStatusFeedDocument, { filter, after: null });
    // Ten events, then the resume after the fifth while twenty more are being made.
    for (const id of ids.slice(0, 10)) await settle(gw, id);
    const early = (await witness.waitFor(10)).map((p) => p.transactionStatusChanged.cursor);
    const making = (async () => {
      for (const id of ids.slice(10, 30)) await settle(gw, id);
    })();
    const resumed = await subscribeWs(other, TransactionStatusFeedDocument, { filter, after: early[4] });
    await making;
    // The last one: a duplicate of anything before it would have arrived before it.
    await settle(gw, ids[30] ?? '');
    const all = (await witness.waitFor(31)).map((p) => p.transactionStatusChanged.cursor);
    const got = (await resumed.waitFor(26)).map((p) => p.transactionStatusChanged.cursor);
    expect(got).toEqual(all.slice(5));
    expect(resumed.received).toHaveLength(26);
    expect(resumed.errors).toEqual([]);
    await Promise.all([witness.close(), resumed.close()]);
  });
});
