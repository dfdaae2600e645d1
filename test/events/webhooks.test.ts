import { createHmac, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Client } from 'graphql-ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateChargeDocument,
  CreateSalesPageDocument,
  RefundChargeDocument,
  SandboxCompleteCheckoutDocument,
  SandboxSettleTransactionDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
  type TransactionStatusChangedSubscriptionVariables,
} from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { connectWs, type Subscriber, subscribeWs } from '../support/subscriptions.js';

/**
 * The webhook routes as an attacker or a flaky network sees them. The simulators' webhook URL
 * (SANDBOX_WEBHOOK_URL) points at a closed port, so the simulators' own webhooks never arrive: every webhook this gateway
 * receives is one this file POSTs, and "publishes nothing" can be proven exactly. Each rejection is
 * followed by a genuine delivery for the same transaction: it publishes the first event for it
 * (previousStatus null, or PENDING as createCharge answered), which shows both that the forgery
 * published nothing and that the subscriber would have seen it if it had.
 */
const SECRET = 'whsec_webhook_tests_current_0000000001';
const PREVIOUS_SECRET = 'whsec_webhook_tests_previous_000000002';
const TOKEN = 'elopage_webhook_tests_token_0000000003';

type Payload = TransactionStatusChangedSubscription;
type StatusEvent = Payload['transactionStatusChanged'];

let gw: TestGateway;
let ws: Client;
/** Follows every event the gateway publishes, from before the first webhook. */
let everything: Subscriber<Payload>;
/** What the genuine deliveries published, in order: [transaction ID, status]. */
const published: [string, string][] = [];

beforeAll(async () => {
  gw = await startTestGateway({
    ELEPAY_WEBHOOK_SECRET: SECRET,
    ELEPAY_WEBHOOK_SECRET_PREVIOUS: PREVIOUS_SECRET,
    ELOPAGE_WEBHOOK_TOKEN: TOKEN,
    // Port 1 on loopback is never listened on: the simulators' deliveries fail (and would be retried
    // in a minute), so the only webhooks are the ones below.
    SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:1',
  });
  ws = connectWs(gw.url);
  everything = await subscribeWs(ws, TransactionStatusChangedDocument, {});
});
afterAll(async () => {
  await ws?.dispose();
  gw.expectNoLeaks([PREVIOUS_SECRET]);
  await gw.close();
});

// --- Webhook deliveries ------------------------------------------------------------------------

interface Answer {
  status: number;
  body: { received?: boolean; published?: number; error?: string };
}

async function post(path: string, body: string | Buffer | Readable, headers: Record<string, string> = {}) {
  const response = await request(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.body.text();
  let parsed: Answer['body'] = {};
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    // A non-JSON answer keeps an empty body; the status is what the tests check.
  }
  return { status: response.statusCode, body: parsed } satisfies Answer;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** `elepay-signature` as elepay computes it: hex HMAC-SHA256(secret, t + "." + raw body). */
function sign(body: string | Buffer, secret = SECRET, seconds = nowSeconds()): string {
  const sign = createHmac('sha256', secret).update(`${seconds}.`).update(body).digest('hex');
  return `t=${seconds},sign=${sign}`;
}

/** An elepay event envelope (providers/elepay.md §8); the gateway only trusts type and object IDs. */
function elepayEvent(type: string, object: Record<string, unknown>): string {
  return JSON.stringify({
    id: `evt_${randomBytes(12).toString('hex')}`,
    object: 'event',
    createTime: Date.now(),
    liveMode: false,
    type,
    data: { object },
  });
}

const postElepay = (
  body: string | Buffer | Readable,
  signature?: string,
  headers: Record<string, string> = {},
) =>
  post('/webhooks/elepay', body, {
    ...(signature === undefined ? {} : { 'elepay-signature': signature }),
    ...headers,
  });

const postElopage = (body: string | Buffer | Readable, token = TOKEN, headers: Record<string, string> = {}) =>
  post(`/webhooks/elopage/${token}`, body, headers);

/** A genuine delivery: 200 and what it published, remembered for the final check. */
async function deliver(send: () => Promise<Answer>, expected: [string, string][]): Promise<Answer> {
  const answer = await send();
  expect(answer).toEqual({ status: 200, body: { received: true, published: expected.length } });
  published.push(...expected);
  return answer;
}

// --- Transactions (changed at the simulators, which cannot tell the gateway) ------------------

interface SettledCharge {
  id: string;
  providerId: string;
}

async function settle(transactionId: string) {
  const { data, errors } = await gw.gql(SandboxSettleTransactionDocument, {
    input: { transactionId, outcome: 'SUCCEED' },
  });
  expect(errors).toEqual([]);
  expect(data?.sandboxSettleTransaction.userErrors).toEqual([]);
}

/** A charge the payer has paid at elepay; the gateway has not heard of it. */
async function paidCharge(amount = '1500'): Promise<SettledCharge> {
  const { data, errors } = await gw.gql(CreateChargeDocument, {
    input: { amount, currency: 'JPY', paymentMethod: 'creditcard' },
  });
  expect(errors).toEqual([]);
  const charge = data?.createCharge.charge;
  await settle(charge?.id ?? '');
  return { id: charge?.id ?? '', providerId: charge?.providerId ?? '' };
}

const chargeSucceeded = (charge: SettledCharge) =>
  elepayEvent('charge.succeeded', { id: charge.providerId, object: 'charge', status: 'captured' });

async function subscribe(ids: string[]) {
  return subscribeWs(ws, TransactionStatusChangedDocument, {
    filter: { ids },
  } satisfies TransactionStatusChangedSubscriptionVariables);
}

const summary = (events: StatusEvent[]) =>
  events.map((e) => [e.transaction.id, e.previousStatus, e.status] as const);
const eventsOf = (payloads: Payload[]) => payloads.map((p) => p.transactionStatusChanged);

/** A body over the 256 KB limit that is otherwise a valid event. */
function hugeEvent(object: Record<string, unknown>): string {
  return elepayEvent('charge.succeeded', { ...object, description: 'x'.repeat(300 * 1024) });
}

describe('POST /webhooks/elepay', () => {
  it('forged webhooks (bad signature, stale or future timestamp, missing or malformed header) get 400 and publish nothing', async () => {
    const charge = await paidCharge();
    const subscriber = await subscribe([charge.id]);
    const body = chargeSucceeded(charge);
    const t = nowSeconds();
    // Outside the 300 s window by more than a busy machine can spend between signing and the check
    // (timestamps are whole seconds, so a margin of one second is not enough).
    const outside = 330;

    const forgeries: [string, Promise<Answer>][] = [
      ['no signature header', postElepay(body)],
      ['an empty header', postElepay(body, '')],
      ['signed with an unknown secret', postElepay(body, sign(body, 'whsec_guessed_by_an_attacker_000001'))],
      ['a signature of another body', postElepay(body, sign(body.replace('captured', 'pending')))],
      ['the signature of the body, sent with another body', postElepay(`${body} `, sign(body))],
      [
        'a tampered signature',
        postElepay(
          body,
          sign(body).replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        ),
      ],
      [`a correct signature ${outside} s old`, postElepay(body, sign(body, SECRET, t - outside))],
      ['a correct signature 10 minutes old', postElepay(body, sign(body, SECRET, t - 600))],
      [`a correct signature ${outside} s in the future`, postElepay(body, sign(body, SECRET, t + outside))],
      ['no timestamp', postElepay(body, sign(body).replace(/^t=\d+,/, ''))],
      ['no sign', postElepay(body, `t=${t}`)],
      ['a non-numeric timestamp', postElepay(body, sign(body).replace(/^t=\d+/, 't=soon'))],
    ];
    for (const [what, answer] of forgeries) {
      expect((await answer).status, what).toBe(400);
    }

    // The genuine delivery is the first thing ever published for this charge.
    await deliver(() => postElepay(body, sign(body)), [[charge.id, 'SUCCEEDED']]);
    const [event] = eventsOf(await subscriber.waitFor(1));
    expect(event).toMatchObject({
      provider: 'ELEPAY',
      // Known from createCharge's answer, not from an event: a forgery would have made this unchanged.
      previousStatus: 'PENDING',
      status: 'SUCCEEDED',
      transaction: { id: charge.id, status: 'SUCCEEDED', amount: { amount: '1500', currency: 'JPY' } },
    });
    expect(subscriber.received).toHaveLength(1);
    await subscriber.close();
  });

  it('a webhook signed with the previous secret (ELEPAY_WEBHOOK_SECRET_PREVIOUS) is accepted during rotation', async () => {
    const charge = await paidCharge();
    const subscriber = await subscribe([charge.id]);
    const body = chargeSucceeded(charge);
    await deliver(() => postElepay(body, sign(body, PREVIOUS_SECRET)), [[charge.id, 'SUCCEEDED']]);
    expect(summary(eventsOf(await subscriber.waitFor(1)))).toEqual([[charge.id, 'PENDING', 'SUCCEEDED']]);
    await subscriber.close();
  });

  it('the same delivery 5 times, one after another or all at once: every one 2xx, one event', async () => {
    const [one, two, fence] = [await paidCharge(), await paidCharge(), await paidCharge()];
    const subscriber = await subscribe([one.id, two.id, fence.id]);

    const body = chargeSucceeded(one);
    const signature = sign(body);
    const sequential: Answer[] = [];
    for (let i = 0; i < 5; i++) sequential.push(await postElepay(body, signature));
    expect(sequential.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(sequential.map((a) => a.body.published)).toEqual([1, 0, 0, 0, 0]);
    published.push([one.id, 'SUCCEEDED']);

    const twoBody = chargeSucceeded(two);
    const twoSignature = sign(twoBody);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => postElepay(twoBody, twoSignature)));
    expect(concurrent.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(concurrent.map((a) => a.body.published).sort()).toEqual([0, 0, 0, 0, 1]);
    published.push([two.id, 'SUCCEEDED']);

    // The fence comes last: a duplicate of either would have been delivered before it.
    const fenceBody = chargeSucceeded(fence);
    await deliver(() => postElepay(fenceBody, sign(fenceBody)), [[fence.id, 'SUCCEEDED']]);
    expect(summary(eventsOf(await subscriber.waitFor(3)))).toEqual([
      [one.id, 'PENDING', 'SUCCEEDED'],
      [two.id, 'PENDING', 'SUCCEEDED'],
      [fence.id, 'PENDING', 'SUCCEEDED'],
    ]);
    expect(subscriber.received).toHaveLength(3);
    await subscriber.close();
  });

  it('refund.succeeded records the refund and its charge; a late charge.succeeded afterwards publishes nothing', async () => {
    const charge = await paidCharge('800');
    const fence = await paidCharge();
    const subscriber = await subscribe([charge.id, fence.id]);
    const paid = chargeSucceeded(charge);
    await deliver(() => postElepay(paid, sign(paid)), [[charge.id, 'SUCCEEDED']]);

    const { data } = await gw.gql(RefundChargeDocument, { input: { chargeId: charge.id } });
    const refund = data?.refundCharge.refund;
    expect(refund).toMatchObject({ status: 'PENDING', amount: { amount: '800' } });
    await settle(refund?.id ?? '');
    const refunded = elepayEvent('refund.succeeded', {
      id: refund?.providerId,
      object: 'refund',
      chargeId: charge.providerId,
    });
    // Only the charge is subscribed to here; the refund's own event reaches `everything`.
    await deliver(
      () => postElepay(refunded, sign(refunded)),
      [
        [refund?.id ?? '', 'SUCCEEDED'],
        [charge.id, 'REFUNDED'],
      ],
    );

    // elepay retries the old charge.succeeded late (freshly signed, as its retries are): the
    // gateway asks elepay, which says refunded, so nothing changes and nothing is published.
    const late = await postElepay(paid, sign(paid));
    expect(late).toEqual({ status: 200, body: { received: true, published: 0 } });

    const fenceBody = chargeSucceeded(fence);
    await deliver(() => postElepay(fenceBody, sign(fenceBody)), [[fence.id, 'SUCCEEDED']]);
    const events = eventsOf(await subscriber.waitFor(3));
    expect(summary(events)).toEqual([
      [charge.id, 'PENDING', 'SUCCEEDED'],
      [charge.id, 'SUCCEEDED', 'REFUNDED'],
      [fence.id, 'PENDING', 'SUCCEEDED'],
    ]);
    expect(events[1]?.transaction).toMatchObject({ status: 'REFUNDED', providerStatus: 'refunded' });
    expect(subscriber.received).toHaveLength(3);
    await subscriber.close();
  });

  it('junk bodies (correctly signed) get 4xx, oversized ones 413, and publish nothing', async () => {
    const charge = await paidCharge();
    const subscriber = await subscribe([charge.id]);
    const object = { id: charge.providerId, object: 'charge' };
    const junk: [string, string][] = [
      ['not JSON', 'this is not JSON {'],
      ['an empty body', ''],
      ['a JSON array', JSON.stringify([JSON.parse(chargeSucceeded(charge))])],
      ['a JSON string', JSON.stringify(chargeSucceeded(charge))],
      ['null', 'null'],
      ['no type', JSON.stringify({ object: 'event', data: { object } })],
      ['no object ID', elepayEvent('charge.succeeded', { object: 'charge' })],
      ['no data', JSON.stringify({ type: 'charge.succeeded' })],
      ['a numeric object ID', elepayEvent('charge.succeeded', { id: 12345 })],
      ['a refund event without chargeId', elepayEvent('refund.succeeded', { id: 're_1', object: 'refund' })],
    ];
    for (const [what, body] of junk) {
      const answer = await postElepay(body, sign(body));
      expect(answer.status, what).toBe(400);
    }

    const huge = hugeEvent(object);
    expect(Buffer.byteLength(huge)).toBeGreaterThan(256 * 1024);
    expect((await postElepay(huge, sign(huge))).status).toBe(413);
    // Without a Content-Length (chunked), the limit is enforced while reading.
    expect((await postElepay(Readable.from([Buffer.from(huge)]), sign(huge))).status).toBe(413);

    const body = chargeSucceeded(charge);
    await deliver(() => postElepay(body, sign(body)), [[charge.id, 'SUCCEEDED']]);
    expect(summary(eventsOf(await subscriber.waitFor(1)))).toEqual([[charge.id, 'PENDING', 'SUCCEEDED']]);
    expect(subscriber.received).toHaveLength(1);
    await subscriber.close();
  });
});

describe('POST /webhooks/elopage/:token', () => {
  let salesPageId = '';

  /** A SEPA payment elopage holds as pending; the gateway has not heard of it. */
  async function pendingPayment() {
    const { data, errors } = await gw.gql(SandboxCompleteCheckoutDocument, {
      input: {
        salesPageId,
        paymentMethod: 'bank_account',
        iban: 'DE89370400440532013000',
        outcome: 'SUCCEED',
      },
    });
    expect(errors).toEqual([]);
    const payment = data?.sandboxCompleteCheckout.payment;
    expect(payment?.status).toBe('PENDING');
    return { id: payment?.id ?? '', providerId: payment?.providerId ?? '' };
  }

  /** What elopage posts (the payment object), here claiming whatever the caller likes. */
  const notification = (providerId: string, state: string) =>
    JSON.stringify({ id: Number(providerId), state, payment_state: state, amount: 49, currency: 'EUR' });

  beforeAll(async () => {
    const { data } = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Webhook course', pricingPlans: [{ oneTime: { price: '49' } }] },
    });
    salesPageId = data?.createSalesPage.salesPage?.id ?? '';
    expect(salesPageId).not.toBe('');
  });

  it('a wrong token gets 404 and publishes nothing', async () => {
    const payment = await pendingPayment();
    const subscriber = await subscribe([payment.id]);
    const body = notification(payment.providerId, 'pending');
    const wrongTokens = [
      'elopage_webhook_tests_token_0000000004',
      `${TOKEN}x`,
      TOKEN.slice(0, -1),
      TOKEN.toUpperCase(),
      'short',
    ];
    for (const token of wrongTokens) {
      expect((await postElopage(body, token)).status, token).toBe(404);
    }
    expect((await post('/webhooks/elopage/', body)).status).toBe(404);
    expect((await post('/webhooks/elopage', body)).status).toBe(404);

    await deliver(() => postElopage(body), [[payment.id, 'PENDING']]);
    expect(summary(eventsOf(await subscriber.waitFor(1)))).toEqual([[payment.id, null, 'PENDING']]);
    expect(subscriber.received).toHaveLength(1);
    await subscriber.close();
  });

  it('a body claiming `successful` for a payment elopage reports pending never yields SUCCEEDED', async () => {
    const payment = await pendingPayment();
    const subscriber = await subscribe([payment.id]);
    const lie = notification(payment.providerId, 'successful');

    // The gateway asks elopage, which says pending: that is what is published.
    await deliver(() => postElopage(lie), [[payment.id, 'PENDING']]);
    const [first] = eventsOf(await subscriber.waitFor(1));
    expect(first).toMatchObject({
      provider: 'ELOPAGE',
      previousStatus: null,
      status: 'PENDING',
      transaction: { id: payment.id, status: 'PENDING', providerStatus: 'pending' },
    });
    // Insisting changes nothing.
    for (let i = 0; i < 3; i++) {
      expect(await postElopage(lie)).toEqual({ status: 200, body: { received: true, published: 0 } });
    }

    // Only once the bank really settles it does the same hint publish SUCCEEDED.
    await settle(payment.id);
    await deliver(() => postElopage(lie), [[payment.id, 'SUCCEEDED']]);
    const events = eventsOf(await subscriber.waitFor(2));
    expect(summary(events)).toEqual([
      [payment.id, null, 'PENDING'],
      [payment.id, 'PENDING', 'SUCCEEDED'],
    ]);
    expect(events[1]?.transaction).toMatchObject({
      status: 'SUCCEEDED',
      providerStatus: 'successful',
      amount: { amount: '49.00', currency: 'EUR' },
    });
    expect(subscriber.received).toHaveLength(2);
    await subscriber.close();
  });

  it('junk bodies get 4xx, oversized ones 413, and publish nothing', async () => {
    const payment = await pendingPayment();
    const subscriber = await subscribe([payment.id]);
    const valid = notification(payment.providerId, 'pending');
    const junk: [string, string][] = [
      ['not JSON', `{"id": ${payment.providerId}`],
      ['an empty body', ''],
      ['a JSON array', `[${valid}]`],
      ['a JSON number', payment.providerId],
      ['null', 'null'],
      ['no id', JSON.stringify({ state: 'successful' })],
      ['a null id', JSON.stringify({ id: null, state: 'successful' })],
      ['an id that is not an elopage ID', JSON.stringify({ id: `../${payment.providerId}` })],
      ['an object as id', JSON.stringify({ id: { id: payment.providerId } })],
    ];
    for (const [what, body] of junk) {
      const { status } = await postElopage(body);
      expect(status >= 400 && status < 500, `${what}: ${status}`).toBe(true);
    }
    const huge = JSON.stringify({ id: Number(payment.providerId), padding: 'x'.repeat(300 * 1024) });
    expect((await postElopage(huge)).status).toBe(413);
    expect((await postElopage(Readable.from([Buffer.from(huge)]))).status).toBe(413);

    await deliver(() => postElopage(valid), [[payment.id, 'PENDING']]);
    expect(summary(eventsOf(await subscriber.waitFor(1)))).toEqual([[payment.id, null, 'PENDING']]);
    expect(subscriber.received).toHaveLength(1);
    await subscriber.close();
  });
});

describe('everything the gateway published', () => {
  it('is exactly what the genuine deliveries published, in order: no forgery, junk or repeat got through', async () => {
    expect(published.length).toBeGreaterThan(10);
    const events = eventsOf(await everything.waitFor(published.length));
    expect(events.map((e) => [e.transaction.id, e.status])).toEqual(published);
    expect(everything.received).toHaveLength(published.length);
    expect(everything.errors).toEqual([]);
  });
});
