import { availableParallelism, loadavg } from 'node:os';
import { ChargeDocument, TransactionCountDocument } from '../test/generated/graphql.js';
import { execute } from '../test/support/client.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../test/support/postgres.js';
import { writeSection } from './compare/report.js';
import { cpuSeconds, type GatewayProcess, REPO_ROOT, startGatewayProcess } from './gateway.js';
import { type BenchCharge, createCharge, postElepayWebhook, settleCharge } from './traffic.js';

/**
 * `npm run bench:ledger`: what the transaction ledger (docs/ledger.md) adds per webhook and per
 * read, as gateway CPU. Gateway child processes run the same code: in one, bench/ledgerOff.ts turns
 * the ledger's writes into no-ops; the others write to SQLite in memory (the default) and, when it
 * is reachable, PostgreSQL. Rounds alternate between them so other load hits all alike.
 *
 * A round first makes its charges (not measured): created and settled through GraphQL, with the
 * simulators' own webhooks sent nowhere (SANDBOX_WEBHOOK_URL), so the ledger has each as PENDING.
 * Then, measured: one signed `charge.succeeded` webhook per charge, which the gateway verifies,
 * fetches, records in the event log and publishes, and the ledger takes in (a history entry), until
 * the ledger shows them all; then `charge(id)` reads of those charges, each noted in the ledger.
 * Writes its own section of bench/RESULTS.md (between the markers below) and prints it.
 */
const ROUNDS = 4;
const CHARGES_PER_ROUND = 150;
const READS_PER_ROUND = 1_200;
const CONCURRENCY = 8;
const START = '<!-- bench:ledger -->';
const END = '<!-- /bench:ledger -->';
/** Port 1 on loopback: nothing listens, so the simulators' webhooks reach no gateway. */
const NOWHERE = { SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:1' };

interface Variant {
  name: string;
  gateway: GatewayProcess;
  /** Whether the ledger records (the "off" gateway's never does). */
  records: boolean;
  settled: number;
  webhook: { cpu: number; count: number };
  read: { cpu: number; count: number };
}

async function inParallel<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

async function succeededInLedger(url: string): Promise<number> {
  const { data } = await execute(url, TransactionCountDocument, {
    filter: { kind: 'CHARGE', status: ['SUCCEEDED'] },
  });
  return data?.transactions.totalCount ?? -1;
}

async function round(variant: Variant): Promise<void> {
  const { url, pid } = variant.gateway;
  const charges: BenchCharge[] = [];
  for (let i = 0; i < CHARGES_PER_ROUND; i++) charges.push(await createCharge(url));
  await inParallel(charges, (charge) => settleCharge(url, charge));

  let before = cpuSeconds(pid);
  await inParallel(charges, (charge) => postElepayWebhook(url, charge));
  variant.settled += charges.length;
  // Taken in by the ledger after the webhook's answer: measured until all of them are.
  while (variant.records && (await succeededInLedger(url)) < variant.settled) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  variant.webhook.cpu += cpuSeconds(pid) - before;
  variant.webhook.count += charges.length;

  before = cpuSeconds(pid);
  const reads = Array.from({ length: READS_PER_ROUND }, (_, i) => charges[i % charges.length] as BenchCharge);
  await inParallel(reads, async (charge) => {
    const { data, errors } = await execute(url, ChargeDocument, { id: charge.id });
    if (data?.charge?.status !== 'SUCCEEDED') throw new Error(`read failed: ${JSON.stringify(errors)}`);
  });
  variant.read.cpu += cpuSeconds(pid) - before;
  variant.read.count += reads.length;
}

const database: TestDatabase | null = (await postgresAvailable()) ? await createTestDatabase() : null;
const variants: Variant[] = [];
const add = async (name: string, records: boolean, options: Parameters<typeof startGatewayProcess>[1]) => {
  const gateway = await startGatewayProcess(REPO_ROOT, options);
  variants.push({
    name,
    gateway,
    records,
    settled: 0,
    webhook: { cpu: 0, count: 0 },
    read: { cpu: 0, count: 0 },
  });
};
try {
  await add('ledger off (writes are no-ops)', false, { preload: './bench/ledgerOff.ts', env: NOWHERE });
  await add('SQLite in memory (default)', true, { env: NOWHERE });
  if (database) await add('PostgreSQL (local)', true, { env: { ...NOWHERE, DATABASE_URL: database.url } });
  const load = loadavg()[0] ?? Number.NaN;
  // Warm-up (JIT, connection pools, the first SQL statements), not measured.
  for (const variant of variants) await round(variant);
  for (const variant of variants) {
    variant.webhook = { cpu: 0, count: 0 };
    variant.read = { cpu: 0, count: 0 };
  }
  for (let i = 0; i < ROUNDS; i++) for (const variant of variants) await round(variant);
  // The switch must have worked: the "off" ledger holds nothing, the others every settled charge.
  for (const variant of variants) {
    const held = await succeededInLedger(variant.gateway.url);
    if (held !== (variant.records ? variant.settled : 0)) {
      throw new Error(`${variant.name}: the ledger holds ${held} settled charges, expected otherwise`);
    }
  }
  const [off] = variants;
  if (!off) throw new Error('no variants');
  const us = ({ cpu, count }: { cpu: number; count: number }) => (cpu / count) * 1e6;
  const ratio = (value: number, reference: number) =>
    `${(value / reference).toFixed(3)} (${value >= reference ? '+' : ''}${(value - reference).toFixed(0)} µs)`;
  const section = [
    START,
    '## Ledger cost (`npm run bench:ledger`)',
    '',
    `Run ${new Date().toISOString()} on ${availableParallelism()} CPUs, load average ${load.toFixed(2)} at the start`,
    '(the machine was shared with other work: compare the ratios, not the absolute numbers).',
    `${ROUNDS} alternating rounds per gateway, each of ${CHARGES_PER_ROUND} signed \`charge.succeeded\` webhooks (each a`,
    'charge read from the embedded simulator, which runs in the gateway process, an event recorded and a',
    `history entry taken into the ledger; measured until the ledger shows them all) and ${READS_PER_ROUND} \`charge(id)\``,
    `reads of those charges, ${CONCURRENCY} at a time; gateway process CPU (user + system) from /proc. PostgreSQL`,
    'runs on the same machine, and its own CPU is not counted.',
    '',
    '| Gateway | CPU per webhook | vs off | CPU per read | vs off |',
    '|---|---|---|---|---|',
    ...variants.map(
      (variant) =>
        `| ${variant.name} | ${us(variant.webhook).toFixed(0)} µs | ${ratio(us(variant.webhook), us(off.webhook))} | ${us(variant.read).toFixed(0)} µs | ${ratio(us(variant.read), us(off.read))} |`,
    ),
    END,
  ].join('\n');
  writeSection(new URL('RESULTS.md', import.meta.url), section, { start: START, end: END });
  console.log(section);
} finally {
  await Promise.all(variants.map((variant) => variant.gateway.stop()));
  await database?.drop();
}
process.exit();
