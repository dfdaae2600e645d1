import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { globalIdOf } from '../../src/domain/ids.js';
import type { Charge } from '../../src/domain/model.js';
import type { PaymentStatus } from '../../src/domain/status.js';
import type { EventLog } from '../../src/events/log.js';
import { MemoryEventLog } from '../../src/events/memoryLog.js';
import { RedisEventLog } from '../../src/events/redisLog.js';
import { openLedger } from '../../src/ledger/index.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { type Projection, startProjection } from '../../src/ledger/projection.js';
import { RedisConnections } from '../../src/redis.js';
import { chargeWith } from '../support/charges.js';
import { captureLogs } from '../support/harness.js';
import { createTestDatabase, POSTGRES_URL, skipWithoutPostgres } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { until } from '../support/wait.js';

/**
 * The ledger as a projection of the event log (src/ledger/projection.ts): what the log recorded
 * while no projection ran reaches the ledger when one starts, every change exactly once, across a
 * restart, a database outage and two instances sharing one Redis log and one PostgreSQL ledger.
 */
const SKIP_POSTGRES = await skipWithoutPostgres('test/ledger/projection.test.ts (PostgreSQL ledger)');
const SKIP_REDIS = await skipWithoutRedis('test/ledger/projection.test.ts (Redis event log)');
const RETENTION = { maxEvents: 1_000, maxAgeMs: 3_600_000 };

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

let counter = 0;
function charge(status: PaymentStatus, providerId = `ch_projection_${++counter}`): Charge {
  return chargeWith({ providerId, status, createdAt: new Date(Date.UTC(2026, 2, 1, 10, counter)) });
}

function follow(events: EventLog, ledger: Ledger, logger = captureLogs().logger): Projection {
  const projection = startProjection(events, ledger, logger);
  cleanups.unshift(() => projection.stop());
  return projection;
}

async function steps(ledger: Ledger, transaction: Charge): Promise<string[]> {
  const [history] = await ledger.histories([globalIdOf(transaction)]);
  return (history ?? []).map((change) => `${change.previousStatus ?? '∅'}→${change.status} ${change.source}`);
}

/** Waits until the ledger has taken in the log up to its newest event. */
async function caughtUp(ledger: Ledger, cursor: string | undefined): Promise<void> {
  await until(
    () => ledger.checkpoint(),
    (checkpoint) => checkpoint === cursor,
    `the ledger at ${cursor}`,
  );
}

describe('the ledger follows the event log', () => {
  it('takes in what the log recorded while no projection ran, then every live change, once each', async () => {
    const events = new MemoryEventLog(RETENTION);
    const ledger = await openLedger({ engine: 'sqlite', path: null }, captureLogs().logger);
    cleanups.push(() => ledger.close());
    // Recorded with no projection running: a crash between the log's append and the ledger's write.
    const early = charge('PENDING');
    await events.record(early);
    const before = await events.record(
      { ...early, status: 'SUCCEEDED', providerStatus: 'captured' },
      { providerEventId: 'evt_early' },
    );
    follow(events, ledger);
    await caughtUp(ledger, before.event?.cursor);
    expect(await steps(ledger, early)).toEqual(['∅→PENDING WEBHOOK', 'PENDING→SUCCEEDED WEBHOOK']);
    const [history] = await ledger.histories([globalIdOf(early)]);
    expect(history?.[1]).toMatchObject({ providerEventId: 'evt_early', cursor: before.event?.cursor });

    const live = charge('PENDING');
    await events.record(live);
    const last = await events.record({ ...live, status: 'FAILED', providerStatus: 'failed' });
    await caughtUp(ledger, last.event?.cursor);
    expect(await steps(ledger, live)).toEqual(['∅→PENDING WEBHOOK', 'PENDING→FAILED WEBHOOK']);
  });

  it('after a restart takes in only what is new (SQLite in a file)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'paygraph-projection-'));
    cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
    const config = { engine: 'sqlite' as const, path: join(folder, 'ledger.db') };
    const events = new MemoryEventLog(RETENTION);
    const first = await openLedger(config, captureLogs().logger);
    const projection = startProjection(events, first, captureLogs().logger);
    const paid = charge('PENDING');
    const recorded = await events.record(paid);
    await caughtUp(first, recorded.event?.cursor);
    await projection.stop();
    await first.close();

    // While the gateway is down the log goes on (Redis keeps it); the restarted one catches up.
    const settled = await events.record({ ...paid, status: 'SUCCEEDED', providerStatus: 'captured' });
    const second = await openLedger(config, captureLogs().logger);
    cleanups.push(() => second.close());
    follow(events, second);
    await caughtUp(second, settled.event?.cursor);
    expect(await steps(second, paid)).toEqual(['∅→PENDING WEBHOOK', 'PENDING→SUCCEEDED WEBHOOK']);
  });

  it.skipIf(SKIP_POSTGRES)('loses nothing while PostgreSQL is down, and says so once each way', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const name = new URL(database.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    cleanups.unshift(() => admin.end());
    const capture = captureLogs();
    const events = new MemoryEventLog(RETENTION);
    const ledger = await openLedger(
      { engine: 'postgres', url: database.url, password: null },
      capture.logger,
    );
    cleanups.push(() => ledger.close());
    follow(events, ledger, capture.logger);

    // The outage: nobody may connect, and every open connection is cut.
    await admin.query(`alter database ${name} allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
    const during = charge('PENDING');
    await events.record(during);
    const settled = await events.record({ ...during, status: 'SUCCEEDED', providerStatus: 'captured' });
    await until(
      async () => capture.lines.filter((line) => line.includes('cannot take in event-log changes')).length,
      (count) => count > 0,
      'the projection to notice the outage',
    );

    await admin.query(`alter database ${name} allow_connections true`);
    await caughtUp(ledger, settled.event?.cursor);
    expect(await steps(ledger, during)).toEqual(['∅→PENDING WEBHOOK', 'PENDING→SUCCEEDED WEBHOOK']);
    expect(capture.lines.filter((line) => line.includes('cannot take in event-log changes'))).toHaveLength(1);
    expect(capture.lines.filter((line) => line.includes('taking in event-log changes again'))).toHaveLength(
      1,
    );
  });

  it.skipIf(SKIP_POSTGRES || SKIP_REDIS)(
    'two instances on one Redis log and one PostgreSQL ledger take in each change once',
    async () => {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      const keyPrefix = uniquePrefix();
      cleanups.push(() => deleteKeys(keyPrefix));
      const config = { engine: 'postgres' as const, url: database.url, password: null };
      const instances = await Promise.all(
        [1, 2].map(async () => {
          const logger = captureLogs().logger;
          const redis = new RedisConnections(REDIS_URL, logger);
          const events = new RedisEventLog({ redis, keyPrefix, retention: RETENTION, logger });
          await events.start();
          const ledger = await openLedger(config, logger);
          cleanups.unshift(async () => {
            await ledger.close();
            await events.close();
            redis.close();
          });
          follow(events, ledger, logger);
          return { events, ledger };
        }),
      );
      const [a, b] = instances;
      if (!a || !b) throw new Error('two instances expected');
      // Webhooks reach either instance; each change is recorded once in the shared log.
      const charges = Array.from({ length: 5 }, () => charge('PENDING'));
      let last: string | undefined;
      for (const [index, transaction] of charges.entries()) {
        await (index % 2 ? a : b).events.record(transaction);
        const settled = await (index % 2 ? b : a).events.record({
          ...transaction,
          status: 'SUCCEEDED',
          providerStatus: 'captured',
        });
        last = settled.event?.cursor;
      }
      await caughtUp(a.ledger, last);
      await caughtUp(b.ledger, last);
      for (const transaction of charges) {
        expect(await steps(a.ledger, transaction)).toEqual([
          '∅→PENDING WEBHOOK',
          'PENDING→SUCCEEDED WEBHOOK',
        ]);
      }
    },
  );
});
