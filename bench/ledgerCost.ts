import { availableParallelism, loadavg } from 'node:os';
import type { Charge } from '../src/domain/model.js';
import type { PaymentStatus } from '../src/domain/status.js';
import type { LedgerConfig } from '../src/ledger/config.js';
import { openLedger } from '../src/ledger/index.js';
import { createLogger } from '../src/logger.js';
import { ChargeDocument, TransactionCountDocument } from '../test/generated/graphql.js';
import { execute } from '../test/support/client.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../test/support/postgres.js';
import { writeSection } from './compare/report.js';
import { cpuSeconds, type GatewayProcess, REPO_ROOT, startGatewayProcess } from './gateway.js';
import { type BenchCharge, createCharge, inParallel, postElepayWebhook, settleCharge } from './traffic.js';

/**
 * `npm run bench:ledger`: what the transaction ledger (docs/ledger.md) adds per webhook and per
 * read, as gateway CPU. Gateway child processes run the same code: in one, bench/ledgerOff.ts turns
 * the ledger's writes into no-ops; in another, bench/deliveriesOff.ts turns off only the webhook
 * delivery records (their own cost is the difference to the default); the others write to SQLite
 * in memory (the default) and, when it is reachable, PostgreSQL. Rounds alternate between them so other load hits all alike.
 *
 * A round first makes its charges (not measured): created and settled through GraphQL, with the
 * simulators' own webhooks sent nowhere (SANDBOX_WEBHOOK_URL), so the ledger has each as PENDING.
 * Then, measured: one signed `charge.succeeded` webhook per charge, which the gateway verifies,
 * fetches, records in the event log and publishes, and the ledger takes in (a history entry), until
 * the ledger shows them all; then `charge(id)` reads of those charges, each noted in the ledger.
 * Last, the ledger's operations alone in this process, on each engine. Writes its own section of bench/RESULTS.md (between the markers below) and prints it.
 */
const ROUNDS = 4;
const CHARGES_PER_ROUND = 150;
const READS_PER_ROUND = 1_200;
const CONCURRENCY = 8;
/** Ledger operations per kind in the in-process part. */
const OPERATIONS = 2_000;
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
  /** How often the measurement asked the ledger whether it had taken everything in. */
  looks: number;
  webhook: { cpu: number; count: number };
  read: { cpu: number; count: number };
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
  await inParallel(CONCURRENCY, charges, (charge) => settleCharge(url, charge));

  let before = cpuSeconds(pid);
  await inParallel(CONCURRENCY, charges, (charge) => postElepayWebhook(url, charge));
  variant.settled += charges.length;
  // Taken in by the ledger after the webhook's answer: measured until all of them are. Each look is
  // a GraphQL query the "off" gateway is not asked: rare, and counted in the report.
  while (variant.records && (await succeededInLedger(url)) < variant.settled) {
    variant.looks += 1;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  variant.webhook.cpu += cpuSeconds(pid) - before;
  variant.webhook.count += charges.length;

  before = cpuSeconds(pid);
  const reads = Array.from({ length: READS_PER_ROUND }, (_, i) => charges[i % charges.length] as BenchCharge);
  await inParallel(CONCURRENCY, reads, async (charge) => {
    const { data, errors } = await execute(url, ChargeDocument, { id: charge.id });
    if (data?.charge?.status !== 'SUCCEEDED') throw new Error(`read failed: ${JSON.stringify(errors)}`);
  });
  variant.read.cpu += cpuSeconds(pid) - before;
  variant.read.count += reads.length;
}

/** The bench's own CPU per operation, in µs, while `work` runs `count` of them. */
async function cpuPer(count: number, work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/**
 * The ledger's own operations in this process, without a gateway around them: noting new
 * transactions, taking in one change each, noting a status already noted (skipped), and recording
 * a webhook delivery (a body of the size elepay sends).
 */
async function operations(
  config: LedgerConfig,
): Promise<{ note: number; project: number; again: number; delivery: number }> {
  const ledger = await openLedger(config, createLogger({ level: 'silent' }));
  const charge = (i: number, status: PaymentStatus) =>
    ({
      kind: 'Charge',
      provider: 'ELEPAY',
      providerId: `ch_bench_${i}`,
      status,
      providerStatus: status.toLowerCase(),
      amount: { amount: '1000', currency: 'JPY' },
      createdAt: new Date(),
    }) as Charge;
  const ids = Array.from({ length: OPERATIONS }, (_, i) => i);
  try {
    const note = await cpuPer(OPERATIONS, async () => {
      for (const i of ids) await ledger.observe([charge(i, 'PENDING')], 'MUTATION');
    });
    const project = await cpuPer(OPERATIONS, async () => {
      for (const i of ids) {
        await ledger.project([
          { cursor: `1-${i}`, occurredAt: new Date(), transaction: charge(i, 'SUCCEEDED') },
        ]);
      }
    });
    const again = await cpuPer(OPERATIONS, async () => {
      for (const i of ids) await ledger.observe([charge(i, 'PENDING')], 'READ');
    });
    const body = JSON.stringify({
      id: 'evt_bench',
      type: 'charge.succeeded',
      data: { object: { id: 'ch_8' } },
    });
    const delivery = await cpuPer(OPERATIONS, async () => {
      for (const i of ids) {
        ledger.deliveries.record({
          provider: 'ELEPAY',
          receivedAt: new Date(),
          verified: true,
          refusal: null,
          httpStatus: 200,
          outcome: 'RECORDED',
          transactionIds: [`ch_bench_${i}`],
          eventCursors: [`1-${i}`],
          providerEventId: 'evt_bench',
          body,
          signature: `t=1, sign=${'0'.repeat(64)}`,
          followUp: false,
        });
        await ledger.deliveries.flush();
      }
    });
    return { note, project, again, delivery };
  } finally {
    await ledger.close();
  }
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
    looks: 0,
    webhook: { cpu: 0, count: 0 },
    read: { cpu: 0, count: 0 },
  });
};
try {
  await add('ledger off (writes are no-ops)', false, { preload: './bench/ledgerOff.ts', env: NOWHERE });
  await add('SQLite in memory, no webhook delivery records', true, {
    preload: './bench/deliveriesOff.ts',
    env: NOWHERE,
  });
  await add('SQLite in memory (default)', true, { env: NOWHERE });
  if (database) await add('PostgreSQL (local)', true, { env: { ...NOWHERE, DATABASE_URL: database.url } });
  const load = loadavg()[0] ?? Number.NaN;
  // Warm-up (JIT, connection pools, the first SQL statements), not measured.
  for (const variant of variants) await round(variant);
  for (const variant of variants) {
    variant.webhook = { cpu: 0, count: 0 };
    variant.read = { cpu: 0, count: 0 };
    variant.looks = 0;
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
  const inProcess = [{ name: 'SQLite in memory', ...(await operations({ engine: 'sqlite', path: null })) }];
  if (database) {
    const own = await createTestDatabase();
    try {
      inProcess.push({
        name: 'PostgreSQL',
        ...(await operations({ engine: 'postgres', url: own.url, password: null })),
      });
    } finally {
      await own.drop();
    }
  }
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
    '| Gateway | CPU per webhook | vs off | CPU per read | vs off | looks at the ledger |',
    '|---|---|---|---|---|---|',
    ...variants.map(
      (variant) =>
        `| ${variant.name} | ${us(variant.webhook).toFixed(0)} µs | ${ratio(us(variant.webhook), us(off.webhook))} | ${us(variant.read).toFixed(0)} µs | ${ratio(us(variant.read), us(off.read))} | ${variant.looks} |`,
    ),
    '',
    '"Looks at the ledger": the `transactions` count queries the measurement sent, one per 250 ms, to',
    "learn that the ledger had taken every webhook in; their CPU is in the webhook column. A webhook's",
    'delivery record is written after its answer, without waiting: its cost is the difference between',
    'the default and the gateway without delivery records, and none of it delays the answer.',
    '',
    `The ledger's operations alone, ${OPERATIONS} of each in the bench process, one at a time (CPU of this`,
    "process; PostgreSQL's own is not counted):",
    '',
    '| Engine | note a new transaction | take in one change | note a status already noted | record a webhook delivery |',
    '|---|---|---|---|---|',
    ...inProcess.map(
      (row) =>
        `| ${row.name} | ${row.note.toFixed(0)} µs | ${row.project.toFixed(0)} µs | ${row.again.toFixed(1)} µs | ${row.delivery.toFixed(0)} µs |`,
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
