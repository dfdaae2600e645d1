import { createHash, createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { getIntrospectionQuery, print } from 'graphql';
import type { Client } from 'graphql-ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, protectSecretValues } from '../../src/logger.js';
import {
  ChargeAndPaymentDocument,
  ChargeDocument,
  ChargesDocument,
  CreateChargeDocument,
  CreateSalesPageDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
} from '../generated/graphql.js';
import { startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';
import { connectWs, type Subscriber, subscribeSse, subscribeWs } from '../support/subscriptions.js';

/**
 * The secrets sweep: one gateway holding every kind of secret — both elepay webhook secrets (current
 * and being rotated out), the elopage webhook token, real provider keys (against standalone
 * simulators) and API client tokens — is driven through everything that produces output: GraphiQL,
 * introspection, errors of every kind, good and forged webhooks, subscriptions over graphql-ws and
 * SSE, health routes. Then every response body, subscription payload and log line is searched for
 * every secret, and for the forms a secret takes on the wire (the elepay Basic credential).
 */
const ELEPAY_WEBHOOK_SECRET = 'whsec_secrets_sweep_current_000000000001';
const ELEPAY_WEBHOOK_SECRET_PREVIOUS = 'whsec_secrets_sweep_previous_00000000002';
const ELOPAGE_WEBHOOK_TOKEN = 'secrets-sweep-elopage-webhook-token-00003';
const FULL_TOKEN = 'pgt_secrets_sweep_full_access_token_000004';
const READ_TOKEN = 'pgt_secrets_sweep_read_only_token_0000005';
/** Sent by callers, configured nowhere: must not be echoed either. */
const WRONG_TOKEN = 'pgt_secrets_sweep_wrong_token_00000000006';

const client = (name: string, token: string, scopes: string[]) => ({
  name,
  tokenSha256: createHash('sha256').update(token).digest('hex'),
  scopes,
});

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let elepaySim: Simulator;
let elopageSim: Simulator;
let gw: TestGateway;
let ws: Client;
const subscribers: Subscriber<TransactionStatusChangedSubscription>[] = [];

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const FULL = bearer(FULL_TOKEN);

beforeAll(async () => {
  [elepaySim, elopageSim] = await Promise.all([startSimulator('elepay'), startSimulator('elopage')]);
  gw = await startTestGateway({
    ELEPAY_BASE_URL: elepaySim.baseUrl,
    ...elepaySim.credentials,
    ELOPAGE_BASE_URL: elopageSim.baseUrl,
    ...elopageSim.credentials,
    ELEPAY_WEBHOOK_SECRET,
    ELEPAY_WEBHOOK_SECRET_PREVIOUS,
    ELOPAGE_WEBHOOK_TOKEN,
    PAYGRAPH_CLIENTS: JSON.stringify([
      client('sweep-full', FULL_TOKEN, ['read', 'write', 'refund']),
      client('sweep-read', READ_TOKEN, ['read']),
    ]),
    // Off by default with remote providers; on here so that what they show is swept too.
    GRAPHIQL: 'true',
    INTROSPECTION: 'true',
    CORS_ORIGINS: 'https://app.example.com',
    // The simulators deliver no webhooks here: every webhook is one this file sends.
    SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:1',
  });
});

afterAll(async () => {
  for (const subscriber of subscribers) await subscriber.close();
  await ws?.dispose();
  await gw?.close();
  await Promise.allSettled([elepaySim?.server.close(), elopageSim?.server.close()]);
});

/** Any HTTP request to the gateway; the body is recorded for the sweep. */
async function call(
  path: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  const response = await request(`${gw.url}${path}`, { method: options.method ?? 'GET', ...options });
  const text = await response.body.text();
  gw.bodies.push(text);
  return { status: response.statusCode, text, headers: response.headers };
}

const postGraphql = (body: unknown, headers: Record<string, string> = FULL) =>
  call('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const sign = (body: string, secret: string, seconds = Math.floor(Date.now() / 1000)) =>
  `t=${seconds},sign=${createHmac('sha256', secret).update(`${seconds}.`).update(body).digest('hex')}`;

const elepayEvent = (type: string, object: Record<string, unknown>) =>
  JSON.stringify({ id: `evt_${type}`, object: 'event', liveMode: false, type, data: { object } });

const postElepay = (body: string, signature?: string) =>
  call('/webhooks/elepay', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'elepay-signature': signature } : {}) },
    body,
  });

const postElopage = (token: string, body: string) =>
  call(`/webhooks/elopage/${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

describe('a gateway holding every kind of secret', () => {
  it('subscribes over graphql-ws and SSE', async () => {
    ws = connectWs(gw.url, FULL);
    subscribers.push(await subscribeWs(ws, TransactionStatusChangedDocument, {}));
    subscribers.push(await subscribeSse(gw.url, TransactionStatusChangedDocument, {}, FULL));
    // A socket without a valid token is refused before any operation.
    const refused = connectWs(gw.url, bearer(WRONG_TOKEN));
    const closed = await new Promise<unknown>((resolve) => {
      refused.on('closed', resolve);
      refused.on('error', resolve);
    });
    gw.bodies.push(JSON.stringify({ reason: (closed as { reason?: string })?.reason }));
    await refused.dispose();
  });

  it('serves GraphiQL and introspection without a secret in them', async () => {
    const page = await call('/graphql', { headers: { accept: 'text/html', ...FULL } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const schema = await postGraphql({ query: getIntrospectionQuery({ descriptions: true }) });
    expect(schema.status).toBe(200);
    expect(JSON.parse(schema.text).data.__schema.types.length).toBeGreaterThan(50);
  });

  it('answers reads, writes and their errors', async () => {
    const both = await postGraphql({ query: print(ChargeAndPaymentDocument) });
    expect(JSON.parse(both.text).errors).toBeUndefined();
    await postGraphql({ query: print(ChargesDocument), variables: { first: 3 } });
    await postGraphql({ query: print(ChargeDocument), variables: { id: 'ch_does_not_exist' } });
    const page = await postGraphql({
      query: print(CreateSalesPageDocument),
      variables: { input: { name: 'Sweep', pricingPlans: [{ oneTime: { price: '10' } }] } },
    });
    expect(JSON.parse(page.text).data.createSalesPage.salesPage.webhookUrl).toMatch(/\/\*\*\*$/);
    // userErrors: an amount elepay cannot take.
    await postGraphql({
      query: print(CreateChargeDocument),
      variables: { input: { amount: '10.5', currency: 'JPY', paymentMethod: 'creditcard' } },
    });
    // Validation, syntax and variable errors.
    await postGraphql({ query: '{ charge(id: "ch_1") { noSuchField } }' });
    await postGraphql({ query: '{ charge(id: ' });
    await postGraphql({ query: print(ChargeDocument), variables: { id: { nested: true } } });
  });

  it('refuses callers without a valid token, or without the scope', async () => {
    const query = { query: print(ChargeDocument), variables: { id: 'ch_1' } };
    for (const headers of [
      {},
      bearer(WRONG_TOKEN),
      { authorization: `Basic ${Buffer.from(`x:${WRONG_TOKEN}`).toString('base64')}` },
      { authorization: WRONG_TOKEN },
    ]) {
      const answer = await postGraphql(query, headers);
      expect(answer.status).toBe(401);
      expect(answer.text).toContain('UNAUTHENTICATED');
    }
    const forbidden = await postGraphql(
      {
        query: print(CreateChargeDocument),
        variables: { input: { amount: '100', paymentMethod: 'creditcard' } },
      },
      bearer(READ_TOKEN),
    );
    expect(forbidden.text).toContain('FORBIDDEN');
    // GraphiQL and introspection with a bad token.
    await call('/graphql', { headers: { accept: 'text/html', ...bearer(WRONG_TOKEN) } });
    await postGraphql({ query: getIntrospectionQuery() }, bearer(WRONG_TOKEN));
  });

  it('takes good webhooks signed with either secret, refuses forged ones', async () => {
    const body = elepayEvent('charge.captured', { id: 'ch_1', object: 'charge' });
    expect((await postElepay(body, sign(body, ELEPAY_WEBHOOK_SECRET))).status).toBe(200);
    expect((await postElepay(body, sign(body, ELEPAY_WEBHOOK_SECRET_PREVIOUS))).status).toBe(200);
    const forged = [
      undefined,
      sign(body, 'whsec_not_the_secret_at_all_000000000000'),
      sign(body, ELEPAY_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 3600),
      `t=1,sign=${ELEPAY_WEBHOOK_SECRET}`,
      'garbage',
    ];
    for (const signature of forged) expect((await postElepay(body, signature)).status).toBe(400);
    // A body a forger made up, signed with the secret itself as the body.
    expect(
      (await postElepay(ELEPAY_WEBHOOK_SECRET, sign(ELEPAY_WEBHOOK_SECRET, ELEPAY_WEBHOOK_SECRET))).status,
    ).toBe(400);

    const notification = JSON.stringify({ id: 540391, state: 'successful' });
    expect((await postElopage(ELOPAGE_WEBHOOK_TOKEN, notification)).status).toBe(200);
    for (const token of [
      `${ELOPAGE_WEBHOOK_TOKEN}x`,
      ELOPAGE_WEBHOOK_TOKEN.slice(0, -1),
      ELOPAGE_WEBHOOK_TOKEN.toUpperCase(),
      WRONG_TOKEN,
    ]) {
      expect((await postElopage(token, notification)).status).toBe(404);
    }
    expect((await postElopage(ELOPAGE_WEBHOOK_TOKEN, `{"id":"${ELOPAGE_WEBHOOK_TOKEN}"}`)).status).toBe(400);
  });

  it('delivers the webhooks’ events to both subscribers', async () => {
    for (const subscriber of subscribers) {
      const events = await subscriber.waitFor(2);
      gw.bodies.push(JSON.stringify(events), JSON.stringify(subscriber.errors));
      expect(events.map((event) => event.transactionStatusChanged.provider).sort()).toEqual([
        'ELEPAY',
        'ELOPAGE',
      ]);
    }
  });

  it('answers health, readiness and unknown routes', async () => {
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/readyz')).status).toBe(200);
    expect((await call(`/nothing/${ELOPAGE_WEBHOOK_TOKEN}`)).status).toBe(404);
  });

  it('no secret appears in any response body, subscription payload or log line', () => {
    const elepayKey = elepaySim.credentials.ELEPAY_SECRET_KEY ?? '';
    const secrets = [
      ELEPAY_WEBHOOK_SECRET,
      ELEPAY_WEBHOOK_SECRET_PREVIOUS,
      ELOPAGE_WEBHOOK_TOKEN,
      FULL_TOKEN,
      READ_TOKEN,
      WRONG_TOKEN,
      ...Object.values(elepaySim.credentials),
      ...Object.values(elopageSim.credentials),
      // The forms keys take on the wire: elepay's Basic credential, elopage's query string.
      Buffer.from(`${elepayKey}:`).toString('base64'),
      `key=${elopageSim.credentials.ELOPAGE_API_KEY}`,
    ];
    expect(gw.logs.length).toBeGreaterThan(20);
    expect(gw.bodies.length).toBeGreaterThan(30);
    gw.expectNoLeaks(secrets);
  });
});

describe('the logger, the last line of defence', () => {
  const capture = (pretty: boolean) => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      pretty,
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    });
    return { lines, logger };
  };

  it('writes colored lines for people (a terminal) with the same secrets cut out', () => {
    const { lines, logger } = capture(true);
    const secret = 'whsec_registered_only_for_this_pretty_test_0008';
    protectSecretValues([secret]);
    logger.warn(
      { url: `/webhooks/elopage/${secret}`, token: 'pgt_named_like_a_token_0001' },
      `failed with ${secret}`,
    );
    const text = lines.join('');
    expect(text).toContain(`${String.fromCharCode(27)}[`); // an ANSI color
    expect(text).toContain('WARN');
    expect(text).toContain('failed with [redacted]');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('pgt_named_like_a_token_0001');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('censors fields named like credentials and every registered secret value, wherever it hides', () => {
    const { lines, logger } = capture(false);
    const secret = 'whsec_registered_only_for_this_test_0007';
    protectSecretValues([secret, 'short']);
    logger.child({ requestId: 'r-1' }).error(
      {
        err: new Error(`upstream said: ${secret}`),
        url: `/webhooks/elopage/${secret}`,
        headers: { authorization: `Bearer ${FULL_TOKEN}`, cookie: 'session=abc' },
        connectionParams: { authorization: `Bearer ${READ_TOKEN}` },
        apiKey: 'k-123456789',
        // Too short to register: it stays, and ordinary words are never censored.
        word: 'short',
      },
      `failed with ${secret}`,
    );
    const [line = ''] = lines;
    for (const value of [secret, FULL_TOKEN, READ_TOKEN, 'session=abc', 'k-123456789']) {
      expect(line).not.toContain(value);
    }
    expect(line).toContain('[redacted]');
    expect(JSON.parse(line)).toMatchObject({
      requestId: 'r-1',
      word: 'short',
      msg: 'failed with [redacted]',
    });
  });
});
