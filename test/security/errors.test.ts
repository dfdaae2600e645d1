import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChargeDocument, CreateChargeDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

/**
 * Issue 8.7 and 8.8: nothing of a provider's error body reaches a client but codes and names that
 * look like codes and names; every configured secret is cut out of every response; with
 * introspection off, no error suggests a name.
 */
const SECRET_KEY = 'sk_test_errorsuite_0123456789abcdef';

/** An "elepay" that answers every call with the error body the test sets. */
async function startHostileElepay() {
  let answer: { status: number; body: unknown } = { status: 400, body: {} };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answer(status: number, body: unknown) {
      answer = { status, body };
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('provider error bodies', () => {
  let elepay: Awaited<ReturnType<typeof startHostileElepay>>;
  let gw: TestGateway;
  beforeAll(async () => {
    elepay = await startHostileElepay();
    gw = await startTestGateway({ ELEPAY_SECRET_KEY: SECRET_KEY, ELEPAY_BASE_URL: elepay.url });
  });
  afterAll(async () => {
    await gw?.close();
    await elepay?.close();
  });

  const CHARGE = { amount: '1000', currency: 'JPY', paymentMethod: 'creditcard' };

  it('a refusal echoing the secret key and markup reaches the client as a plain sentence', async () => {
    elepay.answer(400, {
      errorCode: SECRET_KEY,
      parameterName: `<script>alert("${SECRET_KEY}")</script>`,
      message: `invalid key ${SECRET_KEY}`,
    });
    const refused = await gw.gql(CreateChargeDocument, { input: CHARGE });
    expect(refused.data?.createCharge.userErrors).toEqual([
      { field: null, code: 'PROVIDER_REJECTED', message: 'elepay rejected the request' },
    ]);
    expect(refused.text).not.toContain(SECRET_KEY);
    expect(refused.text).not.toContain('<script');
  });

  it('a well-formed code and parameter name still come through', async () => {
    elepay.answer(400, { errorCode: 'U001001', parameterName: 'orderNo', message: 'whatever' });
    const refused = await gw.gql(CreateChargeDocument, { input: CHARGE });
    expect(refused.data?.createCharge.userErrors[0]?.message).toBe(
      'elepay rejected the request (parameter orderNo) [U001001]',
    );
  });

  it("createCharge: elepay's own amount limit is INVALID on the amount, not AMOUNT_EXCEEDS_REMAINING", async () => {
    elepay.answer(400, { errorCode: 'U008001', parameterName: 'amount' });
    const refused = await gw.gql(CreateChargeDocument, { input: CHARGE });
    expect(refused.data?.createCharge.userErrors).toEqual([
      {
        field: ['input', 'amount'],
        code: 'INVALID',
        message: 'elepay does not accept this amount for this payment method',
      },
    ]);
  });

  it('an outage with a hostile code: the GraphQL error keeps its code, not the provider text', async () => {
    elepay.answer(503, { errorCode: `<img src=x onerror=alert(1)>${SECRET_KEY}` });
    const down = await gw.gql(ChargeDocument, { id: 'ch_1' });
    const error = down.errors[0];
    expect(error?.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', provider: 'ELEPAY' });
    expect(error?.extensions).not.toHaveProperty('providerCode');
    expect(down.text).not.toContain(SECRET_KEY);
    expect(down.text).not.toContain('<img');

    elepay.answer(503, { errorCode: SECRET_KEY });
    const echoed = await gw.gql(ChargeDocument, { id: 'ch_1' });
    expect(echoed.errors[0]?.extensions).not.toHaveProperty('providerCode');
    expect(echoed.text).not.toContain(SECRET_KEY);
    gw.expectNoLeaks([SECRET_KEY]);
  });
});

describe('the last line: configured secrets are cut out of every response', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a secret stored in a charge description is not served back', async () => {
    const secret = gw.gateway.secrets.find((value) => value.startsWith('secret_'));
    expect(secret).toBeDefined();
    const created = await gw.gql(CreateChargeDocument, {
      input: { amount: '100', currency: 'JPY', paymentMethod: 'creditcard', description: `pwd ${secret}` },
    });
    expect(created.data?.createCharge.charge?.description).toBe('pwd [redacted]');
    const read = await gw.gql(ChargeDocument, { id: created.data?.createCharge.charge?.id ?? '' });
    expect(read.data?.charge?.description).toBe('pwd [redacted]');
    gw.expectNoLeaks();
  });
});

describe('field suggestions follow introspection', () => {
  async function post(gw: TestGateway, body: unknown): Promise<string> {
    const response = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gw.authHeaders },
      body: JSON.stringify(body),
    });
    return response.body.text();
  }
  const TYPO = { query: '{ chargez(id: "ch_1") { id } }' };
  const VARIABLE_TYPO = {
    query: 'mutation ($input: CreateChargeInput!) { createCharge(input: $input) { userErrors { code } } }',
    variables: { input: { amout: '1', currency: 'JPY', paymentMethod: 'creditcard' } },
  };
  const ENUM_TYPO = { query: '{ charges(filter: { status: SUCEEDED }) { totalCount } }' };

  it('with introspection off, no error names what the caller may have meant', async () => {
    const gw = await startTestGateway({ INTROSPECTION: 'false' });
    try {
      for (const body of [TYPO, VARIABLE_TYPO, ENUM_TYPO]) {
        const text = await post(gw, body);
        expect(text).toContain('"errors"');
        expect(text).not.toMatch(/Did you mean/);
        expect(text).not.toMatch(/"charges"|"amount"|"SUCCEEDED"/);
      }
    } finally {
      await gw.close();
    }
  });

  it('with introspection on, the hints stay (the schema is public then)', async () => {
    const gw = await startTestGateway({ INTROSPECTION: 'true' });
    try {
      expect(await post(gw, TYPO)).toMatch(/Did you mean/);
    } finally {
      await gw.close();
    }
  });
});
