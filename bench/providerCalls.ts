import { CreateSalesPageDocument, SandboxCompleteCheckoutDocument } from '../test/generated/graphql.js';
import { execute } from '../test/support/client.js';
import { resetSandboxStats, sandboxStats } from '../test/support/harness.js';
import { openSubscribers, Tracker } from './fanout.js';
import { startGatewayProcess } from './gateway.js';
import { confirmSubscribers } from './latency.js';
import { sleep } from './stats.js';

/**
 * Scenario 3: provider calls per event. With `size` subscribers of `TransactionStatusChanged` (it
 * selects `... on Payment { salesPage { id name } }`), an elopage card checkout: the simulator's
 * webhook makes the gateway fetch the payment and publish it, and each subscriber's selection needs
 * the payment's sales page. Counted from the elopage simulator's /_sandbox/stats, per checkout,
 * including the checkout mutation's own calls (the same for every size).
 */
export interface ProviderCallsOptions {
  sizes: number[];
  perConnection: number;
  checkouts: number;
  root?: string;
}

export interface ProviderCallsResult {
  /** Per size: elopage calls per checkout event, total and `GET /api/sales_pages/:id` alone. */
  sizes: { subscribers: number; callsPerEvent: number; salesPageCallsPerEvent: number }[];
}

async function gql<T, V>(url: string, document: Parameters<typeof execute<T, V>>[1], variables: V) {
  const { data, errors } = await execute(url, document, variables);
  if (!data || errors.length > 0) throw new Error(`bench request failed: ${JSON.stringify(errors)}`);
  return data;
}

export async function runProviderCalls(options: ProviderCallsOptions): Promise<ProviderCallsResult> {
  const gateway = await startGatewayProcess(options.root);
  try {
    const { url, elopageUrl } = gateway;
    const page = await gql(url, CreateSalesPageDocument, {
      input: { name: 'Bench course', pricingPlans: [{ oneTime: { price: '10' } }] },
    });
    const salesPageId = page.createSalesPage.salesPage?.providerId ?? '';
    const sizes: ProviderCallsResult['sizes'] = [];
    for (const size of options.sizes) {
      const tracker = new Tracker(size);
      const connections = Math.ceil(size / options.perConnection);
      const pool = await openSubscribers(url, tracker, connections, Math.min(size, options.perConnection));
      await confirmSubscribers(url, tracker, 30_000);
      await resetSandboxStats(elopageUrl);
      // The webhook may beat the mutation's answer, so the payment's ID is not known in time to
      // announce it: its events count as `unexpected`, size of them per checkout.
      const base = tracker.unexpected;
      for (let i = 1; i <= options.checkouts; i++) {
        await gql(url, SandboxCompleteCheckoutDocument, {
          input: { salesPageId, paymentMethod: 'card', cardNumber: '5017670000005900', outcome: 'SUCCEED' },
        });
        const deadline = Date.now() + 30_000;
        while (tracker.unexpected - base < i * size) {
          if (Date.now() > deadline) throw new Error('a checkout event did not reach every subscriber');
          await sleep(5);
        }
      }
      const stats = await sandboxStats(elopageUrl);
      sizes.push({
        subscribers: size,
        callsPerEvent: stats.total / options.checkouts,
        salesPageCallsPerEvent: (stats.routes['GET /api/sales_pages/:id'] ?? 0) / options.checkouts,
      });
      await pool.close();
    }
    return { sizes };
  } finally {
    await gateway.stop();
  }
}
