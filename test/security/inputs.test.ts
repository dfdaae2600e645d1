import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateChargeDocument, CreateSalesPageDocument, RefundChargeDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

/**
 * Issue 8.11: hostile inputs get a clear userError with a field path (or a coded GraphQL error for
 * arguments), before any provider call; slow senders do not hold connections open.
 */
const THIRTY_DIGITS = `1${'0'.repeat(29)}`;
const CHARGE = { amount: '1000', currency: 'JPY', paymentMethod: 'creditcard' };
const PLAN = [{ oneTime: { price: '19.00' } }];

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ RATE_LIMIT_PER_MINUTE: '100000', REQUEST_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  gw?.expectNoLeaks();
  await gw?.close();
});

async function raw(
  query: string,
): Promise<{ errors?: { message: string; extensions?: { code?: string } }[] }> {
  const response = await request(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await response.body.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
}

describe('amounts have a maximum per currency', () => {
  it('a 30-digit charge amount is INVALID on the amount, not AMOUNT_EXCEEDS_REMAINING, with no call', async () => {
    await gw.resetStats();
    const response = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, amount: THIRTY_DIGITS } });
    expect(response.data?.createCharge.userErrors).toEqual([
      { field: ['input', 'amount'], code: 'INVALID', message: 'must be at most 99999999999 JPY' },
    ]);
    const usd = await gw.gql(CreateChargeDocument, {
      input: { ...CHARGE, currency: 'USD', amount: '1000000000.00' },
    });
    expect(usd.data?.createCharge.userErrors).toEqual([
      { field: ['input', 'amount'], code: 'INVALID', message: 'must be at most 999999999.99 USD' },
    ]);
    expect((await gw.stats('elepay')).total).toBe(0);
    // The maximum itself is fine.
    const top = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, amount: '99999999999' } });
    expect(top.data?.createCharge.userErrors).toEqual([]);
  });

  it('a 30-digit EUR price is refused on the price', async () => {
    await gw.resetStats();
    const response = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Priceless', pricingPlans: [{ oneTime: { price: `${THIRTY_DIGITS}.00` } }] },
    });
    const [error] = response.data?.createSalesPage.userErrors ?? [];
    expect(error).toMatchObject({ code: 'INVALID', message: 'must be at most 999999999.99 EUR' });
    expect(error?.field?.slice(0, 2)).toEqual(['input', 'pricingPlans']);
    expect(error?.field?.at(-1)).toBe('price');
    expect((await gw.stats('elopage')).total).toBe(0);
  });

  it('a 30-digit refund is INVALID on the amount', async () => {
    const response = await gw.gql(RefundChargeDocument, {
      input: { chargeId: 'ch_1', amount: THIRTY_DIGITS },
    });
    expect(response.data?.refundCharge.userErrors).toMatchObject([
      { field: ['input', 'amount'], code: 'INVALID', message: 'must be at most 99999999999 JPY' },
    ]);
  });
});

describe('connection arguments', () => {
  it('a malformed cursor or a negative page size is BAD_USER_INPUT, not INTERNAL', async () => {
    for (const query of [
      '{ charges(after: "garbage") { totalCount } }',
      '{ charges(first: -5) { totalCount } }',
      '{ charge(id: "ch_2") { refunds(after: "<script>") { edges { cursor } } } }',
      '{ charge(id: "ch_2") { refunds(first: -1) { edges { cursor } } } }',
    ]) {
      const body = await raw(query);
      expect(body.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(body), query).not.toContain('<script>');
    }
  });
});

describe('names and descriptions', () => {
  it('refuse NUL, other controls and bidirectional overrides, with the field', async () => {
    await gw.resetStats();
    for (const name of ['Course\u0000', 'invoice\u202Efdp.exe', 'tab\there', 'isolate\u2066x']) {
      const response = await gw.gql(CreateSalesPageDocument, { input: { name, pricingPlans: PLAN } });
      expect(response.data?.createSalesPage.userErrors, JSON.stringify(name)).toMatchObject([
        { field: ['input', 'name'], code: 'INVALID' },
      ]);
    }
    const forward = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Fine', pricingPlans: PLAN, forward: { firstName: 'Eve\u202E' } },
    });
    expect(forward.data?.createSalesPage.userErrors).toMatchObject([
      { field: ['input', 'forward', 'firstName'], code: 'INVALID' },
    ]);
    expect((await gw.stats('elopage')).total).toBe(0);

    const description = await gw.gql(CreateChargeDocument, {
      input: { ...CHARGE, description: 'nul\u0000byte' },
    });
    expect(description.data?.createCharge.userErrors).toMatchObject([
      { field: ['input', 'description'], code: 'INVALID' },
    ]);
    const reason = await gw.gql(RefundChargeDocument, { input: { chargeId: 'ch_1', reason: 'x\u202Ey' } });
    expect(reason.data?.refundCharge.userErrors).toMatchObject([
      { field: ['input', 'reason'], code: 'INVALID' },
    ]);
    expect((await gw.stats('elepay')).total).toBe(0);
  });

  it('multi-line descriptions and non-Latin names are fine', async () => {
    const charge = await gw.gql(CreateChargeDocument, {
      input: { ...CHARGE, description: 'Line one\nLine two\twith a tab' },
    });
    expect(charge.data?.createCharge.userErrors).toEqual([]);
    const page = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Kurs für Ärzte 日本語', pricingPlans: PLAN },
    });
    expect(page.data?.createSalesPage.userErrors).toEqual([]);
  });

  it('metadata keys are bounded in length and count', async () => {
    await gw.resetStats();
    for (const metadata of [{ ['k'.repeat(100_000)]: 'v' }, { ['k'.repeat(41)]: 'v' }, { 'a\u0000b': 'v' }]) {
      const response = await gw.gql(CreateChargeDocument, { input: { ...CHARGE, metadata } });
      expect(response.data?.createCharge.userErrors).toMatchObject([
        { field: ['input', 'metadata'], code: 'INVALID' },
      ]);
    }
    expect((await gw.stats('elepay')).total).toBe(0);
    const ok = await gw.gql(CreateChargeDocument, {
      input: { ...CHARGE, metadata: { ['k'.repeat(40)]: 'v' } },
    });
    expect(ok.data?.createCharge.userErrors).toEqual([]);
  });
});

describe('request bodies over 1 MiB', () => {
  const ONE_MIB = 1024 * 1024;
  /** A provider lookup padded past the limit with an unused variable. */
  const lookup = '{ charge(id: "ch_body_limit") { id } }';
  const oversized = Buffer.from(JSON.stringify({ query: lookup, variables: { pad: 'x'.repeat(ONE_MIB) } }));
  const post = async (body: Buffer | Readable) => {
    const response = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: (await response.body.json()) as object,
    };
  };
  const refusal = {
    errors: [{ message: 'Request body too large', extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } }],
  };

  it('are refused with 413 by their Content-Length, before any provider call', async () => {
    await gw.resetStats();
    expect(await post(oversized)).toMatchObject({ status: 413, body: refusal });
    expect((await gw.stats('elepay')).total).toBe(0);
  });

  it('are refused with 413 while being read when they come chunked, and the connection closes', async () => {
    const chunks = [oversized.subarray(0, ONE_MIB / 2), oversized.subarray(ONE_MIB / 2)];
    const response = await post(Readable.from(chunks));
    expect(response).toMatchObject({ status: 413, body: refusal });
    expect(response.headers.connection).toBe('close');
  });

  it('a chunked body within the limit runs as any other', async () => {
    await gw.resetStats();
    const body = Buffer.from(JSON.stringify({ query: lookup }));
    const response = await post(Readable.from([body.subarray(0, 5), body.subarray(5)]));
    expect(response).toMatchObject({ status: 200, body: { data: { charge: null } } });
    expect((await gw.stats('elepay')).total).toBe(1);
  });
});

describe('slow senders', () => {
  /** Sends `head` and then nothing more; resolves with what the server answered once it closed. */
  function sendAndStall(head: string): Promise<string> {
    const url = new URL(gw.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write(head));
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('utf8');
      });
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  it('a webhook whose body never finishes gets 408 and its connection closed (REQUEST_TIMEOUT_MS)', async () => {
    const answer = await sendAndStall(
      'POST /webhooks/elepay HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"id":',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a request whose headers never finish is closed too', async () => {
    const answer = await sendAndStall('POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: appl');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
