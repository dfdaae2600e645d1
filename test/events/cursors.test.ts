import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateChargeDocument,
  SandboxSettleTransactionDocument,
  TransactionStatusFeedDocument,
  type TransactionStatusFeedSubscription,
  type TransactionStatusFeedSubscriptionVariables,
} from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { deleteKeys, REDIS_URL, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { connectWs, type Subscriber, subscribeSse, subscribeWs } from '../support/subscriptions.js';

/**
 * `after` at subscribe time, on both event logs and over both transports: a cursor the log never
 * assigned (empty, malformed, past the newest event) is BAD_USER_INPUT; one older than retention is
 * CURSOR_EXPIRED with the oldest kept cursor; "0-0", the newest dropped cursor and later ones resume
 * without a gap. Retention is 3 events here, so 5 changes drop the first 2.
 */
const SKIP_REDIS = await skipWithoutRedis('test/events/cursors.test.ts (Redis event log)');
const RETAINED = 3;
type Feed = TransactionStatusFeedSubscription;

interface Setup {
  gw: TestGateway;
  /** Cursors of the 5 changes made, oldest first. */
  cursors: string[];
}

const prefixes: string[] = [];
const clients: Client[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(prefix);
});

describe.each([
  { log: 'memory', skip: false, env: (): Record<string, string> => ({}) },
  {
    log: 'Redis',
    skip: SKIP_REDIS,
    env: (): Record<string, string> => {
      const prefix = uniquePrefix();
      prefixes.push(prefix);
      return { REDIS_URL, REDIS_KEY_PREFIX: prefix };
    },
  },
])('`after` with the $log event log', ({ skip, env }) => {
  const setup: Partial<Setup> = {};

  beforeAll(async () => {
    if (skip) return;
    const gw = await startTestGateway({
      ...env(),
      EVENT_RETENTION_EVENTS: String(RETAINED),
      ELEPAY_WEBHOOK_SECRET: 'whsec_cursor_tests_current_000001',
    });
    setup.gw = gw;
    const witness = await subscribeSse(gw.url, TransactionStatusFeedDocument, {}, gw.authHeaders);
    for (let i = 0; i < 5; i++) {
      const created = await gw.gql(CreateChargeDocument, {
        input: { amount: String(100 + i), currency: 'JPY', paymentMethod: 'creditcard' },
      });
      const id = created.data?.createCharge.charge?.id ?? '';
      const settled = await gw.gql(SandboxSettleTransactionDocument, {
        input: { transactionId: id, outcome: 'SUCCEED' },
      });
      expect(settled.errors).toEqual([]);
    }
    setup.cursors = (await witness.waitFor(5)).map((p) => p.transactionStatusChanged.cursor);
    await witness.close();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    setup.gw?.expectNoLeaks();
    await setup.gw?.close();
  });

  const transports = [
    {
      name: 'graphql-ws',
      async subscribe(variables: TransactionStatusFeedSubscriptionVariables): Promise<Subscriber<Feed>> {
        const client = connectWs((setup.gw as TestGateway).url);
        clients.push(client);
        return subscribeWs(client, TransactionStatusFeedDocument, variables);
      },
    },
    {
      name: 'SSE',
      subscribe: (variables: TransactionStatusFeedSubscriptionVariables) => {
        const gw = setup.gw as TestGateway;
        return subscribeSse(gw.url, TransactionStatusFeedDocument, variables, gw.authHeaders);
      },
    },
  ];

  /** The one error a refused subscription gets, and that it got nothing else. */
  async function refusal(subscriber: Subscriber<Feed>) {
    await expect(subscriber.waitFor(1, 10_000)).rejects.toThrow(/ended/);
    expect(subscriber.received).toEqual([]);
    const errors = subscriber.errors.flat() as { message: string; extensions?: Record<string, unknown> }[];
    expect(errors).toHaveLength(1);
    return errors[0];
  }

  describe.each(transports)('over $name', (transport) => {
    it.skipIf(skip).each([
      { what: 'empty', after: '' },
      { what: 'malformed', after: 'yesterday' },
      { what: 'past the newest event', after: '9999999999999-0' },
    ])('an $what cursor is BAD_USER_INPUT at subscribe time', async ({ after }) => {
      const error = await refusal(await transport.subscribe({ after }));
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it.skipIf(skip)(
      'a cursor older than retention is CURSOR_EXPIRED, naming the oldest kept cursor',
      async () => {
        const cursors = setup.cursors ?? [];
        const error = await refusal(await transport.subscribe({ after: cursors[0] }));
        expect(error?.extensions).toMatchObject({ code: 'CURSOR_EXPIRED', oldestCursor: cursors[2] });
      },
    );

    it.skipIf(skip)(
      '"0-0" and the newest dropped cursor replay every kept event; the newest replays none',
      async () => {
        const cursors = setup.cursors ?? [];
        for (const after of ['0-0', cursors[1] ?? '']) {
          const subscriber = await transport.subscribe({ after });
          const replayed = (await subscriber.waitFor(RETAINED)).map((p) => p.transactionStatusChanged.cursor);
          expect(replayed).toEqual(cursors.slice(-RETAINED));
          expect(subscriber.errors).toEqual([]);
          await subscriber.close();
        }
        const upToDate = await transport.subscribe({ after: cursors[4] ?? '' });
        expect(upToDate.errors).toEqual([]);
        expect(upToDate.ended).toBe(false);
        await upToDate.close();
      },
    );
  });
});
