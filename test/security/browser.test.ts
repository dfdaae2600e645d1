import { createHash } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TransactionStatusChangedDocument } from '../generated/graphql.js';
import { startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';
import { deleteKeys, REDIS_URL, rewriteValues, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { connectWs, subscribeSse, syncWs } from '../support/subscriptions.js';

/**
 * What a browser may do with the gateway: CSRF prevention, the CORS allow-list, the introspection
 * and GraphiQL switches with their defaults, and the request ID that ties an INTERNAL error a user
 * reports to its log line. Every response body is recorded and searched for secrets at the end.
 */
const ELEPAY_WEBHOOK_SECRET = 'whsec_browser_tests_secret_000000000001';
const ELOPAGE_WEBHOOK_TOKEN = 'browser-tests-elopage-webhook-token-0001';
const CLIENT_TOKEN = 'pgt_browser_tests_client_token_0000000001';
const ALLOWED = 'https://app.example.com';
const ALSO_ALLOWED = 'https://admin.example.com';
const DENIED = 'https://evil.example.net';
const INTROSPECTION_QUERY = '{ __schema { queryType { name } } }';

/** An API client for gateways that talk to remote providers (those are never open). */
const CLIENTS = JSON.stringify([
  {
    name: 'browser-tests',
    tokenSha256: createHash('sha256').update(CLIENT_TOKEN).digest('hex'),
    scopes: ['read', 'write', 'refund'],
  },
]);
const AUTH = { authorization: `Bearer ${CLIENT_TOKEN}` };

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let elepaySim: Simulator;
let elopageSim: Simulator;
const gateways: TestGateway[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [elepaySim, elopageSim] = await Promise.all([startSimulator('elepay'), startSimulator('elopage')]);
  cleanups.push(
    () => elepaySim.server.close(),
    () => elopageSim.server.close(),
  );
});

afterAll(async () => {
  for (const gw of gateways) gw.expectNoLeaks([ELEPAY_WEBHOOK_SECRET, ELOPAGE_WEBHOOK_TOKEN, CLIENT_TOKEN]);
  await Promise.allSettled([...gateways.map((gw) => gw.close()), ...cleanups.map((cleanup) => cleanup())]);
});

async function gateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const gw = await startTestGateway({ ELEPAY_WEBHOOK_SECRET, ELOPAGE_WEBHOOK_TOKEN, ...env });
  gateways.push(gw);
  return gw;
}

/** Both providers remote (standalone simulators), with the one API client. */
const remoteEnv = (env: Record<string, string> = {}) => ({
  ELEPAY_BASE_URL: elepaySim.baseUrl,
  ...elepaySim.credentials,
  ELOPAGE_BASE_URL: elopageSim.baseUrl,
  ...elopageSim.credentials,
  PAYGRAPH_CLIENTS: CLIENTS,
  ...env,
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

/** Any request to the gateway; the body is recorded for the leak check. */
async function call(
  gw: TestGateway,
  path: string,
  options: { method?: 'GET' | 'POST' | 'OPTIONS'; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const response = await request(`${gw.url}${path}`, { method: options.method ?? 'GET', ...options });
  const text = await response.body.text();
  gw.bodies.push(text);
  let json: Answer['json'] = {};
  try {
    json = JSON.parse(text) as Answer['json'];
  } catch {
    // HTML (GraphiQL) or an empty preflight answer: the tests look at status and headers.
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}

const postJson = (gw: TestGateway, query: string, headers: Record<string, string> = {}) =>
  call(gw, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query }),
  });

const skipRedis = await skipWithoutRedis('test/security/browser.test.ts (an unreadable idempotency record)');

/** An idempotency record whose payload was cut in half, as a torn write would leave it. */
function tornPayload(text: string): string {
  const record = JSON.parse(text) as { payload: string };
  return JSON.stringify({ ...record, payload: record.payload.slice(0, record.payload.length / 2) });
}

describe('CSRF prevention', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await gateway();
  });

  it('runs JSON POSTs, which a browser cannot send cross-site without a preflight', async () => {
    const answer = await postJson(gw, '{ __typename }');
    expect(answer.status).toBe(200);
    expect(answer.json.data).toEqual({ __typename: 'Query' });
  });

  it.each([
    ['text/plain', JSON.stringify({ query: '{ __typename }' })],
    ['text/plain;charset=UTF-8', JSON.stringify({ query: '{ __typename }' })],
    ['application/x-www-form-urlencoded', 'query=%7B__typename%7D'],
  ])('refuses a "simple" POST as %s (what an HTML form or a no-cors fetch sends)', async (type, body) => {
    const answer = await call(gw, '/graphql', { method: 'POST', headers: { 'content-type': type }, body });
    expect(answer.status).toBe(403);
    expect(answer.json.data ?? null).toBeNull();
    expect(answer.json.errors?.[0]?.message).toMatch(/CSRF/);
    expect(answer.json.errors?.[0]?.extensions?.code).toBe('CSRF_HEADER_REQUIRED');
  });

  it('refuses a GET query without a preflight-forcing header, runs it with one', async () => {
    const path = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
    const bare = await call(gw, path, { headers: { accept: 'application/json' } });
    expect(bare.status).toBe(403);
    const preflightForcing: Record<string, string>[] = [
      { 'x-graphql-yoga-csrf': '1' },
      { authorization: 'Bearer anything' },
    ];
    for (const header of preflightForcing) {
      const answer = await call(gw, path, { headers: { accept: 'application/json', ...header } });
      expect(answer.status).toBe(200);
      expect(answer.json.data).toEqual({ __typename: 'Query' });
    }
  });

  it('leaves SSE (a JSON POST) and graphql-ws subscriptions working', async () => {
    const sse = await subscribeSse(gw.url, TransactionStatusChangedDocument, {});
    await sse.close();
    expect(sse.errors).toEqual([]);
    const ws = connectWs(gw.url);
    try {
      await syncWs(ws);
    } finally {
      await ws.dispose();
    }
  });

  it('serves GraphiQL, whose requests are JSON POSTs', async () => {
    const page = await call(gw, '/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('paygraph');
    // Another site must not frame it (clickjacking).
    expect(page.headers['x-frame-options']).toBe('DENY');
  });
});

describe('CORS', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await gateway({ CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` });
  });

  const preflight = (target: TestGateway, origin: string) =>
    call(target, '/graphql', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization, idempotency-key',
      },
    });

  it.each([ALLOWED, ALSO_ALLOWED])('answers a preflight from the allowed origin %s', async (origin) => {
    const answer = await preflight(gw, origin);
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(origin);
    expect(answer.headers['access-control-allow-credentials']).toBe('true');
    expect(String(answer.headers['access-control-allow-methods']).split(/,\s*/).sort()).toEqual([
      'GET',
      'OPTIONS',
      'POST',
    ]);
    expect(String(answer.headers['access-control-allow-headers']).split(/,\s*/).sort()).toEqual([
      'authorization',
      'content-type',
      'idempotency-key',
      'x-request-id',
    ]);
  });

  it('gives a preflight from any other origin no CORS header, so the browser refuses', async () => {
    const answer = await preflight(gw, DENIED);
    expect(answer.status).toBeLessThan(500);
    expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('lets an allowed origin read the answer and its request ID; another origin gets nothing', async () => {
    const allowed = await postJson(gw, '{ __typename }', { origin: ALLOWED });
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(allowed.headers['access-control-expose-headers']).toBe('x-request-id');
    expect(String(allowed.headers.vary)).toMatch(/origin/i);
    const denied = await postJson(gw, '{ __typename }', { origin: DENIED });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    expect(String(denied.headers.vary)).toMatch(/origin/i);
  });

  /** Opens a graphql-ws socket with the given Origin: the HTTP status of a refusal, or 101. */
  const upgrade = (target: TestGateway, origin?: string) =>
    new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${target.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
        headers: origin ? { origin } : {},
      });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', reject);
    });

  it('opens WebSockets (which have no preflight) only from its own origin, an allowed one, or non-browsers', async () => {
    expect(await upgrade(gw, ALLOWED)).toBe(101);
    expect(await upgrade(gw, gw.url)).toBe(101);
    expect(await upgrade(gw)).toBe(101);
    expect(await upgrade(gw, DENIED)).toBe(401);
    expect(await upgrade(gw, 'null')).toBe(401);
  });

  it('allows no origin at all when CORS_ORIGINS is unset', async () => {
    const closed = await gateway();
    const answer = await preflight(closed, ALLOWED);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    const post = await postJson(closed, '{ __typename }', { origin: ALLOWED });
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('introspection and GraphiQL switches', () => {
  const graphiqlServed = async (gw: TestGateway, headers: Record<string, string> = {}) => {
    const page = await call(gw, '/graphql', { headers: { accept: 'text/html', ...headers } });
    return page.status === 200 && /text\/html/.test(String(page.headers['content-type']));
  };

  it('both are on by default with the embedded sandboxes', async () => {
    const gw = await gateway();
    const answer = await postJson(gw, INTROSPECTION_QUERY);
    expect(answer.json).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    expect(await graphiqlServed(gw)).toBe(true);
  });

  it('INTROSPECTION=false refuses __schema and __type over HTTP and graphql-ws; ordinary queries run', async () => {
    const gw = await gateway({ INTROSPECTION: 'false' });
    for (const query of [INTROSPECTION_QUERY, '{ __type(name: "Charge") { name } }']) {
      const answer = await postJson(gw, query);
      expect(answer.status).toBe(400);
      expect(answer.json.data ?? null).toBeNull();
      expect(answer.json.errors?.[0]?.message).toMatch(/introspection/i);
    }
    expect((await postJson(gw, '{ __typename }')).json.data).toEqual({ __typename: 'Query' });
    const ws = connectWs(gw.url);
    try {
      const errors = await new Promise<unknown>((resolve) => {
        ws.subscribe(
          { query: INTROSPECTION_QUERY },
          { next: (value) => resolve(value.errors), error: resolve, complete: () => resolve(null) },
        );
      });
      expect(JSON.stringify(errors)).toMatch(/introspection/i);
    } finally {
      await ws.dispose();
    }
    // GraphiQL has its own switch.
    expect(await graphiqlServed(gw)).toBe(true);
  });

  it('GRAPHIQL=false serves no GraphiQL page; the API still answers', async () => {
    const gw = await gateway({ GRAPHIQL: 'false' });
    expect(await graphiqlServed(gw)).toBe(false);
    expect((await postJson(gw, INTROSPECTION_QUERY)).json.data).toBeTruthy();
  });

  it('a gateway on remote providers has both off by default, and each can be switched on', async () => {
    const remote = await gateway(remoteEnv());
    const answer = await postJson(remote, INTROSPECTION_QUERY, AUTH);
    expect(answer.status).toBe(400);
    expect(answer.json.errors?.[0]?.message).toMatch(/introspection/i);
    expect(await graphiqlServed(remote, AUTH)).toBe(false);
    // It still serves its API to its client.
    expect((await postJson(remote, '{ __typename }', AUTH)).json.data).toEqual({ __typename: 'Query' });

    const exploring = await gateway(remoteEnv({ INTROSPECTION: 'true', GRAPHIQL: 'true' }));
    const allowed = await postJson(exploring, INTROSPECTION_QUERY, AUTH);
    expect(allowed.json.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(await graphiqlServed(exploring)).toBe(true);
  });
});

describe('request IDs', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await gateway();
  });
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it('every route answers with one: the client’s own if it is sane, a fresh UUID otherwise', async () => {
    const answers = [
      await postJson(gw, '{ __typename }'),
      await call(gw, '/healthz'),
      await call(gw, '/no-such-route'),
      await call(gw, '/webhooks/elepay', { method: 'POST', body: '{}' }),
      await call(gw, '/webhooks/elopage/wrong-token', { method: 'POST', body: '{}' }),
      await call(gw, '/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
    ];
    for (const answer of answers) expect(answer.headers['x-request-id']).toMatch(UUID);
    expect(new Set(answers.map((answer) => answer.headers['x-request-id'])).size).toBe(answers.length);

    const own = 'trace-0123456789abcdef';
    expect((await postJson(gw, '{ __typename }', { 'x-request-id': own })).headers['x-request-id']).toBe(own);
    expect((await call(gw, '/healthz', { headers: { 'x-request-id': own } })).headers['x-request-id']).toBe(
      own,
    );
    for (const odd of ['short', 'has spaces in it ok', 'x'.repeat(65), 'line\\nbreak-forged-log']) {
      const answer = await postJson(gw, '{ __typename }', { 'x-request-id': odd });
      expect(answer.headers['x-request-id']).toMatch(UUID);
    }
  });

  it.skipIf(skipRedis)(
    'an unexpected error is INTERNAL with the request ID, and its log line carries the same ID',
    async () => {
      // A genuine bug path: an idempotency record this version cannot read (torn, or written by
      // another version of the gateway on the same Redis). Its mutation was done, so it must not run
      // again, and what it returned cannot be shown: nothing to blame on the caller or a provider.
      const marker = 'STORED-PAYLOAD-MARKER';
      const prefix = uniquePrefix();
      cleanups.push(() => deleteKeys(prefix));
      const stored = await gateway(remoteEnv({ REDIS_URL, REDIS_KEY_PREFIX: prefix }));
      const mutation = `mutation { createCharge(input: { amount: "1200", currency: "JPY", paymentMethod: "creditcard", description: "${marker}", idempotencyKey: "torn-${prefix.slice(-8)}" }) { charge { id } userErrors { code } } }`;
      const first = await postJson(stored, mutation, AUTH);
      expect(first.json.errors).toBeUndefined();
      expect(await rewriteValues(`${prefix}idem:`, tornPayload)).toBe(1);

      for (const given of [undefined, 'support-ticket-4711-abcdef']) {
        const headers = { ...AUTH, ...(given ? { 'x-request-id': given } : {}) };
        const answer = await postJson(stored, mutation, headers);
        const requestId = answer.headers['x-request-id'];
        expect(typeof requestId).toBe('string');
        if (given) expect(requestId).toBe(given);
        expect(answer.status).toBe(200);
        expect(answer.json.errors).toEqual([
          {
            message: 'Unexpected error.',
            path: ['createCharge'],
            locations: expect.any(Array),
            extensions: { code: 'INTERNAL', requestId },
          },
        ]);
        expect(answer.text).not.toContain(marker);
        const logged = stored.logs
          .filter((line) => line.includes('"unexpected error"'))
          .map((line) => JSON.parse(line) as { requestId?: string; level: number });
        expect(logged.filter((line) => line.requestId === requestId)).toHaveLength(1);
        expect(logged.every((line) => line.level === 50)).toBe(true);
      }
    },
  );
});
