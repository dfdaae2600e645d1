import { connect, createServer, type Server, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChargeDocument, CreateChargeDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway, testClient } from '../support/harness.js';
import {
  createTestDatabase,
  POSTGRES_URL,
  skipWithoutPostgres,
  type TestDatabase,
} from '../support/postgres.js';
import { until, within } from '../support/wait.js';

/**
 * `/readyz` shows the ledger: its database answers a trivial query, and how far its projection of
 * the event log is behind. A PostgreSQL that hangs (here: a TCP proxy in front of it that stops
 * passing bytes) makes the gateway unready at once, never makes /readyz hang; a tenant's client,
 * whose reads need the ledger, gets LEDGER_UNAVAILABLE fast, and a client without a tenant is not
 * held up at all.
 */
const SKIP_POSTGRES = await skipWithoutPostgres('test/ledger/outage.test.ts (PostgreSQL ledger)');

interface Readiness {
  ready: boolean;
  ledger: { store: string; projectionLagMs: number };
}

async function readiness(gw: TestGateway): Promise<{ status: number; body: Readiness }> {
  const response = await request(`${gw.url}/readyz`);
  return { status: response.statusCode, body: (await response.body.json()) as Readiness };
}

/** A TCP proxy that can freeze: it stops passing bytes both ways, and holds new connections. */
async function startFreezingProxy(target: { host: string; port: number }) {
  let frozen = false;
  const pairs: [Socket, Socket][] = [];
  const held: Socket[] = [];
  const join = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    pairs.push([client, upstream]);
  };
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (frozen) held.push(client);
    else join(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    freeze() {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const [client, upstream] of pairs) {
        client.resume();
        upstream.resume();
      }
      for (const client of held.splice(0)) join(client);
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('/readyz and the ledger', () => {
  it('shows the embedded ledger ready by default', async () => {
    const gw = await startTestGateway();
    try {
      const { status, body } = await readiness(gw);
      expect(status).toBe(200);
      expect(body.ledger.store).toBe('ok');
      expect(body.ledger.projectionLagMs).toBeGreaterThanOrEqual(0);
    } finally {
      await gw.close();
    }
  });

  describe.skipIf(SKIP_POSTGRES)('with PostgreSQL behind a proxy that freezes', () => {
    const tenant = testClient('tenant-shop', ['read', 'write']);
    const plain = testClient('backoffice', ['read']);
    const as = (client: { token: string }) => ({ authorization: `Bearer ${client.token}` });
    let chargeId = '';
    const read = (client: { token: string }) => gw.gql(ChargeDocument, { id: chargeId }, as(client));
    let database: TestDatabase;
    let proxy: Awaited<ReturnType<typeof startFreezingProxy>>;
    let gw: TestGateway;

    beforeAll(async () => {
      database = await createTestDatabase();
      const server = new URL(POSTGRES_URL);
      proxy = await startFreezingProxy({ host: server.hostname, port: Number(server.port || 5432) });
      const viaProxy = new URL(database.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      gw = await startTestGateway({
        DATABASE_URL: viaProxy.toString(),
        PAYGRAPH_CLIENTS: JSON.stringify([{ ...tenant.client, tenant: 'acme' }, plain.client]),
      });
    });
    afterAll(async () => {
      proxy?.thaw();
      await gw?.close();
      await proxy?.close();
      await database?.drop();
    });

    it('is ready while PostgreSQL answers, unready (not hanging) while it hangs, ready again after', {
      timeout: 60_000,
    }, async () => {
      const created = await gw.gql(
        CreateChargeDocument,
        { input: { amount: '1000', currency: 'JPY', paymentMethod: 'creditcard' } },
        as(tenant),
      );
      chargeId = created.data?.createCharge.charge?.id ?? '';
      expect((await read(tenant)).data?.charge?.id).toBe(chargeId);
      const before = await readiness(gw);
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({ ready: true, ledger: { store: 'ok' } });

      proxy.freeze();
      // The probe's own deadline is 1 s: this only turns a hang into a failure.
      const during = await within(5_000, '/readyz while PostgreSQL hangs', readiness(gw));
      expect(during.status).toBe(503);
      expect(during.body).toMatchObject({ ready: false, ledger: { store: 'unavailable' } });
      // Whose charge it is cannot be told: the tenant's client gets no answer it could misread.
      const tenantRead = await within(5_000, "a tenant's read while PostgreSQL hangs", read(tenant));
      expect(tenantRead.errors.map((error) => error.extensions?.code)).toEqual(['LEDGER_UNAVAILABLE']);
      const plainRead = await within(5_000, 'a read without a tenant while PostgreSQL hangs', read(plain));
      expect(plainRead.errors).toEqual([]);
      expect(plainRead.data?.charge?.id).toBe(chargeId);

      // A tenant's charge made now cannot be recorded as the tenant's: said, not hidden, and the
      // same idempotency key records it once the database answers (the charge is not made twice).
      const keyed = () =>
        gw.gql(
          CreateChargeDocument,
          {
            input: {
              amount: '700',
              currency: 'JPY',
              paymentMethod: 'creditcard',
              idempotencyKey: 'outage-1',
            },
          },
          as(tenant),
        );
      const lost = await within(20_000, "a tenant's createCharge while PostgreSQL hangs", keyed());
      expect(lost.errors.map((error) => error.extensions?.code)).toEqual(['LEDGER_UNAVAILABLE']);

      proxy.thaw();
      await until(
        () => readiness(gw),
        (r) => r.status === 200 && r.body.ledger.store === 'ok',
        '/readyz to be ready again',
        20_000,
      );
      const retried = await keyed();
      expect(retried.errors).toEqual([]);
      // The first execution's answer, replayed: one charge.
      expect(JSON.parse(retried.text).extensions?.idempotency?.replayed).toBe(true);
      const made = retried.data?.createCharge.charge?.id ?? '';
      chargeId = made;
      expect((await read(tenant)).data?.charge?.id).toBe(made);
      expect((await read(plain)).data?.charge?.id).toBe(made);
    });
  });
});
