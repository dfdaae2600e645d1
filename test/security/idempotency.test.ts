import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Charge } from '../../src/domain/model.js';
import { canonicalJson, fingerprintOf, InputTooDeepError } from '../../src/idempotency/fingerprint.js';
import { MemoryIdempotencyStore } from '../../src/idempotency/memoryStore.js';
import { parsePayload, serializePayload } from '../../src/idempotency/payload.js';
import { RedisIdempotencyStore } from '../../src/idempotency/redisStore.js';
import {
  IdempotencyInProgressError,
  IdempotencyStoreUnavailableError,
  runIdempotently,
} from '../../src/idempotency/run.js';
import type { IdempotencyStore } from '../../src/idempotency/store.js';
import { createLogger } from '../../src/logger.js';
import { RedisConnections } from '../../src/redis.js';
import {
  CancelChargeDocument,
  CaptureChargeDocument,
  ChargeDocument,
  ChargesDocument,
  CreateChargeDocument,
  type CreateChargeInput,
  CreatePricingPlanDocument,
  CreateSalesPageDocument,
  RefundChargeDocument,
  RefundPaymentDocument,
  RefundTransactionDocument,
  SandboxCompleteCheckoutDocument,
  SandboxSettleTransactionDocument,
} from '../generated/graphql.js';
import type { GraphQLResponse } from '../support/client.js';
import {
  resetSandboxStats,
  sandboxStats,
  startSimulator,
  startTestGateway,
  type TestGateway,
  testClient,
} from '../support/harness.js';
import {
  countKeys,
  deleteKeys,
  REDIS_URL,
  redisValues,
  skipWithoutRedis,
  uniquePrefix,
} from '../support/redis.js';

/**
 * Idempotency keys (issue: "Idempotency for every mutation that creates or moves something"): the
 * building blocks, then one instance on the memory store, a lost provider response, per-client
 * scopes, and two instances sharing Redis and one elepay simulator.
 */
const SKIP_REDIS = await skipWithoutRedis('test/security/idempotency.test.ts (idempotency on Redis)');
const silent = createLogger({ level: 'silent' });
/** Enough for every call of a suite: the rate limit is not what these tests are about. */
const NO_RATE_LIMIT = { RATE_LIMIT_PER_MINUTE: '1000000' };

interface IdempotencyExtension {
  key: string;
  replayed: boolean;
  fields?: { mutation: string; key: string; replayed: boolean }[];
}

function idempotencyOf(response: GraphQLResponse<unknown>): IdempotencyExtension | undefined {
  return (JSON.parse(response.text) as { extensions?: { idempotency?: IdempotencyExtension } }).extensions
    ?.idempotency;
}

/** The orderNo createCharge derives from a key (pinned here independently of the implementation). */
function keyedOrderNo(client: string | null, key: string): string {
  const scope = `idem:${client ?? 'open'}:${key}`;
  return `pg-${createHash('sha256').update(scope).digest('hex').slice(0, 40)}`;
}

function postCount(stats: { routes: Record<string, number> }): number {
  return Object.entries(stats.routes)
    .filter(([route]) => route.startsWith('POST '))
    .reduce((sum, [, n]) => sum + n, 0);
}

const CHARGE: CreateChargeInput = {
  amount: '1000',
  currency: 'JPY',
  paymentMethod: 'creditcard',
  description: 'Idempotent coffee beans',
};

// ---------------------------------------------------------------------------------------------
// Building blocks.

describe('fingerprints', () => {
  it('ignore key order, explicit nulls and the key itself; see every value', () => {
    const a = fingerprintOf('createCharge', {
      amount: '1000',
      paymentMethod: 'creditcard',
      idempotencyKey: 'k1',
    });
    const b = fingerprintOf('createCharge', { orderNo: null, paymentMethod: 'creditcard', amount: '1000' });
    expect(a).toBe(b);
    expect(fingerprintOf('createCharge', { amount: '1001', paymentMethod: 'creditcard' })).not.toBe(a);
    expect(fingerprintOf('captureCharge', { amount: '1000', paymentMethod: 'creditcard' })).not.toBe(a);
    expect(canonicalJson({ b: [3, { y: 1, x: null }], a: 'z' })).toBe('{"a":"z","b":[3,{"y":1}]}');
  });

  it('refuse hostile nesting instead of overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 50_000; i++) deep = { x: deep };
    expect(() => fingerprintOf('createCharge', { metadata: deep })).toThrow(InputTooDeepError);
  });
});

describe('stored payloads', () => {
  it('come back with their Dates, and leave metadata that looks like a date alone', () => {
    const charge: Charge = {
      kind: 'Charge',
      provider: 'ELEPAY',
      providerId: 'ch_1',
      status: 'SUCCEEDED',
      providerStatus: 'captured',
      amount: { amount: '1000', currency: 'JPY' },
      createdAt: new Date('2025-01-02T03:04:05.678Z'),
      orderNo: 'order-1',
      paymentMethod: 'creditcard',
      description: null,
      metadata: { shippedAt: 'after lunch' },
      refundedAmount: { amount: '0', currency: 'JPY' },
      authorizedAmount: null,
      paidAt: new Date('2025-01-02T03:05:00.000Z'),
      refundedAt: null,
      liveMode: false,
    };
    const back = parsePayload<{ charge: Charge; userErrors: [] }>(
      serializePayload({ charge, userErrors: [] }),
    );
    expect(back).toEqual({ charge, userErrors: [] });
    expect(back.charge.createdAt).toBeInstanceOf(Date);
    expect(back.charge.metadata).toEqual({ shippedAt: 'after lunch' });
  });
});

interface StoreBackend {
  name: string;
  skip: boolean;
  open(timings: { ttlMs: number; leaseMs?: number }): Promise<IdempotencyStore>;
}

const redisPrefixes: string[] = [];
const backends: StoreBackend[] = [
  {
    name: 'MemoryIdempotencyStore',
    skip: false,
    open: async (timings) => new MemoryIdempotencyStore(timings),
  },
  {
    name: 'RedisIdempotencyStore',
    skip: SKIP_REDIS,
    async open(timings) {
      const keyPrefix = uniquePrefix();
      redisPrefixes.push(keyPrefix);
      const store = new RedisIdempotencyStore({
        redis: new RedisConnections(REDIS_URL, silent),
        keyPrefix,
        ...timings,
      });
      await store.start();
      return store;
    },
  },
];

afterAll(async () => {
  for (const prefix of redisPrefixes) await deleteKeys(prefix);
});

describe.each(backends)('the store contract: $name', (backend) => {
  const stores: IdempotencyStore[] = [];
  async function open(timings: { ttlMs: number; leaseMs?: number }) {
    const store = await backend.open(timings);
    stores.push(store);
    return store;
  }
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it.skipIf(backend.skip)('lets exactly one of many concurrent claims win', async () => {
    const store = await open({ ttlMs: 60_000 });
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.claim('s1', 'fp')));
    expect(outcomes.filter((outcome) => outcome.claimed)).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => !o.claimed)) {
      expect(outcome).toMatchObject({ claimed: false, record: { state: 'pending', fingerprint: 'fp' } });
    }
  });

  it.skipIf(backend.skip)('completes, renews and releases only for the claim that holds it', async () => {
    const store = await open({ ttlMs: 60_000 });
    const first = await store.claim('s2', 'fp');
    if (!first.claimed) throw new Error('expected a claim');
    const impostor = { ...first.claim, owner: 'someone-else' };
    expect(await store.complete(impostor, '{"x":1}')).toBe(false);
    expect(await store.renew(impostor)).toBe(false);
    await store.release(impostor);
    expect(await store.read('s2')).toMatchObject({ state: 'pending' });
    expect(await store.renew(first.claim)).toBe(true);
    expect(await store.complete(first.claim, '{"x":1}')).toBe(true);
    expect(await store.read('s2')).toEqual({ state: 'done', fingerprint: 'fp', payload: '{"x":1}' });
    // Done is final: releasing or completing again changes nothing.
    await store.release(first.claim);
    expect(await store.complete(first.claim, '{"x":2}')).toBe(false);
    expect(await store.read('s2')).toMatchObject({ payload: '{"x":1}' });

    const second = await store.claim('s3', 'fp');
    if (!second.claimed) throw new Error('expected a claim');
    await store.release(second.claim);
    expect(await store.read('s3')).toBeNull();
  });

  it.skipIf(backend.skip)(
    'lets an abandoned claim expire after its lease, and payloads after the TTL',
    async () => {
      const store = await open({ ttlMs: 400, leaseMs: 150 });
      const crashed = await store.claim('s4', 'fp');
      expect(crashed.claimed).toBe(true);
      expect((await store.claim('s4', 'fp')).claimed).toBe(false);
      await sleep(250);
      const next = await store.claim('s4', 'fp');
      expect(next.claimed).toBe(true);
      if (!next.claimed) return;
      expect(await store.complete(next.claim, '{}')).toBe(true);
      await sleep(200);
      expect(await store.read('s4')).toMatchObject({ state: 'done' });
      await sleep(350);
      expect(await store.read('s4')).toBeNull();
    },
  );
});

describe('running a mutation once per key', () => {
  const logger = silent;
  const common = { serialize: JSON.stringify, parse: JSON.parse, logger } as const;

  it('replays the payload to concurrent and later repeats, and refuses another input', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 60_000 });
    let runs = 0;
    const call = (fingerprint: string) =>
      runIdempotently<{ n: number }>({
        ...common,
        store,
        scope: 'scope',
        fingerprint,
        execute: async () => {
          runs++;
          await sleep(50);
          return { n: runs };
        },
      });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => call('fp')));
    expect(runs).toBe(1);
    expect(outcomes.filter((o) => o.kind === 'executed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'replayed')).toHaveLength(9);
    for (const outcome of outcomes) expect(outcome).toMatchObject({ payload: { n: 1 } });
    expect(await call('fp')).toEqual({ kind: 'replayed', payload: { n: 1 } });
    expect(await call('other')).toEqual({ kind: 'reused' });
    expect(runs).toBe(1);
    await store.close();
  });

  it('stores nothing when the execution throws: a waiting repeat executes in its place', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 60_000 });
    let runs = 0;
    const call = () =>
      runIdempotently<string>({
        ...common,
        store,
        scope: 'failing',
        fingerprint: 'fp',
        execute: async () => {
          runs++;
          await sleep(50);
          if (runs === 1) throw new Error('provider timed out');
          return 'second time lucky';
        },
      });
    const [first, second] = await Promise.allSettled([call(), call()]);
    expect(first).toMatchObject({ status: 'rejected', reason: { message: 'provider timed out' } });
    expect(second).toEqual({
      status: 'fulfilled',
      value: { kind: 'executed', payload: 'second time lucky' },
    });
    expect(runs).toBe(2);
    await store.close();
  });

  it('stores only definite payloads: one that is not final is returned, and the next call executes', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 60_000 });
    let runs = 0;
    const call = () =>
      runIdempotently<{ state: string }>({
        ...common,
        store,
        scope: 'state-only',
        fingerprint: 'fp',
        execute: async () => ({ state: ++runs === 1 ? 'not yet' : 'done' }),
        isFinal: (payload) => payload.state === 'done',
      });
    expect(await call()).toEqual({ kind: 'executed', payload: { state: 'not yet' } });
    expect(await store.read('state-only')).toBeNull();
    expect(await call()).toEqual({ kind: 'executed', payload: { state: 'done' } });
    expect(await call()).toEqual({ kind: 'replayed', payload: { state: 'done' } });
    expect(runs).toBe(2);
    await store.close();
  });

  it('keeps renewing a slow execution, so a repeat never executes beside it', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 60_000, leaseMs: 150 });
    let runs = 0;
    const call = () =>
      runIdempotently<number>({
        ...common,
        store,
        scope: 'slow',
        fingerprint: 'fp',
        execute: async () => {
          runs++;
          await sleep(600);
          return runs;
        },
      });
    const first = call();
    await sleep(20);
    const outcomes = await Promise.all([first, call()]);
    expect(runs).toBe(1);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['executed', 'replayed']);
    await store.close();
  });

  it('executes nothing when the store cannot be reached', async () => {
    const store = new RedisIdempotencyStore({
      redis: new RedisConnections('redis://127.0.0.1:1', logger),
      keyPrefix: 'x:',
      ttlMs: 1_000,
    });
    await store.start(100);
    let runs = 0;
    const outcome = runIdempotently({
      ...common,
      store,
      scope: 'down',
      fingerprint: 'fp',
      execute: async () => ++runs,
    });
    await expect(outcome).rejects.toBeInstanceOf(IdempotencyStoreUnavailableError);
    expect(runs).toBe(0);
    await store.close();
  });

  it('takes over a crashed instance claim after its lease, and gives up waiting after the timeout', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 60_000, leaseMs: 200 });
    await store.claim('crashed', 'fp'); // never completed, never renewed
    const base = { ...common, store, fingerprint: 'fp', execute: async () => 'took over' };
    await expect(runIdempotently({ ...base, scope: 'crashed', waitTimeoutMs: 50 })).rejects.toBeInstanceOf(
      IdempotencyInProgressError,
    );
    expect(await runIdempotently({ ...base, scope: 'crashed', waitTimeoutMs: 5_000 })).toEqual({
      kind: 'executed',
      payload: 'took over',
    });
    await store.close();
  });
});

// ---------------------------------------------------------------------------------------------
// One instance, memory store, embedded simulators (open access).

describe('one instance on the memory store', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(NO_RATE_LIMIT);
  });
  afterAll(async () => {
    gw.expectNoLeaks();
    await gw.close();
  });

  const createCharge = (input: CreateChargeInput, headers?: Record<string, string>) =>
    gw.gql(CreateChargeDocument, { input }, headers);

  describe('createCharge', () => {
    const key = `order-${randomUUID()}`;
    let first: unknown;

    it('50 concurrent calls with one key: one charge at elepay, 50 identical payloads', async () => {
      await gw.resetStats();
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => createCharge({ ...CHARGE, idempotencyKey: key })),
      );
      for (const response of responses) expect(response.errors).toEqual([]);
      const payloads = responses.map((response) => response.data?.createCharge);
      first = payloads[0];
      expect(payloads[0]?.userErrors).toEqual([]);
      expect(payloads[0]?.charge).toMatchObject({ status: 'PENDING', amount: { amount: '1000' } });
      // The key fixed the orderNo, so elepay itself would refuse a second charge for it.
      expect(payloads[0]?.charge?.orderNo).toBe(keyedOrderNo(null, key));
      for (const payload of payloads) expect(payload).toEqual(first);
      expect((await gw.stats('elepay')).routes['POST /charges']).toBe(1);

      const flags = responses.map(idempotencyOf);
      for (const flag of flags) expect(flag?.key).toBe(key);
      expect(flags.filter((flag) => flag?.replayed === false)).toHaveLength(1);
      expect(flags.filter((flag) => flag?.replayed === true)).toHaveLength(49);
    });

    it('a replay afterwards: the same payload, flagged as a replay, and no provider call at all', async () => {
      await gw.resetStats();
      const replay = await createCharge({ ...CHARGE, idempotencyKey: key });
      expect(replay.errors).toEqual([]);
      expect(replay.data?.createCharge).toEqual(first);
      expect(idempotencyOf(replay)).toEqual({ key, replayed: true });
      expect((await gw.stats('elepay')).total).toBe(0);
    });

    it('field order and explicit nulls are the same input', async () => {
      const reordered = await createCharge({
        idempotencyKey: key,
        orderNo: null,
        description: CHARGE.description ?? null,
        paymentMethod: 'creditcard',
        currency: 'JPY',
        amount: '1000',
      });
      expect(reordered.data?.createCharge).toEqual(first);
      expect(idempotencyOf(reordered)?.replayed).toBe(true);
    });

    it('the same key with another amount: IDEMPOTENCY_KEY_REUSED, and no provider call', async () => {
      await gw.resetStats();
      const reused = await createCharge({ ...CHARGE, amount: '2000', idempotencyKey: key });
      expect(reused.errors).toEqual([]);
      expect(reused.data?.createCharge.charge).toBeNull();
      expect(reused.data?.createCharge.userErrors).toMatchObject([
        { code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'] },
      ]);
      expect(idempotencyOf(reused)).toBeUndefined();
      expect((await gw.stats('elepay')).total).toBe(0);
    });

    it('the Idempotency-Key header works like the input field, and the field wins over it', async () => {
      await gw.resetStats();
      const headerKey = `header-${randomUUID()}`;
      const headers = { 'idempotency-key': headerKey };
      const one = await createCharge(CHARGE, headers);
      const two = await createCharge(CHARGE, headers);
      expect(one.data?.createCharge.userErrors).toEqual([]);
      expect(two.data?.createCharge).toEqual(one.data?.createCharge);
      expect(idempotencyOf(two)).toEqual({ key: headerKey, replayed: true });
      const changed = await createCharge({ ...CHARGE, amount: '1500' }, headers);
      expect(changed.data?.createCharge.userErrors).toMatchObject([
        { code: 'IDEMPOTENCY_KEY_REUSED', field: null },
      ]);

      const fieldKey = `field-${randomUUID()}`;
      const both = await createCharge({ ...CHARGE, idempotencyKey: fieldKey }, headers);
      expect(idempotencyOf(both)).toEqual({ key: fieldKey, replayed: false });
      expect(both.data?.createCharge.charge?.id).not.toBe(one.data?.createCharge.charge?.id);
      expect((await gw.stats('elepay')).routes['POST /charges']).toBe(2);
    });

    it('refuses a malformed key before any provider call', async () => {
      await gw.resetStats();
      for (const bad of ['', 'x'.repeat(256), 'tab\there', 'ünïcode']) {
        const response = await createCharge({ ...CHARGE, idempotencyKey: bad });
        expect(response.data?.createCharge.userErrors).toMatchObject([
          { code: 'INVALID', field: ['input', 'idempotencyKey'] },
        ]);
      }
      expect((await gw.stats('elepay')).total).toBe(0);
    });

    it('refuses an input nested too deeply to fingerprint, before any provider call', async () => {
      await gw.resetStats();
      let metadata: Record<string, unknown> = { x: 'leaf' };
      for (let i = 0; i < 40; i++) metadata = { x: metadata };
      const response = await createCharge({ ...CHARGE, metadata, idempotencyKey: `deep-${randomUUID()}` });
      expect(response.data?.createCharge.userErrors).toMatchObject([{ code: 'INVALID', field: ['input'] }]);
      expect((await gw.stats('elepay')).total).toBe(0);
    });

    it('without a key, every call creates a charge, as before', async () => {
      await gw.resetStats();
      const [one, two] = await Promise.all([createCharge(CHARGE), createCharge(CHARGE)]);
      expect(one.data?.createCharge.charge?.id).not.toBe(two.data?.createCharge.charge?.id);
      expect(idempotencyOf(one)).toBeUndefined();
      expect((await gw.stats('elepay')).routes['POST /charges']).toBe(2);
    });
  });

  describe('refunds', () => {
    let chargeId = '';
    beforeAll(async () => {
      const created = await createCharge({ ...CHARGE, amount: '5000' });
      chargeId = created.data?.createCharge.charge?.id ?? '';
      const settled = await gw.gql(SandboxSettleTransactionDocument, {
        input: { transactionId: chargeId, outcome: 'SUCCEED' },
      });
      expect(settled.data?.sandboxSettleTransaction.transaction?.status).toBe('SUCCEEDED');
    });

    it('refundCharge: 50 concurrent calls with one key make one refund, 50 identical payloads', async () => {
      await gw.resetStats();
      const key = `refund-${randomUUID()}`;
      const input = { chargeId, amount: '300', reason: 'One bag was torn', idempotencyKey: key };
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => gw.gql(RefundChargeDocument, { input })),
      );
      for (const response of responses) expect(response.errors).toEqual([]);
      const payloads = responses.map((response) => response.data?.refundCharge);
      expect(payloads[0]?.userErrors).toEqual([]);
      expect(payloads[0]?.refund).toMatchObject({ amount: { amount: '300' }, status: 'PENDING' });
      for (const payload of payloads) expect(payload).toEqual(payloads[0]);
      expect((await gw.stats('elepay')).routes['POST /charges/:id/refunds']).toBe(1);

      // A replay reads the first response's snapshot, nested refundedTransaction included: no call.
      await gw.resetStats();
      const replay = await gw.gql(RefundChargeDocument, { input });
      expect(replay.data?.refundCharge).toEqual(payloads[0]);
      expect(idempotencyOf(replay)).toEqual({ key, replayed: true });
      expect((await gw.stats('elepay')).total).toBe(0);

      const reused = await gw.gql(RefundChargeDocument, { input: { ...input, amount: '400' } });
      expect(reused.data?.refundCharge.userErrors).toMatchObject([{ code: 'IDEMPOTENCY_KEY_REUSED' }]);
      expect((await gw.stats('elepay')).total).toBe(0);
    });

    it('refundTransaction: concurrent calls with one key make one refund', async () => {
      await gw.resetStats();
      const input = { transactionId: chargeId, amount: '200', idempotencyKey: `rt-${randomUUID()}` };
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => gw.gql(RefundTransactionDocument, { input })),
      );
      const payloads = responses.map((response) => response.data?.refundTransaction);
      expect(payloads[0]?.userErrors).toEqual([]);
      for (const payload of payloads) expect(payload).toEqual(payloads[0]);
      expect((await gw.stats('elepay')).routes['POST /charges/:id/refunds']).toBe(1);
    });

    it('a stored userError replays too: a refused refund is not retried against elepay', async () => {
      const input = { chargeId, amount: '999999', idempotencyKey: `too-much-${randomUUID()}` };
      const refused = await gw.gql(RefundChargeDocument, { input });
      expect(refused.data?.refundCharge.userErrors).toMatchObject([{ code: 'AMOUNT_EXCEEDS_REMAINING' }]);
      await gw.resetStats();
      const again = await gw.gql(RefundChargeDocument, { input });
      expect(again.data?.refundCharge).toEqual(refused.data?.refundCharge);
      expect(idempotencyOf(again)?.replayed).toBe(true);
      expect((await gw.stats('elepay')).total).toBe(0);
    });
  });

  describe('one key across mutations', () => {
    let chargeId = '';
    beforeAll(async () => {
      const created = await createCharge({ ...CHARGE, amount: '5000' });
      chargeId = created.data?.createCharge.charge?.id ?? '';
      await gw.gql(SandboxSettleTransactionDocument, {
        input: { transactionId: chargeId, outcome: 'SUCCEED' },
      });
    });

    it('refundCharge then refundTransaction with one key: IDEMPOTENCY_KEY_REUSED, one refund', async () => {
      const idempotencyKey = `cross-${randomUUID()}`;
      const first = await gw.gql(RefundChargeDocument, {
        input: { chargeId, amount: '100', idempotencyKey },
      });
      expect(first.data?.refundCharge.userErrors).toEqual([]);
      await gw.resetStats();
      const second = await gw.gql(RefundTransactionDocument, {
        input: { transactionId: chargeId, amount: '100', idempotencyKey },
      });
      expect(second.errors).toEqual([]);
      expect(second.data?.refundTransaction.refund).toBeNull();
      expect(second.data?.refundTransaction.userErrors).toMatchObject([
        { code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'] },
      ]);
      expect((await gw.stats('elepay')).total).toBe(0);
      const refunds = await gw.gql(ChargeDocument, { id: chargeId });
      expect(refunds.data?.charge?.refunds.edges).toHaveLength(1);
    });

    it('a key used by createCharge is refused on captureCharge and cancelCharge, with no provider call', async () => {
      const idempotencyKey = `cross-${randomUUID()}`;
      const created = await createCharge({ ...CHARGE, capture: false, idempotencyKey });
      const id = created.data?.createCharge.charge?.id ?? '';
      expect(id).not.toBe('');
      await gw.resetStats();
      const capture = await gw.gql(CaptureChargeDocument, { input: { chargeId: id, idempotencyKey } });
      const cancel = await gw.gql(CancelChargeDocument, { input: { chargeId: id, idempotencyKey } });
      for (const payload of [capture.data?.captureCharge, cancel.data?.cancelCharge]) {
        expect(payload?.userErrors).toMatchObject([{ code: 'IDEMPOTENCY_KEY_REUSED' }]);
      }
      expect((await gw.stats('elepay')).total).toBe(0);
    });

    it("INVALID_STATE is not stored as the key's answer: a retry looks at the charge again", async () => {
      const idempotencyKey = `state-${randomUUID()}`;
      const refused = await gw.gql(CaptureChargeDocument, { input: { chargeId, idempotencyKey } });
      expect(refused.data?.captureCharge.userErrors).toMatchObject([{ code: 'INVALID_STATE' }]);
      await gw.resetStats();
      const again = await gw.gql(CaptureChargeDocument, { input: { chargeId, idempotencyKey } });
      expect(again.data?.captureCharge.userErrors).toMatchObject([{ code: 'INVALID_STATE' }]);
      expect(idempotencyOf(again)?.replayed).toBe(false);
      expect((await gw.stats('elepay')).routes['GET /charges/:id']).toBe(1);
    });
  });

  describe('elopage mutations', () => {
    it('createSalesPage, createPricingPlan and refundPayment run once per key', async () => {
      await gw.resetStats();
      const pageInput = {
        name: 'Idempotent course',
        pricingPlans: [{ oneTime: { price: '49.00' } }],
        idempotencyKey: `page-${randomUUID()}`,
      };
      const pages = await Promise.all(
        Array.from({ length: 10 }, () => gw.gql(CreateSalesPageDocument, { input: pageInput })),
      );
      const page = pages[0]?.data?.createSalesPage;
      expect(page?.userErrors).toEqual([]);
      for (const response of pages) expect(response.data?.createSalesPage).toEqual(page);
      expect(postCount(await gw.stats('elopage'))).toBe(1);

      await gw.resetStats();
      const planInput = {
        salesPageId: page?.salesPage?.id ?? '',
        plan: { oneTime: { price: '59.00' } },
        idempotencyKey: `plan-${randomUUID()}`,
      };
      const plans = await Promise.all(
        Array.from({ length: 10 }, () => gw.gql(CreatePricingPlanDocument, { input: planInput })),
      );
      expect(plans[0]?.data?.createPricingPlan.userErrors).toEqual([]);
      for (const response of plans)
        expect(response.data?.createPricingPlan).toEqual(plans[0]?.data?.createPricingPlan);
      expect(postCount(await gw.stats('elopage'))).toBe(1);

      const checkout = await gw.gql(SandboxCompleteCheckoutDocument, {
        input: { salesPageId: page?.salesPage?.id ?? '', paymentMethod: 'card', outcome: 'SUCCEED' },
      });
      const paymentId = checkout.data?.sandboxCompleteCheckout.payment?.id ?? '';
      expect(paymentId).not.toBe('');
      await gw.resetStats();
      const refundInput = { paymentId, idempotencyKey: `pay-refund-${randomUUID()}` };
      const refunds = await Promise.all(
        Array.from({ length: 10 }, () => gw.gql(RefundPaymentDocument, { input: refundInput })),
      );
      expect(refunds[0]?.data?.refundPayment.userErrors).toEqual([]);
      for (const response of refunds)
        expect(response.data?.refundPayment).toEqual(refunds[0]?.data?.refundPayment);
      expect(postCount(await gw.stats('elopage'))).toBe(1);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// A lost response: elepay did the work, but the answer never reached the gateway.

/** Forwards to a simulator; a matching request is forwarded, then its connection is cut unanswered. */
async function startLossyProxy(target: string) {
  const drops: RegExp[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([name]) => !['host', 'connection', 'keep-alive', 'transfer-encoding'].includes(name),
        ),
      ) as Record<string, string>;
      const upstream = await request(`${target}${req.url ?? '/'}`, {
        method: (req.method ?? 'GET') as 'GET',
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await upstream.body.arrayBuffer());
      const line = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
      const drop = drops.findIndex((pattern) => pattern.test(line));
      if (drop >= 0) {
        drops.splice(drop, 1);
        req.socket.destroy();
        return;
      }
      res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
      res.end(body);
    })().catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropNext(pattern: RegExp) {
      drops.push(pattern);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Plays the payer at a standalone elepay simulator: the charge completes (AUTHORIZED with capture: false). */
async function settleAtSimulator(simUrl: string, providerId: string | undefined): Promise<void> {
  const settled = await request(`${simUrl}/_sandbox/charges/${providerId}/settle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome: 'succeed' }),
  });
  expect(settled.statusCode).toBe(200);
  await settled.body.dump();
}

describe('a lost response: a retry with the same key finds what the lost attempt created', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let proxy: Awaited<ReturnType<typeof startLossyProxy>>;
  let gw: TestGateway;
  beforeAll(async () => {
    sim = await startSimulator('elepay');
    proxy = await startLossyProxy(sim.url);
    gw = await startTestGateway({ ELEPAY_BASE_URL: proxy.url, ...sim.credentials, ...NO_RATE_LIMIT });
  });
  afterAll(async () => {
    gw?.expectNoLeaks();
    await gw?.close();
    await proxy?.close();
    await sim?.server.close();
  });

  async function chargesWithOrderNo(orderNo: string) {
    const { data } = await gw.gql(ChargesDocument, { first: 10, filter: { orderNo } });
    return data?.charges?.edges.map((edge) => edge.node.providerId) ?? [];
  }

  it('createCharge: the lost charge is returned, never a second one', async () => {
    const key = `lost-${randomUUID()}`;
    proxy.dropNext(/^POST \/charges$/);
    const lost = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, idempotencyKey: key } });
    expect(lost.errors[0]?.extensions?.code).toBe('PROVIDER_OUTCOME_UNKNOWN');

    // The outcome was unknown, so nothing was stored: the retry executes, elepay refuses the
    // key's orderNo as taken, and the gateway returns the charge the lost attempt created.
    await resetSandboxStats(sim.url);
    const retry = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, idempotencyKey: key } });
    expect(retry.errors).toEqual([]);
    expect(retry.data?.createCharge.userErrors).toEqual([]);
    const orderNo = keyedOrderNo('test-harness', key);
    expect(retry.data?.createCharge.charge).toMatchObject({ orderNo, amount: { amount: '1000' } });
    expect(idempotencyOf(retry)).toEqual({ key, replayed: false });
    expect((await sandboxStats(sim.url)).routes['POST /charges']).toBe(1);
    expect(await chargesWithOrderNo(orderNo)).toEqual([retry.data?.createCharge.charge?.providerId]);

    await resetSandboxStats(sim.url);
    const replay = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, idempotencyKey: key } });
    expect(replay.data?.createCharge).toEqual(retry.data?.createCharge);
    expect(idempotencyOf(replay)?.replayed).toBe(true);
    expect((await sandboxStats(sim.url)).total).toBe(0);
  });

  it('createCharge: a retry with another amount after a lost attempt is IDEMPOTENCY_KEY_REUSED', async () => {
    const key = `lost-${randomUUID()}`;
    proxy.dropNext(/^POST \/charges$/);
    const lost = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, idempotencyKey: key } });
    expect(lost.errors[0]?.extensions?.code).toBe('PROVIDER_OUTCOME_UNKNOWN');
    const other = await gw.gql(CreateChargeDocument, {
      input: { ...CHARGE, amount: '7000', idempotencyKey: key },
    });
    expect(other.data?.createCharge.charge).toBeNull();
    expect(other.data?.createCharge.userErrors).toMatchObject([
      { code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'] },
    ]);
    expect(await chargesWithOrderNo(keyedOrderNo('test-harness', key))).toHaveLength(1);
  });

  it('refundCharge: the lost refund is returned, never a second one', async () => {
    const created = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, amount: '3000' } });
    const charge = created.data?.createCharge.charge;
    await settleAtSimulator(sim.url, charge?.providerId);

    const input = {
      chargeId: charge?.id ?? '',
      amount: '1000',
      idempotencyKey: `lost-refund-${randomUUID()}`,
    };
    proxy.dropNext(/^POST \/charges\/[^/]+\/refunds$/);
    const lost = await gw.gql(RefundChargeDocument, { input });
    expect(lost.errors[0]?.extensions?.code).toBe('PROVIDER_OUTCOME_UNKNOWN');

    await resetSandboxStats(sim.url);
    const retry = await gw.gql(RefundChargeDocument, { input });
    expect(retry.errors).toEqual([]);
    expect(retry.data?.refundCharge.userErrors).toEqual([]);
    expect(retry.data?.refundCharge.refund?.amount.amount).toBe('1000');
    expect((await sandboxStats(sim.url)).routes['POST /charges/:id/refunds']).toBeUndefined();
    // elepay holds exactly one refund: ¥1000 of ¥3000 refunded or pending, ¥2000 left.
    const rest = await gw.gql(RefundChargeDocument, { input: { chargeId: input.chargeId, amount: '2001' } });
    expect(rest.data?.refundCharge.userErrors).toMatchObject([{ code: 'AMOUNT_EXCEEDS_REMAINING' }]);
  });

  /** A charge the payer has completed with `capture: false`: AUTHORIZED, waiting for captureCharge. */
  async function authorizedCharge(amount: string) {
    const created = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, amount, capture: false } });
    const charge = created.data?.createCharge.charge;
    await settleAtSimulator(sim.url, charge?.providerId);
    return charge?.id ?? '';
  }

  it('captureCharge: the retry returns the lost capture, never INVALID_STATE, and stores it', async () => {
    const chargeId = await authorizedCharge('2500');
    const input = { chargeId, amount: '2000', idempotencyKey: `lost-capture-${randomUUID()}` };
    proxy.dropNext(/^POST \/charges\/[^/]+\/capture$/);
    const lost = await gw.gql(CaptureChargeDocument, { input });
    expect(lost.errors[0]?.extensions?.code).toMatch(/^PROVIDER_/);

    await resetSandboxStats(sim.url);
    const retry = await gw.gql(CaptureChargeDocument, { input });
    expect(retry.errors).toEqual([]);
    expect(retry.data?.captureCharge.userErrors).toEqual([]);
    expect(retry.data?.captureCharge.charge).toMatchObject({
      status: 'SUCCEEDED',
      amount: { amount: '2000' },
    });
    expect((await sandboxStats(sim.url)).routes['POST /charges/:id/capture']).toBeUndefined();

    // That success is the key's answer now: replayed with no provider call.
    await resetSandboxStats(sim.url);
    const replay = await gw.gql(CaptureChargeDocument, { input });
    expect(replay.data?.captureCharge).toEqual(retry.data?.captureCharge);
    expect(idempotencyOf(replay)?.replayed).toBe(true);
    expect((await sandboxStats(sim.url)).total).toBe(0);

    // A capture of another amount with a fresh key is still refused: the charge was captured for 2000.
    const other = await gw.gql(CaptureChargeDocument, {
      input: { chargeId, amount: '2500', idempotencyKey: `other-${randomUUID()}` },
    });
    expect(other.data?.captureCharge.userErrors).toMatchObject([{ code: 'INVALID_STATE' }]);
  });

  it('cancelCharge: the retry returns the lost cancellation', async () => {
    const chargeId = await authorizedCharge('1200');
    const input = { chargeId, idempotencyKey: `lost-cancel-${randomUUID()}` };
    proxy.dropNext(/^POST \/charges\/[^/]+\/revoke$/);
    const lost = await gw.gql(CancelChargeDocument, { input });
    expect(lost.errors[0]?.extensions?.code).toMatch(/^PROVIDER_/);
    await resetSandboxStats(sim.url);
    const retry = await gw.gql(CancelChargeDocument, { input });
    expect(retry.data?.cancelCharge.userErrors).toEqual([]);
    expect(retry.data?.cancelCharge.charge?.status).toBe('CANCELED');
    expect((await sandboxStats(sim.url)).routes['POST /charges/:id/revoke']).toBeUndefined();
  });
});

describe('a lost elopage refund: a retry with the same key returns that refund', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let proxy: Awaited<ReturnType<typeof startLossyProxy>>;
  let gw: TestGateway;
  beforeAll(async () => {
    sim = await startSimulator('elopage');
    proxy = await startLossyProxy(sim.url);
    gw = await startTestGateway({
      ...sim.credentials,
      ELOPAGE_BASE_URL: `${proxy.url}/api`,
      ELOPAGE_WEBHOOK_TOKEN: `tok_${randomUUID().replaceAll('-', '')}`,
      ...NO_RATE_LIMIT,
    });
    // The simulator posts the refund's webhook to this gateway (its default webhookUrl).
    sim.webhooks.allowOrigin(gw.gateway.publicUrl);
  });
  afterAll(async () => {
    gw?.expectNoLeaks();
    await gw?.close();
    await proxy?.close();
    await sim?.server.close();
  });

  it('refundPayment: the answer is lost; the retry finds the refund, elopage holds one', async () => {
    const page = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Lost refund course', pricingPlans: [{ oneTime: { price: '30.00' } }] },
    });
    const pageId = page.data?.createSalesPage.salesPage?.providerId ?? '';
    const checkout = await request(`${sim.url}/_sandbox/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sales_page_id: pageId, card_number: '5017670000005900', outcome: 'succeed' }),
    });
    const paymentId = String(((await checkout.body.json()) as { id: unknown }).id);
    await sim.webhooks.idle();

    const input = { paymentId, idempotencyKey: `lost-elopage-${randomUUID()}` };
    proxy.dropNext(/^POST \/api\/payments\/[^/]+\/refund$/);
    const lost = await gw.gql(RefundPaymentDocument, { input });
    expect(lost.errors[0]?.extensions?.code).toMatch(/^PROVIDER_/);
    // elopage reported the refund by webhook, as it does for every refund.
    await sim.webhooks.idle();

    const retry = await gw.gql(RefundPaymentDocument, { input });
    expect(retry.errors).toEqual([]);
    expect(retry.data?.refundPayment.userErrors).toEqual([]);
    const refund = retry.data?.refundPayment.refund;
    expect(refund).toMatchObject({ status: 'SUCCEEDED', amount: { amount: '30.00' } });
    expect(retry.data?.refundPayment.payment?.providerId).toBe(paymentId);
    // elopage holds exactly one refund of the payment: reading it by ID names the payment.
    const read = await request(
      `${sim.baseUrl}/payments/${refund?.providerId}?key=${sim.credentials.ELOPAGE_API_KEY}&secret=${sim.credentials.ELOPAGE_API_SECRET}`,
    );
    expect(((await read.body.json()) as { refunded_transfer_id: unknown }).refunded_transfer_id).toBe(
      Number(paymentId),
    );
    const replay = await gw.gql(RefundPaymentDocument, { input });
    expect(replay.data?.refundPayment).toEqual(retry.data?.refundPayment);
    expect(idempotencyOf(replay)?.replayed).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Keys belong to an API client.

describe('keys are scoped per API client', () => {
  const shopA = testClient('shop-a', ['read', 'write', 'refund']);
  const shopB = testClient('shop-b', ['read', 'write', 'refund']);
  const asA = { authorization: `Bearer ${shopA.token}` };
  const asB = { authorization: `Bearer ${shopB.token}` };
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      PAYGRAPH_CLIENTS: JSON.stringify([shopA.client, shopB.client]),
      ...NO_RATE_LIMIT,
    });
  });
  afterAll(async () => {
    gw?.expectNoLeaks([shopA.token, shopB.token]);
    await gw?.close();
  });

  it('two clients use one key independently; each replays only its own payload', async () => {
    await gw.resetStats();
    const key = `shared-${randomUUID()}`;
    const input = { ...CHARGE, idempotencyKey: key };
    const [a, b] = await Promise.all([
      gw.gql(CreateChargeDocument, { input }, asA),
      gw.gql(CreateChargeDocument, { input }, asB),
    ]);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    const chargeA = a.data?.createCharge.charge;
    const chargeB = b.data?.createCharge.charge;
    expect(chargeA?.id).toBeTruthy();
    expect(chargeB?.id).toBeTruthy();
    expect(chargeA?.id).not.toBe(chargeB?.id);
    expect(chargeA?.orderNo).toBe(keyedOrderNo('shop-a', key));
    expect(chargeB?.orderNo).toBe(keyedOrderNo('shop-b', key));
    expect((await gw.stats('elepay')).routes['POST /charges']).toBe(2);

    const replayA = await gw.gql(CreateChargeDocument, { input }, asA);
    expect(replayA.data?.createCharge.charge?.id).toBe(chargeA?.id);
    expect(idempotencyOf(replayA)?.replayed).toBe(true);
    const reusedB = await gw.gql(CreateChargeDocument, { input: { ...input, amount: '1' } }, asB);
    expect(reusedB.data?.createCharge.userErrors).toMatchObject([{ code: 'IDEMPOTENCY_KEY_REUSED' }]);
    expect((await gw.stats('elepay')).routes['POST /charges']).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Two instances, one Redis, one elepay.

describe.skipIf(SKIP_REDIS)('two instances sharing Redis and one elepay (needs Redis)', () => {
  const prefix = uniquePrefix();
  const shop = testClient('shop', ['read', 'write', 'refund']);
  const headers = { authorization: `Bearer ${shop.token}` };
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let c: TestGateway;
  let d: TestGateway;
  beforeAll(async () => {
    sim = await startSimulator('elepay');
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      ELEPAY_BASE_URL: sim.url,
      ...sim.credentials,
      PAYGRAPH_CLIENTS: JSON.stringify([shop.client]),
      ...NO_RATE_LIMIT,
    };
    c = await startTestGateway(env);
    d = await startTestGateway(env);
  });
  afterAll(async () => {
    c?.expectNoLeaks([shop.token]);
    d?.expectNoLeaks([shop.token]);
    await Promise.all([c?.close(), d?.close()]);
    await sim?.server.close();
    await deleteKeys(prefix);
  });

  const instance = (i: number) => (i % 2 === 0 ? c : d);

  describe('createCharge', () => {
    const key = `multi-${randomUUID()}`;
    const input = { ...CHARGE, idempotencyKey: key };
    let first: unknown;

    it('50 calls spread over both instances: one charge at elepay, 50 identical payloads', async () => {
      await resetSandboxStats(sim.url);
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => instance(i).gql(CreateChargeDocument, { input }, headers)),
      );
      for (const response of responses) expect(response.errors).toEqual([]);
      const payloads = responses.map((response) => response.data?.createCharge);
      first = payloads[0];
      expect(payloads[0]?.userErrors).toEqual([]);
      expect(payloads[0]?.charge?.orderNo).toBe(keyedOrderNo('shop', key));
      for (const payload of payloads) expect(payload).toEqual(first);
      expect((await sandboxStats(sim.url)).routes['POST /charges']).toBe(1);
      expect(responses.map(idempotencyOf).filter((flag) => flag?.replayed === false)).toHaveLength(1);
      expect(await countKeys(`${prefix}idem:`)).toBeGreaterThan(0);
    });

    it('a replay on either instance: the same payload, flagged, no provider call', async () => {
      await resetSandboxStats(sim.url);
      for (const gw of [c, d]) {
        const replay = await gw.gql(CreateChargeDocument, { input }, headers);
        expect(replay.data?.createCharge).toEqual(first);
        expect(idempotencyOf(replay)).toEqual({ key, replayed: true });
      }
      expect((await sandboxStats(sim.url)).total).toBe(0);
    });

    it('another amount on either instance: IDEMPOTENCY_KEY_REUSED, no provider call', async () => {
      await resetSandboxStats(sim.url);
      for (const gw of [c, d]) {
        const reused = await gw.gql(CreateChargeDocument, { input: { ...input, amount: '2000' } }, headers);
        expect(reused.data?.createCharge.userErrors).toMatchObject([
          { code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'] },
        ]);
      }
      expect((await sandboxStats(sim.url)).total).toBe(0);
    });
  });

  it('refundCharge: 50 calls spread over both instances make one refund, 50 identical payloads', async () => {
    const created = await c.gql(CreateChargeDocument, { input: { ...CHARGE, amount: '4000' } }, headers);
    const charge = created.data?.createCharge.charge;
    await settleAtSimulator(sim.url, charge?.providerId);

    await resetSandboxStats(sim.url);
    const input = {
      chargeId: charge?.id ?? '',
      amount: '500',
      idempotencyKey: `multi-refund-${randomUUID()}`,
    };
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => instance(i).gql(RefundChargeDocument, { input }, headers)),
    );
    for (const response of responses) expect(response.errors).toEqual([]);
    const payloads = responses.map((response) => response.data?.refundCharge);
    expect(payloads[0]?.userErrors).toEqual([]);
    expect(payloads[0]?.refund?.amount.amount).toBe('500');
    for (const payload of payloads) expect(payload).toEqual(payloads[0]);
    expect((await sandboxStats(sim.url)).routes['POST /charges/:id/refunds']).toBe(1);

    await resetSandboxStats(sim.url);
    const replay = await d.gql(RefundChargeDocument, { input }, headers);
    expect(replay.data?.refundCharge).toEqual(payloads[0]);
    expect(idempotencyOf(replay)?.replayed).toBe(true);
    const reused = await c.gql(RefundChargeDocument, { input: { ...input, amount: '600' } }, headers);
    expect(reused.data?.refundCharge.userErrors).toMatchObject([{ code: 'IDEMPOTENCY_KEY_REUSED' }]);
    expect((await sandboxStats(sim.url)).total).toBe(0);
  });

  it('one key across mutations and instances: refundTransaction after refundCharge is refused', async () => {
    const created = await c.gql(CreateChargeDocument, { input: { ...CHARGE, amount: '900' } }, headers);
    const charge = created.data?.createCharge.charge;
    await settleAtSimulator(sim.url, charge?.providerId);
    const idempotencyKey = `multi-cross-${randomUUID()}`;
    const first = await c.gql(
      RefundChargeDocument,
      { input: { chargeId: charge?.id ?? '', idempotencyKey } },
      headers,
    );
    expect(first.data?.refundCharge.userErrors).toEqual([]);
    await resetSandboxStats(sim.url);
    const second = await d.gql(
      RefundTransactionDocument,
      { input: { transactionId: charge?.id ?? '', idempotencyKey } },
      headers,
    );
    expect(second.data?.refundTransaction.userErrors).toMatchObject([{ code: 'IDEMPOTENCY_KEY_REUSED' }]);
    expect((await sandboxStats(sim.url)).total).toBe(0);
  });

  it('stores no secret in Redis: a sales page payload keeps the webhook token masked, replays alike', async () => {
    const input = {
      name: 'Token-free course',
      pricingPlans: [{ oneTime: { price: '10.00' } }],
      idempotencyKey: `page-${randomUUID()}`,
    };
    const created = await c.gql(CreateSalesPageDocument, { input }, headers);
    expect(created.data?.createSalesPage.salesPage?.webhookUrl).toMatch(/\/webhooks\/elopage\/\*\*\*$/);
    const replay = await c.gql(CreateSalesPageDocument, { input }, headers);
    expect(replay.data?.createSalesPage).toEqual(created.data?.createSalesPage);
    expect(idempotencyOf(replay)?.replayed).toBe(true);
    const stored = await redisValues(`${prefix}idem:`);
    expect(stored.some((text) => text.includes('Token-free course'))).toBe(true);
    for (const secret of [...c.gateway.secrets, ...d.gateway.secrets, shop.token]) {
      for (const text of stored) expect(text).not.toContain(secret);
    }
  });
});
