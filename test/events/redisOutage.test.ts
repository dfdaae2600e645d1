import type { Client } from 'graphql-ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
} from '../generated/graphql.js';
import { deliverElepayWebhook, paidChargeEvent } from '../support/elepayWebhooks.js';
import { startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';
import { type PrivateRedis, privateRedis, skipWithoutRedisServer } from '../support/redis.js';
import { connectWs, type Subscriber, subscribeWs } from '../support/subscriptions.js';
import { until } from '../support/wait.js';

/**
 * Redis goes away and comes back. The gateway runs against a private redis-server (no persistence)
 * and a standalone elepay simulator that sends no webhooks of its own, so every delivery here is one
 * this suite signed: while Redis is down a webhook gets 503 (the provider retries) and /readyz says
 * the event log is unavailable; once Redis is back, deliveries record again and a subscriber from
 * before the outage gets the new event, because each instance's stream follower resumes by itself.
 */
const SKIP = skipWithoutRedisServer('test/events/redisOutage.test.ts (private redis-server)');
const WEBHOOK_SECRET = 'whsec_outage_suite_secret_0004';

interface Readiness {
  ready?: boolean;
  eventLog?: string;
}

describe.skipIf(SKIP)('the event log survives a Redis outage (needs redis-server)', () => {
  let redis: PrivateRedis | undefined;
  let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
  let gw: TestGateway | undefined;
  let client: Client | undefined;
  let subscriber: Subscriber<TransactionStatusChangedSubscription>;

  const gateway = () => {
    if (!gw) throw new Error('gateway not started');
    return gw;
  };

  const paidEvent = () => paidChargeEvent(gateway(), sim?.url ?? '', '4400');
  const deliver = (body: string) => deliverElepayWebhook(gateway().url, WEBHOOK_SECRET, body);

  async function readiness(): Promise<{ status: number; body: Readiness }> {
    const response = await request(`${gateway().url}/readyz`);
    return { status: response.statusCode, body: (await response.body.json()) as Readiness };
  }

  beforeAll(async () => {
    redis = await privateRedis();
    await redis.start();
    sim = await startSimulator('elepay');
    gw = await startTestGateway({
      REDIS_URL: redis.url,
      ELEPAY_BASE_URL: sim.url,
      ...sim.credentials,
      ELEPAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    client = connectWs(gw.url, gw.wsParams);
    // From the start of the (empty) log: replay covers the subscribe/record race, then it is live.
    subscriber = await subscribeWs(client, TransactionStatusChangedDocument, { after: '0-0' });
  });

  afterAll(async () => {
    try {
      await client?.dispose();
      gw?.expectNoLeaks();
      await gw?.close();
      await sim?.server.close();
    } finally {
      // Whatever happened above, the private redis-server must not outlive the suite.
      await redis?.stop();
    }
  });

  it('records while Redis is up', async () => {
    expect(await readiness()).toMatchObject({ status: 200, body: { ready: true, eventLog: 'ok' } });
    const first = await paidEvent();
    expect(await deliver(first.body)).toMatchObject({ status: 200, answer: { published: 1 } });
    const [event] = await subscriber.waitFor(1);
    expect(event?.transactionStatusChanged).toMatchObject({
      status: 'SUCCEEDED',
      transaction: { id: first.id, status: 'SUCCEEDED' },
    });
  });

  it('answers 503 while Redis is down, and records again (to the old subscriber) once it is back', async () => {
    await redis?.stop();
    const down = await until(readiness, (r) => r.status === 503, '/readyz to report the outage');
    expect(down.body).toMatchObject({ ready: false, eventLog: 'unavailable' });

    // The provider is fine and the signature is right: only the log is missing, so elepay must retry.
    const second = await paidEvent();
    const refused = await deliver(second.body);
    expect(refused).toEqual({
      status: 503,
      answer: { error: 'temporarily unable to record the event', code: 'EVENT_LOG_UNAVAILABLE' },
    });
    expect(gateway().logs.some((line) => line.includes('webhook not recorded'))).toBe(true);

    await redis?.start();
    // The provider's retry: delivered again until accepted (no timing assertion, only a bound).
    const accepted = await until(
      () => deliver(second.body),
      (r) => r.status !== 503,
      'a webhook to be recorded after Redis came back',
    );
    expect(accepted).toMatchObject({ status: 200, answer: { received: true, published: 1 } });
    const up = await until(readiness, (r) => r.status === 200, '/readyz to recover');
    expect(up.body).toMatchObject({ ready: true, eventLog: 'ok' });

    // The subscriber from before the outage, on the same WebSocket, gets the new event live.
    const events = await subscriber.waitFor(2);
    expect(events.map((e) => e.transactionStatusChanged.transaction.id)).toEqual([
      events[0]?.transactionStatusChanged.transaction.id,
      second.id,
    ]);
    // Its charge was created while Redis was down, so the PENDING createCharge saw is not known.
    expect(events[1]?.transactionStatusChanged).toMatchObject({ status: 'SUCCEEDED', previousStatus: null });
    expect(subscriber.errors).toEqual([]);

    // And it keeps following: one more change after the recovery arrives too.
    const third = await paidEvent();
    expect(await deliver(third.body)).toMatchObject({ status: 200, answer: { published: 1 } });
    const after = await subscriber.waitFor(3);
    expect(after[2]?.transactionStatusChanged.transaction.id).toBe(third.id);
    expect(after).toHaveLength(3);
  });
});
