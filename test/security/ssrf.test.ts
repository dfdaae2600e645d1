import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSalesPageDocument,
  SandboxCompleteCheckoutDocument,
  UpdateSalesPageDocument,
} from '../generated/graphql.js';
import { startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';

/**
 * Issue 8.6: `webhookUrl` is where elopage posts a payer's name, e-mail and address. The gateway
 * accepts only https to public hosts (http to this machine while elopage is sandboxed), and the
 * simulators post to no loopback, private or link-local target but the gateway itself.
 */
const PLAN = [{ oneTime: { price: '19.00' } }];

const REFUSED = [
  'javascript:alert(1)',
  'data:text/plain,hello',
  'ftp://example.com/hook',
  'http://example.com/hook',
  'http://169.254.169.254/latest/meta-data/',
  'https://169.254.169.254/latest/meta-data/',
  'https://10.0.0.5/hook',
  'https://192.168.1.1/hook',
  'https://172.16.0.1/hook',
  'https://localhost/hook',
  'https://[::1]/hook',
  'https://[fe80::1]/hook',
  'https://[::ffff:127.0.0.1]/hook',
  'https://user:pass@example.com/hook',
  'not a url',
];

/** A listener standing in for an internal admin endpoint: it must never be called. */
async function startTrap(): Promise<{ url: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

describe('webhookUrl with elopage sandboxed', () => {
  let gw: TestGateway;
  let trap: Awaited<ReturnType<typeof startTrap>>;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_PER_MINUTE: '100000' });
    trap = await startTrap();
  });
  afterAll(async () => {
    gw?.expectNoLeaks();
    await gw?.close();
    await new Promise((resolve) => trap?.server.close(resolve));
  });

  it('refuses other schemes, internal addresses and credentials with a userError, before any call', async () => {
    await gw.resetStats();
    for (const webhookUrl of REFUSED) {
      const response = await gw.gql(CreateSalesPageDocument, {
        input: { name: 'SSRF course', pricingPlans: PLAN, webhookUrl },
      });
      expect(response.data?.createSalesPage.salesPage, webhookUrl).toBeNull();
      expect(response.data?.createSalesPage.userErrors, webhookUrl).toMatchObject([
        { code: 'INVALID', field: ['input', 'webhookUrl'] },
      ]);
    }
    const update = await gw.gql(UpdateSalesPageDocument, {
      input: { id: '1087', webhookUrl: 'http://169.254.169.254/' },
    });
    expect(update.data?.updateSalesPage.userErrors).toMatchObject([
      { code: 'INVALID', field: ['input', 'webhookUrl'] },
    ]);
    expect((await gw.stats('elopage')).total).toBe(0);
  });

  it('accepts https to a public host', async () => {
    const response = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Public hook', pricingPlans: PLAN, webhookUrl: 'https://hooks.example.com/elopage' },
    });
    expect(response.data?.createSalesPage.userErrors).toEqual([]);
    expect(response.data?.createSalesPage.salesPage?.webhookUrl).toBe('https://hooks.example.com/elopage');
  });

  it('the simulator posts no payer data to a local target other than the gateway', async () => {
    const sandbox = gw.gateway.sandboxes.elopage?.sandbox;
    if (!sandbox) throw new Error('elopage is not sandboxed');
    const page = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Trap', pricingPlans: PLAN, webhookUrl: `${trap.url}/internal/admin` },
    });
    // http to this machine is accepted while sandboxed (a local receiver may be the gateway) …
    expect(page.data?.createSalesPage.userErrors).toEqual([]);
    const checkout = await gw.gql(SandboxCompleteCheckoutDocument, {
      input: {
        salesPageId: page.data?.createSalesPage.salesPage?.providerId ?? '',
        cardNumber: '5017670000005900',
        outcome: 'SUCCEED',
      },
    });
    expect(checkout.data?.sandboxCompleteCheckout.payment?.status).toBe('SUCCEEDED');
    await sandbox.webhooks.idle();
    // … but the simulator refuses to deliver there, and says so once (no retries).
    expect(trap.hits).toEqual([]);
    expect(gw.logs.filter((line) => line.includes('webhook not sent'))).toHaveLength(1);

    // The gateway's own webhook URL (the default) is still delivered to.
    const own = await gw.gql(CreateSalesPageDocument, { input: { name: 'Own hook', pricingPlans: PLAN } });
    await gw.gql(SandboxCompleteCheckoutDocument, {
      input: {
        salesPageId: own.data?.createSalesPage.salesPage?.providerId ?? '',
        cardNumber: '5017670000005900',
        outcome: 'SUCCEED',
      },
    });
    await sandbox.webhooks.idle();
    expect(gw.logs.some((line) => line.includes('webhook delivered'))).toBe(true);
  });
});

describe('webhookUrl with a remote elopage', () => {
  it('refuses plain http even to this machine', async () => {
    const sim = await startSimulator('elopage');
    const gw = await startTestGateway({
      ...sim.credentials,
      ELOPAGE_BASE_URL: sim.baseUrl,
      ELOPAGE_WEBHOOK_TOKEN: 'ssrf-suite-token-0123456789abcdef',
    });
    try {
      const response = await gw.gql(CreateSalesPageDocument, {
        input: { name: 'Local hook', pricingPlans: PLAN, webhookUrl: 'http://127.0.0.1:9/hook' },
      });
      expect(response.data?.createSalesPage.userErrors).toMatchObject([
        { code: 'INVALID', field: ['input', 'webhookUrl'], message: 'must use https://' },
      ]);
      gw.expectNoLeaks();
    } finally {
      await gw.close();
      await sim.server.close();
    }
  });
});
