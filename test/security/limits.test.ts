import {
  type DocumentNode,
  type GraphQLInputType,
  getOperationAST,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  print,
  typeFromAST,
} from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { schema } from '../../src/graphql/schema.js';
import { estimateProviderCalls } from '../../src/plugins/providerCallCost.js';
import { rateLimitBucket } from '../../src/plugins/useRateLimit.js';
import * as operations from '../generated/graphql.js';
import {
  ChargeDocument,
  ChargesDocument,
  NodesDocument,
  PaymentDocument,
  TransactionStatusFeedDocument,
} from '../generated/graphql.js';
import type { GraphQLErrorShape } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { deleteKeys, REDIS_URL, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { connectWs } from '../support/subscriptions.js';

/**
 * Query limits and the rate limit, against a running gateway with its default limits (depth 12,
 * aliases 30, tokens 5,000, directives 20, provider calls 100): hostile operations are refused
 * with QUERY_TOO_COMPLEX before any provider call, ordinary ones are not. The hostile documents
 * are built here on purpose; that is what a client could send.
 */

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: unknown;
  errors: GraphQLErrorShape[];
}

async function post(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  dispatcher?: Agent,
): Promise<Response> {
  const response = await request(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
    ...(dispatcher ? { dispatcher } : {}),
  });
  const body = (await response.body.json()) as { data?: unknown; errors?: GraphQLErrorShape[] };
  return {
    status: response.statusCode,
    headers: response.headers,
    data: body.data ?? null,
    errors: body.errors ?? [],
  };
}

const codes = (errors: { extensions?: { code?: string } }[]) => errors.map((e) => e.extensions?.code);

/**
 * charge → (refunds → edges → node → refundedTransaction … on Charge →)* … → id: `depth` fields
 * deep, all valid (depth 4k + 2 ends on an edge, which has no `id`). One refund per page keeps the
 * provider-call estimate low, so only depth can refuse it.
 */
function deepQuery(depth: number, wrappers = 0): string {
  const cycle = ['refunds(first: 1)', 'edges', 'node', 'refundedTransaction'];
  const path = ['charge(id: "ch_deep")'];
  while (path.length < depth - 1) path.push(cycle[(path.length - 1) % cycle.length] ?? '');
  let inner = 'id';
  for (const field of path.reverse()) {
    inner =
      field === 'refundedTransaction' ? `${field} { ... on Charge { ${inner} } }` : `${field} { ${inner} }`;
  }
  for (let i = 0; i < wrappers; i++) inner = `... on Query { ${inner} }`;
  return `query Deep { ${inner} }`;
}

let gw: TestGateway;

async function expectNoProviderCall(): Promise<void> {
  expect((await gw.stats('elepay')).total).toBe(0);
  expect((await gw.stats('elopage')).total).toBe(0);
}

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  gw.expectNoLeaks();
  await gw.close();
});

describe('query limits, before any provider call', () => {
  it('refuses a query nested 50 deep (otherwise valid), naming depth and limit', async () => {
    await gw.resetStats();
    const response = await post(gw.url, deepQuery(50));
    expect(response.errors).toHaveLength(1);
    expect(response.errors[0]).toMatchObject({
      message: 'query depth 50 exceeds the limit of 12',
      extensions: { code: 'QUERY_TOO_COMPLEX', found: 50, limit: 12 },
    });
    // The refusal is a request error (GraphQL over HTTP): 400 and no data; `http` stays internal.
    expect(response.status).toBe(400);
    expect(response.data).toBeNull();
    expect(response.errors[0]?.extensions).not.toHaveProperty('http');
    await expectNoProviderCall();
  });

  it('measures depth in fields: fragments do not add to it', async () => {
    // 10 fields deep, inside 2 + 5 inline fragments: 17 levels of braces, but not too deep.
    const response = await post(gw.url, deepQuery(10, 5));
    expect(codes(response.errors)).not.toContain('QUERY_TOO_COMPLEX');
  });

  it('refuses 1,000 aliases', async () => {
    await gw.resetStats();
    // One lookup, its ID under 1,000 names: only the alias count is out of bounds (about 3,000
    // tokens). graphql-armor leaves `__typename` aliases alone, as they cost nothing to resolve.
    const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: id`).join(' ');
    const response = await post(gw.url, `query Aliases { charge(id: "ch_aliases") { ${aliases} } }`);
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: 'alias count 1000 exceeds the limit of 30',
        extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }),
      }),
    ]);
    expect(response.status).toBe(400);
    await expectNoProviderCall();
  });

  it('refuses 1,000 aliased provider lookups (by whichever limit trips first)', async () => {
    await gw.resetStats();
    const lookups = Array.from({ length: 1000 }, (_, i) => `c${i}: charge(id: "ch_${i}") { id }`).join(' ');
    const response = await post(gw.url, `query Lookups { ${lookups} }`);
    expect(response.errors.length).toBeGreaterThan(0);
    expect(new Set(codes(response.errors))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
    expect(response.data).toBeNull();
    await expectNoProviderCall();
  });

  it('refuses an operation that would cost 500+ provider calls, naming the estimate', async () => {
    await gw.resetStats();
    const ids = Array.from({ length: 500 }, (_, i) => `unknown-id-${i}`);
    // Typed document, real variables: each ID is a lookup, and each payment among them a sales page.
    const response = await gw.gql(NodesDocument, { ids });
    expect(response.errors).toHaveLength(1);
    expect(response.errors[0]).toMatchObject({
      message: 'this operation could make 1000 provider calls; the limit is 100',
      extensions: { code: 'QUERY_TOO_COMPLEX', providerCalls: 1000, limit: 100 },
    });
    expect(response.status).toBe(400);
    expect(response.data).toBeNull();
    await expectNoProviderCall();
  });

  it('counts nested provider fields per list item: 25 charges × their refunds', async () => {
    await gw.resetStats();
    const query = `query ChargesWithRefunds($first: Int) {
      charges(first: $first) { edges { node { id refunds(first: 5) { edges { node { id } } } } } }
    }`;
    // 1 page + 25 × (1 refund list) = 26: fine. With refundedTransaction, 25 × (1 + 5) + 1 = 151: not.
    expect(codes((await post(gw.url, query, { first: 25 })).errors)).not.toContain('QUERY_TOO_COMPLEX');
    await gw.resetStats();
    const costly = query.replace('node { id } } }', 'node { id refundedTransaction { id } } } }');
    const response = await post(gw.url, costly, { first: 25 });
    expect(response.errors[0]).toMatchObject({
      message: 'this operation could make 151 provider calls; the limit is 100',
      extensions: { code: 'QUERY_TOO_COMPLEX' },
    });
    await expectNoProviderCall();
  });

  it('refuses a query over the token limit, the same way when it is sent again (parse cache)', async () => {
    const ids = Array.from({ length: 5001 }, () => 'id').join(' ');
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await post(gw.url, `query Tokens { charge(id: "ch_t") { ${ids} } }`);
      expect(response.errors).toEqual([
        expect.objectContaining({
          message: 'the query exceeds the limit of 5000 tokens',
          extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }),
        }),
      ]);
      expect(response.status).toBe(400);
    }
  });

  it('refuses more than 20 directives', async () => {
    const fields = Array.from({ length: 21 }, (_, i) => `f${i}: __typename @include(if: true)`).join(' ');
    const response = await post(gw.url, `query Directives { ${fields} }`);
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: 'directive count 21 exceeds the limit of 20',
        extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }),
      }),
    ]);
  });

  it('reports limits alongside ordinary validation errors without suggesting field names', async () => {
    const response = await post(gw.url, `${deepQuery(50).slice(0, -2)} chargez }`);
    expect(codes(response.errors)).toContain('QUERY_TOO_COMPLEX');
    const limit = response.errors.find((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX');
    expect(limit?.message).not.toMatch(/did you mean/i);
  });
});

/** A value of `type` with only its required parts: made-up IDs, so lookups find nothing. */
function placeholder(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return placeholder(type.ofType);
  if (isListType(type)) return [placeholder(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]?.name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((field) => isNonNullType(field.type) && field.defaultValue === undefined)
        .map((field) => [field.name, placeholder(field.type)]),
    );
  }
  return { Int: 1, Float: 1, Boolean: true, Decimal: '1' }[type.name] ?? 'unknown-id';
}

/** Values for the required variables an example operation has no default for. */
function placeholderVariables(document: DocumentNode): Record<string, unknown> {
  const operation = getOperationAST(document);
  return Object.fromEntries(
    (operation?.variableDefinitions ?? [])
      .filter((definition) => definition.type.kind === Kind.NON_NULL_TYPE && !definition.defaultValue)
      .map((definition) => {
        const type = typeFromAST(schema, definition.type) as GraphQLInputType;
        return [definition.variable.name.value, placeholder(type)];
      }),
  );
}

describe('ordinary operations are not refused', () => {
  /** Every typed document generated from schema/operations, by operation name. */
  const documents = Object.entries(operations)
    .filter(([name]) => name.endsWith('Document'))
    .map(([name, document]) => [name, document as unknown as DocumentNode] as const);

  it('every example operation in schema/operations costs at most 20 provider calls', () => {
    expect(documents.length).toBeGreaterThanOrEqual(20);
    const estimates = Object.fromEntries(
      documents.map(([name, document]) => [
        name,
        estimateProviderCalls(schema, document, undefined, placeholderVariables(document)),
      ]),
    );
    for (const [name, estimate] of Object.entries(estimates)) {
      expect({ name, estimate }).toEqual({ name, estimate: expect.any(Number) });
      expect(estimate, name).toBeLessThanOrEqual(20);
    }
    // Spot checks of the table: a lookup and its nested sales page; a page of charges; an event.
    expect(estimates.PaymentDocument).toBe(2);
    expect(estimates.ChargesDocument).toBe(1);
    expect(estimates.TransactionStatusChangedDocument).toBe(1);
    expect(estimates.RefundChargeDocument).toBeGreaterThanOrEqual(4);
  });

  it('runs every example query and mutation over HTTP: none hits a limit', async () => {
    for (const [name, document] of documents) {
      const operation = getOperationAST(document);
      if (!operation || operation.operation === 'subscription') continue;
      const response = await post(gw.url, print(document), placeholderVariables(document));
      expect(codes(response.errors), name).not.toContain('QUERY_TOO_COMPLEX');
      expect(codes(response.errors), name).not.toContain('RATE_LIMITED');
    }
  });

  it("the README's payment with its sales page runs (typed document)", async () => {
    const response = await gw.gql(PaymentDocument, { id: 'unknown-payment' });
    expect(response.errors).toEqual([]);
    expect(response.data?.payment).toBeNull();
    const page = await gw.gql(ChargesDocument, { first: 100 });
    expect(page.errors).toEqual([]);
  });

  it('nodes(20 IDs) with sales pages (the batching example) fits: 40 calls at most', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `id-${i}`);
    expect(estimateProviderCalls(schema, NodesDocument, undefined, { ids })).toBe(40);
    // The same ID twice is one call (the loader dedupes), and so is it in the estimate.
    expect(estimateProviderCalls(schema, NodesDocument, undefined, { ids: ['a', 'a'] })).toBe(2);
  });

  it('honours @skip and @include with the request variables', () => {
    const document = parse(`query($skip: Boolean!, $ids: [ID!]!) {
      nodes(ids: $ids) @skip(if: $skip) { id }
      charge(id: "ch_1") @include(if: $skip) { id }
    }`);
    const ids = Array.from({ length: 300 }, (_, i) => `id-${i}`);
    expect(estimateProviderCalls(schema, document, undefined, { skip: true, ids })).toBe(1);
    expect(estimateProviderCalls(schema, document, undefined, { skip: false, ids })).toBe(300);
  });
});

describe('over WebSocket (graphql-ws) the same limits apply', () => {
  let client: Client;
  afterAll(async () => {
    await client?.dispose();
  });

  /** Runs one operation on the socket and returns its errors, whichever way graphql-ws delivers them. */
  function run(query: string, variables?: Record<string, unknown>): Promise<GraphQLErrorShape[]> {
    return new Promise((resolve, reject) => {
      const errors: GraphQLErrorShape[] = [];
      client.subscribe(
        { query, variables },
        {
          next: (result) => errors.push(...((result.errors ?? []) as GraphQLErrorShape[])),
          error: (error) =>
            Array.isArray(error) ? resolve(error as GraphQLErrorShape[]) : reject(error as Error),
          complete: () => resolve(errors),
        },
      );
    });
  }

  it('refuses a 50-deep query and a 500-ID lookup, and runs an ordinary query', async () => {
    client = connectWs(gw.url);
    await gw.resetStats();
    const deep = await run(deepQuery(50));
    expect(deep).toEqual([
      expect.objectContaining({
        message: 'query depth 50 exceeds the limit of 12',
        extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }),
      }),
    ]);
    const costly = await run(print(NodesDocument), { ids: Array.from({ length: 500 }, (_, i) => `x${i}`) });
    expect(codes(costly)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(costly[0]?.message).toMatch(/could make 1000 provider calls; the limit is 100/);
    await expectNoProviderCall();
    expect(await run(print(ChargeDocument), { id: 'ch_unknown' })).toEqual([]);
  });
});

describe('rate limit', () => {
  let limited: TestGateway;
  beforeAll(async () => {
    limited = await startTestGateway({ RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('answers the 6th operation in a minute with RATE_LIMITED, 429 and Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const ok = await limited.gql(ChargeDocument, { id: `ch_${i}` });
      expect(ok.errors).toEqual([]);
    }
    await limited.resetStats();
    const response = await post(limited.url, print(ChargeDocument), { id: 'ch_6' });
    expect(response.status).toBe(429);
    expect(response.errors).toHaveLength(1);
    expect(response.errors[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(response.errors[0]?.message).toMatch(
      /^too many operations: the limit is 5 per minute; retry in \d+ s$/,
    );
    const retryAfter = Number(response.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(response.errors[0]?.extensions?.retryAfterSeconds).toBe(retryAfter);
    expect(response.data).toBeNull();
    expect((await limited.stats('elepay')).total).toBe(0);
  });

  it('counts per caller: in open access another address has its own budget', async () => {
    // The gateway listens on 127.0.0.1; the whole 127/8 is loopback, so 127.0.0.2 is another caller.
    const other = new Agent({ localAddress: '127.0.0.2' });
    try {
      const response = await post(limited.url, print(ChargeDocument), { id: 'ch_other' }, other);
      expect(response.errors).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('over WebSocket too: each subscription counts when it starts', async () => {
    // Its own address, so its own budget: 127.0.0.3 has spent nothing yet.
    class FromOtherAddress extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { localAddress: '127.0.0.3' });
      }
    }
    const client = createClient({
      url: `${limited.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: FromOtherAddress,
      lazy: false,
      retryAttempts: 0,
    });
    try {
      const subscriptionErrors: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        client.subscribe(
          { query: print(TransactionStatusFeedDocument) },
          {
            next: (result) => subscriptionErrors.push(...(result.errors ?? [])),
            error: (error) => subscriptionErrors.push(error),
            complete: () => undefined,
          },
        );
      }
      // Five live subscriptions spent the budget: the next operation on the socket is refused.
      const errors = await new Promise<GraphQLErrorShape[]>((resolve, reject) => {
        const received: GraphQLErrorShape[] = [];
        client.subscribe(
          { query: print(ChargeDocument), variables: { id: 'ch_ws' } },
          {
            next: (result) => received.push(...((result.errors ?? []) as GraphQLErrorShape[])),
            error: (error) =>
              Array.isArray(error) ? resolve(error as GraphQLErrorShape[]) : reject(error as Error),
            complete: () => resolve(received),
          },
        );
      });
      expect(codes(errors)).toEqual(['RATE_LIMITED']);
      expect(subscriptionErrors).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('buckets by API client name, else by address, else one open bucket', () => {
    const viewer = (client: string | null) => ({ client, scopes: new Set<never>(), tenant: null });
    expect(rateLimitBucket({ viewer: viewer('shop-backend') })).toBe('client:shop-backend');
    expect(
      rateLimitBucket({
        viewer: viewer(null),
        req: { socket: { remoteAddress: '10.0.0.7' } } as never,
      }),
    ).toBe('ip:10.0.0.7');
    expect(rateLimitBucket({ viewer: viewer(null) })).toBe('open');
  });
});

const skip = await skipWithoutRedis('test/security/limits.test.ts (rate limit shared through Redis)');

describe('rate limit shared through Redis', () => {
  const prefix = uniquePrefix();
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    if (skip) return;
    const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_PER_MINUTE: '5' };
    a = await startTestGateway(env);
    b = await startTestGateway(env);
  });
  afterAll(async () => {
    if (skip) return;
    // close() must not hang on the limiter's Redis connection.
    await Promise.all([a?.close(), b?.close()]);
    await deleteKeys(prefix);
  });

  it.skipIf(skip)('two instances spend one budget: the 6th operation across both is refused', async () => {
    for (const [gateway, count] of [
      [a, 3],
      [b, 2],
    ] as const) {
      for (let i = 0; i < count; i++) {
        expect((await gateway.gql(ChargeDocument, { id: `ch_${i}` })).errors).toEqual([]);
      }
    }
    const refused = await a.gql(ChargeDocument, { id: 'ch_6' });
    expect(codes(refused.errors)).toEqual(['RATE_LIMITED']);
    expect(refused.status).toBe(429);
    expect(codes((await b.gql(ChargeDocument, { id: 'ch_7' })).errors)).toEqual(['RATE_LIMITED']);
  });
});
