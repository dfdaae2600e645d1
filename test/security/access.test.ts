import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  type GraphQLInputType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
} from 'graphql';
import type { Client } from 'graphql-ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { describeGateway } from '../../src/gateway.js';
import { schema } from '../../src/graphql/schema.js';
import {
  ChargeDocument,
  ChargesDocument,
  CreateChargeDocument,
  CreateSalesPageDocument,
  RefundChargeDocument,
  RefundPaymentDocument,
  RefundTransactionDocument,
  SandboxSettleTransactionDocument,
  TransactionStatusChangedDocument,
} from '../generated/graphql.js';
import { startTestGateway, type TestGateway, testClient } from '../support/harness.js';
import { deleteKeys, REDIS_URL, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { connectWs, subscribeSse, subscribeWs } from '../support/subscriptions.js';

/**
 * Access control (API clients and scopes) on a gateway whose providers are the embedded
 * simulators but which has API clients configured, so it is not open: every caller needs a token,
 * and each token may do only what its scopes allow (src/auth/scopes.ts has the rules).
 */
const reader = testClient('reader', ['read']);
const writer = testClient('writer', ['read', 'write']);
const full = testClient('full', ['read', 'write', 'refund']);
// Refunding is its own permission, not a kind of write: a refund-only client can refund and nothing else.
const refunder = testClient('refunder', ['refund']);
const WRONG_TOKEN = 'pgt_wrong_token_that_no_client_has_000001';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// A query reaching both providers (an unknown charge and payment: null, not an error).
const ChargeAndPaymentQuery = parse(
  '{ charge(id: "ch_access_unknown") { id } payment(id: "999999") { id } }',
) as TypedDocumentNode<{ charge: unknown; payment: unknown }, never>;

let gw: TestGateway;
const sockets: Client[] = [];

beforeAll(async () => {
  gw = await startTestGateway({
    PAYGRAPH_CLIENTS: JSON.stringify([reader.client, writer.client, full.client, refunder.client]),
    ELEPAY_WEBHOOK_SECRET: 'whsec_access_tests_current_000000001',
    ELOPAGE_WEBHOOK_TOKEN: 'elopage_access_tests_token_000000001',
  });
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  gw.expectNoLeaks([reader.token, writer.token, full.token, refunder.token, WRONG_TOKEN]);
  await gw.close();
});

async function expectNoProviderCalls() {
  expect((await gw.stats('elepay')).total).toBe(0);
  expect((await gw.stats('elopage')).total).toBe(0);
}

/**
 * After a sandbox settlement the simulator's webhook makes the gateway read the charge back, at a
 * moment of its own: those GETs may land at any time, so this asserts that nothing else was called.
 */
async function expectNoProviderWrites() {
  for (const provider of ['elepay', 'elopage'] as const) {
    const { routes } = await gw.stats(provider);
    expect(Object.keys(routes).filter((route) => !route.startsWith('GET '))).toEqual([]);
  }
}

/** A pending charge made by the writer, paid in the sandbox: ready to refund. */
async function paidCharge(): Promise<string> {
  const created = await gw.gql(CreateChargeDocument, undefined, bearer(writer.token));
  expect(created.errors).toEqual([]);
  const id = created.data?.createCharge.charge?.id ?? '';
  const settled = await gw.gql(
    SandboxSettleTransactionDocument,
    { input: { transactionId: id, outcome: 'SUCCEED' } },
    bearer(writer.token),
  );
  expect(settled.data?.sandboxSettleTransaction.transaction?.status).toBe('SUCCEEDED');
  return id;
}

/**
 * The smallest variables GraphQL accepts for an input type (required fields only). Enough to get
 * past validation to the field's scope check, which is what every mutation must stop at.
 */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [];
  if (isEnumType(type)) return type.getValues()[0]?.name;
  if (isScalarType(type)) {
    const samples: Record<string, unknown> = {
      Int: 1,
      Float: 1,
      Boolean: false,
      Decimal: '1',
      DateTime: '2024-01-01T00:00:00Z',
      Date: '2024-01-01',
      JSONObject: {},
    };
    return samples[type.name] ?? 'access_test_x';
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const wanted = type.isOneOf
      ? fields.slice(0, 1)
      : fields.filter((field) => isNonNullType(field.type) && field.defaultValue === undefined);
    return Object.fromEntries(wanted.map((field) => [field.name, sample(field.type)]));
  }
  throw new Error(`no sample for ${String(type)}`);
}

/** Every Mutation field of the schema, each as a document with variables for its required arguments. */
function everyMutation() {
  const fields = Object.values(schema.getMutationType()?.getFields() ?? {});
  expect(fields.length).toBeGreaterThanOrEqual(12);
  return fields.map((field) => {
    const args = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
    const declarations = args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
    const passed = args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
    const text = `mutation${declarations ? `(${declarations})` : ''} { ${field.name}${passed ? `(${passed})` : ''} { __typename } }`;
    return {
      name: field.name,
      document: parse(text) as TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>,
      variables: Object.fromEntries(args.map((arg) => [arg.name, sample(arg.type)])),
    };
  });
}

describe('authentication', () => {
  it.each([
    ['no Authorization header', {}],
    ['a token no client has', bearer(WRONG_TOKEN)],
    ['another scheme', { authorization: `Basic ${reader.token}` }],
    ['"Bearer" without a token', { authorization: 'Bearer ' }],
  ])('%s: 401 UNAUTHENTICATED for the whole operation, no provider call', async (_name, headers) => {
    await gw.resetStats();
    const response = await gw.gql(ChargeAndPaymentQuery, undefined, headers);
    expect(response.status).toBe(401);
    expect(response.data).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await expectNoProviderCalls();
  });

  it('refuses before validation: an unknown caller learns nothing about the schema', async () => {
    const response = await gw.gql(parse('{ noSuchField }') as TypedDocumentNode<unknown, never>);
    expect(response.status).toBe(401);
    expect(response.errors.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(response.text).not.toContain('noSuchField');
  });

  it('answers a plain application/json client with 401 and a Bearer challenge too', async () => {
    const response = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ charges(first: 1) { totalCount } }' }),
    });
    const text = await response.body.text();
    gw.bodies.push(text);
    expect(response.statusCode).toBe(401);
    expect(String(response.headers['www-authenticate'])).toMatch(/^Bearer /);
    expect(JSON.parse(text).errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('takes the scheme in any case, like every HTTP auth scheme', async () => {
    const response = await gw.gql(ChargesDocument, { first: 1 }, { authorization: `bearer ${reader.token}` });
    expect(response.errors).toEqual([]);
  });
});

describe('scopes', () => {
  it('read: queries resolve', async () => {
    const charges = await gw.gql(ChargesDocument, { first: 5 }, bearer(reader.token));
    expect(charges.errors).toEqual([]);
    expect(charges.data?.charges?.edges).toBeInstanceOf(Array);
    const both = await gw.gql(ChargeAndPaymentQuery, undefined, bearer(reader.token));
    expect(both.errors).toEqual([]);
    expect(both.data).toEqual({ charge: null, payment: null });
  });

  it('read: every mutation is FORBIDDEN, naming the missing scope, and reaches no provider', async () => {
    await gw.resetStats();
    const mutations = everyMutation();
    for (const { name, document, variables } of mutations) {
      const response = await gw.gql(document, variables, bearer(reader.token));
      expect(response.status, name).toBe(200);
      expect(response.data, name).toBeNull();
      expect(response.errors, name).toHaveLength(1);
      const [error] = response.errors;
      expect(error?.extensions?.code, name).toBe('FORBIDDEN');
      expect(error?.path, name).toEqual([name]);
      const scope = /^refund(Charge|Payment|Transaction)$/.test(name)
        ? 'refund'
        : /^(replayWebhookDelivery|reconcileTransaction)$/.test(name)
          ? 'operator'
          : 'write';
      expect(error?.message, name).toBe(
        `Mutation.${name} needs the "${scope}" scope, which this API client does not have`,
      );
      expect(error?.extensions?.requiredScopes, name).toEqual([scope]);
    }
    expect(mutations.map((m) => m.name)).toEqual(
      expect.arrayContaining(['createCharge', 'createSalesPage', 'refundCharge', 'sandboxSettleTransaction']),
    );
    await expectNoProviderCalls();
  });

  it('read+write: creates a charge but cannot refund it in any of the three ways', async () => {
    const id = await paidCharge();
    await gw.resetStats();
    const attempts = [
      await gw.gql(RefundChargeDocument, { input: { chargeId: id } }, bearer(writer.token)),
      await gw.gql(RefundTransactionDocument, { input: { transactionId: id } }, bearer(writer.token)),
      await gw.gql(RefundPaymentDocument, { input: { paymentId: '1' } }, bearer(writer.token)),
    ];
    for (const attempt of attempts) {
      expect(attempt.data).toBeNull();
      expect(attempt.errors[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(attempt.errors[0]?.message).toContain('needs the "refund" scope');
    }
    await expectNoProviderWrites();
    const charge = await gw.gql(ChargeDocument, { id }, bearer(writer.token));
    expect(charge.data?.charge?.status).toBe('SUCCEEDED');
  });

  it('read+write+refund: refunds', async () => {
    const id = await paidCharge();
    const refunded = await gw.gql(RefundChargeDocument, { input: { chargeId: id } }, bearer(full.token));
    expect(refunded.errors).toEqual([]);
    expect(refunded.data?.refundCharge.userErrors).toEqual([]);
    expect(refunded.data?.refundCharge.refund?.amount.amount).toBe('1000');
  });

  it('refund alone: refunds (refunding is not a kind of write), but neither reads nor writes', async () => {
    const id = await paidCharge();
    const refunded = await gw.gql(
      RefundTransactionDocument,
      { input: { transactionId: id, amount: '400' } },
      bearer(refunder.token),
    );
    expect(refunded.errors).toEqual([]);
    expect(refunded.data?.refundTransaction.refund?.amount.amount).toBe('400');
    const read = await gw.gql(ChargeDocument, { id }, bearer(refunder.token));
    expect(read.errors[0]).toMatchObject({
      path: ['charge'],
      extensions: { code: 'FORBIDDEN', requiredScopes: ['read'] },
    });
    const write = await gw.gql(CreateChargeDocument, undefined, bearer(refunder.token));
    expect(write.errors[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('checks each root field on its own: a forbidden field is null with its error, the rest resolves', async () => {
    const mixed = parse(
      'mutation { a: createSalesPage(input: { name: "x", pricingPlans: [] }) { __typename } }',
    ) as TypedDocumentNode<unknown, never>;
    const response = await gw.gql(mixed, undefined, bearer(reader.token));
    expect(response.errors[0]?.path).toEqual(['a']);
    const page = await gw.gql(
      CreateSalesPageDocument,
      { input: { name: 'Access', pricingPlans: [{ oneTime: { price: '10' } }] } },
      bearer(writer.token),
    );
    expect(page.errors).toEqual([]);
    expect(page.data?.createSalesPage.salesPage?.name).toBe('Access');
  });
});

/** Resolves with the close code once the socket closes. */
const closeCodeOf = (client: Client) =>
  new Promise<number>((resolve) => {
    client.on('closed', (event) => resolve((event as { code: number }).code));
  });

describe('subscriptions', () => {
  it.each([
    ['without connectionParams', undefined],
    ['with a token no client has', { authorization: `Bearer ${WRONG_TOKEN}` }],
  ])('graphql-ws %s: the connection is refused (4403 Forbidden)', async (_name, params) => {
    const client = connectWs(gw.url, params, { onNonLazyError: () => undefined });
    sockets.push(client);
    const closed = closeCodeOf(client);
    const errors: unknown[] = [];
    await new Promise<void>((resolve) => {
      client.subscribe(
        { query: 'subscription { transactionStatusChanged { cursor } }' },
        {
          next: () => undefined,
          error: (error) => {
            errors.push(error);
            resolve();
          },
          complete: resolve,
        },
      );
    });
    expect(await closed).toBe(4403);
    expect(errors).toHaveLength(1);
  });

  it('graphql-ws with a read token: subscribes and receives; a mutation on that socket is FORBIDDEN', async () => {
    const created = await gw.gql(CreateChargeDocument, undefined, bearer(writer.token));
    const id = created.data?.createCharge.charge?.id ?? '';
    const client = connectWs(gw.url, bearer(reader.token));
    sockets.push(client);
    const subscriber = await subscribeWs(client, TransactionStatusChangedDocument, { filter: { ids: [id] } });
    await gw.gql(
      SandboxSettleTransactionDocument,
      { input: { transactionId: id, outcome: 'SUCCEED' } },
      bearer(writer.token),
    );
    const [event] = await subscriber.waitFor(1);
    expect(event?.transactionStatusChanged).toMatchObject({ status: 'SUCCEEDED', transaction: { id } });
    await subscriber.close();

    const result = await new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>(
      (resolve, reject) => {
        client.subscribe(
          {
            query:
              'mutation { createCharge(input: { amount: "1", paymentMethod: "creditcard" }) { __typename } }',
          },
          { next: resolve, error: reject, complete: () => undefined },
        );
      },
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('graphql-ws accepts the token as connectionParams.Authorization or headers.authorization too', async () => {
    for (const params of [
      { Authorization: `Bearer ${reader.token}` },
      { headers: { authorization: `Bearer ${reader.token}` } },
    ]) {
      const client = connectWs(gw.url, params);
      sockets.push(client);
      const subscriber = await subscribeWs(client, TransactionStatusChangedDocument, {
        filter: { ids: ['ch_nothing_happens_here'] },
      });
      expect(subscriber.errors).toEqual([]);
      await subscriber.close();
    }
  });

  it('SSE without a token is refused with 401; with a read token it subscribes and receives', async () => {
    await expect(
      subscribeSse(gw.url, TransactionStatusChangedDocument, { filter: { provider: 'ELEPAY' } }),
    ).rejects.toThrow(/^SSE subscribe failed: 401 [\s\S]*"code":"UNAUTHENTICATED"/);

    const created = await gw.gql(CreateChargeDocument, undefined, bearer(writer.token));
    const id = created.data?.createCharge.charge?.id ?? '';
    const subscriber = await subscribeSse(
      gw.url,
      TransactionStatusChangedDocument,
      { filter: { ids: [id] } },
      bearer(reader.token),
    );
    await gw.gql(
      SandboxSettleTransactionDocument,
      { input: { transactionId: id, outcome: 'SUCCEED' } },
      bearer(writer.token),
    );
    const [event] = await subscriber.waitFor(1);
    expect(event?.transactionStatusChanged).toMatchObject({ status: 'SUCCEEDED', transaction: { id } });
    await subscriber.close();
  });

  it('SSE with a refund-only token: the subscription is FORBIDDEN (it needs read)', async () => {
    const subscriber = await subscribeSse(
      gw.url,
      TransactionStatusChangedDocument,
      { filter: { provider: 'ELEPAY' } },
      bearer(refunder.token),
    );
    await expect(subscriber.waitFor(1, 2_000)).rejects.toThrow(/FORBIDDEN/);
    await subscriber.close();
  });
});

describe('configuration', () => {
  it('PAYGRAPH_CLIENTS_FILE: clients from a file; the banner counts them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paygraph-clients-'));
    const only = testClient('from-file', ['read']);
    const file = join(dir, 'clients.json');
    await writeFile(file, JSON.stringify([only.client]));
    const other = await startTestGateway({ PAYGRAPH_CLIENTS_FILE: file });
    try {
      expect(other.token).toBeNull();
      const allowed = await other.gql(ChargesDocument, { first: 1 }, bearer(only.token));
      expect(allowed.errors).toEqual([]);
      const refused = await other.gql(ChargesDocument, { first: 1 });
      expect(refused.status).toBe(401);
      const config = loadConfig({ PAYGRAPH_CLIENTS_FILE: file });
      expect(config.security.openAccess).toBe(false);
      expect(describeGateway(other.gateway, config)).toContain('access: 1 API client');
      other.expectNoLeaks([only.token]);
    } finally {
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the banner says when access is open, and how many clients there are otherwise', () => {
    expect(describeGateway(gw.gateway, loadConfig({}))).toContain(
      'access: OPEN (no API clients; all providers sandboxed)',
    );
    const clients = JSON.stringify([reader.client, writer.client]);
    expect(describeGateway(gw.gateway, loadConfig({ PAYGRAPH_CLIENTS: clients }))).toContain(
      'access: 2 API clients',
    );
  });

  it.each([
    ['elepay', { ELEPAY_SECRET_KEY: 'sk_test_access_0123456789' }],
    [
      'elopage',
      {
        ELOPAGE_API_KEY: 'access_key',
        ELOPAGE_API_SECRET: 'access_secret',
        ELOPAGE_WEBHOOK_TOKEN: 'elopage_access_tests_token_000000001',
      },
    ],
  ])('a real %s without API clients refuses to start; with clients it starts closed', (_name, env) => {
    let problems: string[] = [];
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^PAYGRAPH_CLIENTS: API clients are required/)]);
    const config = loadConfig({ ...env, PAYGRAPH_CLIENTS: JSON.stringify([full.client]) });
    expect(config.security).toMatchObject({ openAccess: false, clients: [{ name: 'full' }] });
  });

  it('no token, hash or wrong guess appears in any response body or log line', () => {
    gw.expectNoLeaks([reader.token, writer.token, full.token, refunder.token, WRONG_TOKEN]);
    for (const text of [...gw.logs, ...gw.bodies]) {
      expect(text).not.toContain(reader.client.tokenSha256);
    }
    // Refusals are logged for the operator, with the reason only.
    expect(gw.logs.some((line) => line.includes('refused: no valid API token'))).toBe(true);
  });
});

type AskBody = { errors?: { extensions?: Record<string, unknown> }[] };

/** A query with `token`, sent from `localAddress` (node:http, not undici: undici does not bind it). */
function askAs(
  gw: TestGateway,
  token: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; retryAfter: string | undefined; body: AskBody }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${gw.url}/graphql`,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as AskBody,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query: '{ charge(id: "ch_1") { status } }' }));
  });
}

describe('failed authentications per address (issue 8.11)', () => {
  it('after 10 wrong tokens an address gets 429 RATE_LIMITED, even with a right token; others do not', async () => {
    const client = testClient('guarded', ['read']);
    const gw = await startTestGateway({ PAYGRAPH_CLIENTS: JSON.stringify([client.client]) });
    try {
      for (let i = 0; i < 10; i++) {
        const guess = await askAs(gw, `pgt_guess_${i}_${'x'.repeat(30)}`);
        expect(guess.status).toBe(401);
        expect(guess.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
      const blocked = await askAs(gw, `pgt_guess_10_${'x'.repeat(30)}`);
      expect(blocked.status).toBe(429);
      expect(blocked.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
      // A right guess from that address learns nothing either, until the minute has passed, over
      // HTTP or graphql-ws …
      expect((await askAs(gw, client.token)).status).toBe(429);
      const ws = connectWs(
        gw.url,
        { authorization: `Bearer ${client.token}` },
        { onNonLazyError: () => undefined },
      );
      expect(await closeCodeOf(ws)).toBe(4403);
      await ws.dispose();
      // … while a client at another address is unaffected.
      const elsewhere = await askAs(gw, client.token, '127.0.0.2');
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.body.errors).toBeUndefined();
      gw.expectNoLeaks([client.token]);
    } finally {
      await gw.close();
    }
  });
});

const skipShared = await skipWithoutRedis(
  'test/security/access.test.ts (failed authentications through Redis)',
);

describe('failed authentications with REDIS_URL', () => {
  it.skipIf(skipShared)('two instances on one Redis count one budget per address', async () => {
    const client = testClient('guarded-shared', ['read']);
    const prefix = uniquePrefix();
    const env = { PAYGRAPH_CLIENTS: JSON.stringify([client.client]), REDIS_URL, REDIS_KEY_PREFIX: prefix };
    const a = await startTestGateway(env);
    const b = await startTestGateway(env);
    try {
      for (const [gw, from] of [
        [a, 0],
        [b, 5],
      ] as const) {
        for (let i = from; i < from + 5; i++) {
          expect((await askAs(gw, `pgt_guess_${i}_${'x'.repeat(30)}`)).status).toBe(401);
        }
      }
      // Each instance saw five wrong tokens; together ten, so both refuse the address, a right token too.
      for (const gw of [a, b]) {
        const refused = await askAs(gw, client.token);
        expect(refused.status).toBe(429);
        expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      }
      expect((await askAs(b, client.token, '127.0.0.2')).status).toBe(200);
      for (const gw of [a, b]) gw.expectNoLeaks([client.token]);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await deleteKeys(prefix);
    }
  });
});
