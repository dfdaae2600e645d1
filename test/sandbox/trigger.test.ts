import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSalesPageDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
} from '../generated/graphql.js';
import { startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';
import { type Subscriber, subscribeSse } from '../support/subscriptions.js';

/**
 * `npm run trigger`: the real CLI, run as a child process against a gateway's embedded simulators,
 * must make a subscription tick — which proves the webhook was signed as the gateway expects (a bad
 * signature is answered 400 and publishes nothing). Route details are checked over plain HTTP, which
 * costs no process spawn.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEBHOOK_SECRET = 'whsec_test_trigger_0000000000000000';

type StatusEvent = TransactionStatusChangedSubscription;
// biome-ignore lint/suspicious/noExplicitAny: assertions read response JSON loosely
type Json = Record<string, any>;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'scripts/trigger.ts', ...args],
      {
        cwd: ROOT,
        timeout: 30_000,
        env: { ...process.env, ELEPAY_SANDBOX_URL: '', ELOPAGE_SANDBOX_URL: '' },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function trigger(sandboxUrl: string, body: Json): Promise<{ status: number; body: Json }> {
  const response = await request(`${sandboxUrl}/_sandbox/trigger`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.statusCode, body: (await response.body.json()) as Json };
}

const changes = (subscriber: Subscriber<StatusEvent>) =>
  subscriber.received.map(({ transactionStatusChanged: e }) => ({
    type: e.transaction.__typename,
    providerId: e.transaction.providerId,
    status: e.status,
  }));

let gw: TestGateway;
let elepayUrl = '';
let elopageUrl = '';
/** Lets every webhook already queued be answered, i.e. processed by the gateway. */
const deliveriesDone = () =>
  Promise.all([
    gw.gateway.sandboxes.elepay?.sandbox.webhooks.idle(),
    gw.gateway.sandboxes.elopage?.sandbox.webhooks.idle(),
  ]);
/** The gateway's verdict on a webhook for `providerId`, from its log. */
const verdictsFor = (providerId: string) =>
  gw.logs
    .filter((line) => line.includes('"webhook processed"') && line.includes(`"transaction":"${providerId}"`))
    .map((line) => (JSON.parse(line) as { verdict: string }).verdict);

beforeAll(async () => {
  gw = await startTestGateway({ ELEPAY_WEBHOOK_SECRET: WEBHOOK_SECRET });
  elepayUrl = gw.gateway.sandboxes.elepay?.url ?? '';
  elopageUrl = gw.gateway.sandboxes.elopage?.url ?? '';
});
afterAll(async () => {
  gw.expectNoLeaks();
  await gw.close();
});

describe('npm run trigger (the CLI)', () => {
  let elepay: Subscriber<StatusEvent>;
  let chargeId = '';

  beforeAll(async () => {
    elepay = await subscribeSse(gw.url, TransactionStatusChangedDocument, { filter: { provider: 'ELEPAY' } });
  });
  afterAll(() => elepay.close());

  it('charge.succeeded: a fresh charge is captured and the subscriber sees it succeed', async () => {
    const run = await runCli(['charge.succeeded', '--sandbox', elepayUrl]);
    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('charge.succeeded');
    expect(run.stdout).toContain('webhook: queued');
    chargeId = /charge (ch_\d+)/.exec(run.stdout)?.[1] ?? '';
    expect(chargeId).not.toBe('');
    expect(run.stdout).toContain('status captured');

    const [event] = await elepay.waitFor(1);
    expect(event?.transactionStatusChanged).toMatchObject({
      provider: 'ELEPAY',
      status: 'SUCCEEDED',
      transaction: {
        __typename: 'Charge',
        providerId: chargeId,
        amount: { amount: '1000', currency: 'JPY' },
      },
    });
    for (const secret of gw.gateway.secrets) expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it('charge.succeeded --id: re-sent and accepted, but nothing new is published', async () => {
    const run = await runCli(['charge.succeeded', '--id', chargeId, '--sandbox', elepayUrl]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`charge ${chargeId}`);
    expect(run.stdout).toContain('webhook: queued');
    await deliveriesDone();
    // Two deliveries reached the gateway and verified; only the first was news.
    expect(verdictsFor(chargeId)).toEqual(['publish', 'unchanged']);
    expect(changes(elepay)).toEqual([{ type: 'Charge', providerId: chargeId, status: 'SUCCEEDED' }]);
  });

  it('payment.pending on a sales page, then payment.successful --id is refused while it is pending', async () => {
    const created = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Trigger course', pricingPlans: [{ oneTime: { price: '49.50' } }] },
    });
    const pageId = created.data?.createSalesPage.salesPage?.providerId ?? '';
    expect(pageId).not.toBe('');
    const elopage = await subscribeSse(gw.url, TransactionStatusChangedDocument, {
      filter: { salesPageId: pageId },
    });
    try {
      const pending = await runCli(['payment.pending', '--sales-page', pageId, '--sandbox', elopageUrl]);
      expect(pending.code).toBe(0);
      expect(pending.stdout).toContain('payment.pending');
      expect(pending.stdout).toContain('state pending');
      const paymentId = /payment (\d+)/.exec(pending.stdout)?.[1] ?? '';
      const [event] = await elopage.waitFor(1);
      expect(event?.transactionStatusChanged).toMatchObject({
        provider: 'ELOPAGE',
        status: 'PENDING',
        transaction: { __typename: 'Payment', providerId: paymentId, amount: { amount: '49.50' } },
      });

      const early = await runCli(['payment.successful', '--id', paymentId, '--sandbox', elopageUrl]);
      expect(early.code).toBe(1);
      expect(early.stderr).toContain(`payment ${paymentId} is pending`);
      expect(early.stderr).toContain('HTTP 409');
    } finally {
      await elopage.close();
    }
  });

  it('an unknown event exits 1 with the list of events and a suggestion', async () => {
    const run = await runCli(['payment.succeeded']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown event "payment.succeeded"');
    expect(run.stderr).toContain('Did you mean payment.successful?');
    expect(run.stderr).toContain('charge.succeeded, charge.revoked, refund.succeeded');
  });
});

describe('elepay POST /_sandbox/trigger', () => {
  it('charge.revoked and refund.succeeded drive fresh charges; a refund re-sends by its ID alone', async () => {
    const revoked = await trigger(elepayUrl, { event: 'charge.revoked' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ event: 'charge.revoked', webhook: 'queued' });
    expect(revoked.body.object).toMatchObject({ object: 'charge', status: 'revoked', amount: 1000 });
    expect(revoked.body.object.orderNo).toMatch(/^trigger-\d+-\d+$/);

    const refunded = await trigger(elepayUrl, { event: 'refund.succeeded' });
    expect(refunded.status).toBe(200);
    const refund = refunded.body.object;
    expect(refund).toMatchObject({ object: 'refund', status: 'refunded', amount: 100 });

    const again = await trigger(elepayUrl, { event: 'refund.succeeded', id: refund.id });
    expect(again.status).toBe(200);
    expect(again.body.object).toEqual(refund);
    await deliveriesDone();
    expect(verdictsFor(revoked.body.object.id)).toContain('publish');
    // The refund was published once; its re-send reached the gateway and was judged unchanged.
    expect(verdictsFor(refund.id)).toEqual(['publish', 'unchanged']);
  });

  it('refuses unknown events (400), unknown IDs (404) and objects in another state (409)', async () => {
    const unknown = await trigger(elepayUrl, { event: 'charge.exploded' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ errorCode: 'M002002', parameterName: 'event' });

    expect((await trigger(elepayUrl, { event: 'charge.succeeded', id: 'ch_999999' })).status).toBe(404);
    const fresh = await trigger(elepayUrl, { event: 'charge.succeeded' });
    const wrongState = await trigger(elepayUrl, { event: 'charge.revoked', id: fresh.body.object.id });
    expect(wrongState.status).toBe(409);
    expect(wrongState.body).toMatchObject({ errorCode: 'M006000' });
    expect(wrongState.body.message).toContain('captured');
    const refundOfOther = await trigger(elepayUrl, {
      event: 'refund.succeeded',
      id: 're_999999',
      chargeId: fresh.body.object.id,
    });
    expect(refundOfOther.status).toBe(404);
  });

  it('says so when the simulator has no webhook endpoint', async () => {
    const standalone = await startSimulator('elepay');
    try {
      const answer = await trigger(standalone.url, { event: 'charge.succeeded' });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        webhook: 'no endpoint configured',
        object: { status: 'captured' },
      });
    } finally {
      await standalone.server.close();
    }
  });
});

describe('elopage POST /_sandbox/trigger', () => {
  it('makes error, canceled and refund transactions on the newest page with a webhook URL', async () => {
    const created = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Newest page', pricingPlans: [{ oneTime: { price: '10' } }] },
    });
    const pageId = created.data?.createSalesPage.salesPage?.providerId ?? '';
    const error = await trigger(elopageUrl, { event: 'payment.error' });
    expect(error.status).toBe(200);
    expect(error.body).toMatchObject({
      event: 'payment.error',
      webhook: 'queued',
      object: { state: 'error' },
    });
    expect(String(error.body.object.sales_page_id)).toBe(pageId);
    const canceled = await trigger(elopageUrl, { event: 'payment.canceled' });
    expect(canceled.body.object.state).toBe('canceled');
    const refund = await trigger(elopageUrl, { event: 'refund.successful' });
    expect(refund.status).toBe(200);
    expect(refund.body.object).toMatchObject({ state: 'successful', total: '-10.00' });

    const resent = await trigger(elopageUrl, { event: 'refund.successful', id: refund.body.object.id });
    expect(resent.status).toBe(200);
    const paymentId = String(refund.body.object.refunded_transfer_id);
    const notRefund = await trigger(elopageUrl, { event: 'refund.successful', id: paymentId });
    expect(notRefund.status).toBe(409);
    expect(notRefund.body.message).toContain(`its refund is ${refund.body.object.id}`);
    await deliveriesDone();
    expect(verdictsFor(String(error.body.object.id))).toEqual(['publish']);
    expect(verdictsFor(String(refund.body.object.id))).toEqual(['publish', 'unchanged']);
  });

  it('refuses unknown events (400), unknown IDs (404) and pages without a webhook URL (422)', async () => {
    expect((await trigger(elopageUrl, { event: 'payment.exploded' })).status).toBe(400);
    expect((await trigger(elopageUrl, { event: 'payment.successful', id: '999999999' })).status).toBe(404);
    expect((await trigger(elopageUrl, { event: 'payment.successful', sales_page_id: '999999' })).status).toBe(
      404,
    );
    // Seeded pages have no webhook_url: the seeded page 1087 and its payment 540391 have nowhere to go.
    const seededPage = await trigger(elopageUrl, { event: 'payment.successful', sales_page_id: '1087' });
    expect(seededPage.status).toBe(422);
    expect(seededPage.body.errors).toHaveProperty('webhook_url');
    expect((await trigger(elopageUrl, { event: 'payment.successful', id: '540391' })).status).toBe(422);

    const standalone = await startSimulator('elopage');
    try {
      const none = await trigger(standalone.url, { event: 'payment.successful' });
      expect(none.status).toBe(422);
      expect(none.body.errors).toHaveProperty('sales_page_id');
    } finally {
      await standalone.server.close();
    }
  });
});
