import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'undici';
import { CreateChargeDocument, SandboxSettleTransactionDocument } from '../test/generated/graphql.js';
import { execute } from '../test/support/client.js';
import { WEBHOOK_SECRET } from './gateway.js';

/** What drives status changes: the gateway's GraphQL API, and hand-signed elepay webhooks. */
export interface BenchCharge {
  /** Global ID, as subscribers see it in `transaction.id`. */
  id: string;
  /** elepay charge ID (ch_…). */
  providerId: string;
}

/** Runs `work` on every item, `concurrency` at a time, as that many clients would. */
export async function inParallel<T>(
  concurrency: number,
  items: T[],
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

let orders = 0;
const runId = randomBytes(4).toString('hex');

/**
 * A pending elepay charge (the simulator fires no webhook for a new charge, so nothing is published),
 * made with `headers` (an API client's `authorization`, when the gateway has clients).
 */
export async function createCharge(url: string, headers: Record<string, string> = {}): Promise<BenchCharge> {
  orders += 1;
  const { data, errors } = await execute(
    url,
    CreateChargeDocument,
    {
      input: {
        amount: '1000',
        currency: 'JPY',
        paymentMethod: 'creditcard',
        orderNo: `bench-${runId}-${orders}`,
      },
    },
    { headers },
  );
  const charge = data?.createCharge.charge;
  if (charge?.status !== 'PENDING') {
    throw new Error(`createCharge failed: ${JSON.stringify({ data, errors }).slice(0, 500)}`);
  }
  return { id: charge.id, providerId: charge.providerId };
}

/** `sandboxSettleTransaction(SUCCEED)`: the simulator captures the charge and fires `charge.succeeded`. */
export async function settleCharge(url: string, charge: BenchCharge): Promise<void> {
  const { data, errors } = await execute(url, SandboxSettleTransactionDocument, {
    input: { transactionId: charge.id, outcome: 'SUCCEED' },
  });
  if (data?.sandboxSettleTransaction.transaction?.status !== 'SUCCEEDED') {
    throw new Error(`sandboxSettleTransaction failed: ${JSON.stringify({ data, errors }).slice(0, 500)}`);
  }
}

/**
 * POSTs a correctly signed elepay webhook about `charge` to the gateway. The gateway only reads the
 * type's `charge.` prefix and the object id, fetches the charge from the simulator, and publishes
 * when the status is news: for a charge it has never seen, that is its PENDING status.
 */
export async function postElepayWebhook(url: string, charge: BenchCharge): Promise<number> {
  const body = JSON.stringify({
    id: `evt_bench_${randomBytes(8).toString('hex')}`,
    object: 'event',
    createTime: Date.now(),
    liveMode: false,
    type: 'charge.updated',
    data: { object: { id: charge.providerId, object: 'charge' } },
  });
  const t = Math.floor(Date.now() / 1000);
  const sign = createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${body}`).digest('hex');
  const response = await request(`${url}/webhooks/elepay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'elepay-signature': `t=${t},sign=${sign}` },
    body,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`webhook answered ${response.statusCode}: ${text}`);
  return (JSON.parse(text) as { published: number }).published;
}
