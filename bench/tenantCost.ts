import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Charge } from '../src/domain/model.js';
import type { LedgerConfig } from '../src/ledger/config.js';
import { openLedger } from '../src/ledger/index.js';
import { SWEEP_BATCH } from '../src/ledger/retention.js';
import { createLogger } from '../src/logger.js';
import { ChargeDocument } from '../test/generated/graphql.js';
import { paidCharge } from '../test/support/charges.js';
import { execute } from '../test/support/client.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../test/support/postgres.js';
import { writeSection } from './compare/report.js';
import { cpuSeconds, type GatewayProcess, REPO_ROOT, startGatewayProcess } from './gateway.js';
import { type BenchCharge, createCharge, inParallel } from './traffic.js';

/**
 * `npm run bench:tenants`: what tenants (docs/ledger.md, Tenants) cost.
 *
 * - Per read: `charge(id)` of the same charges by a tenant's client (each charge checked against
 *   its owner in the ledger) and by a client without a tenant (no check: today's path), on one
 *   gateway process per engine, in alternating rounds; gateway CPU per read from /proc.
 * - Retention: one sweep of expired rows in this process, on each engine: rows per second, and the
 *   longest the event loop was held (with SQLite, every statement runs on it).
 *
 * Writes its own section of bench/RESULTS.md (between the markers below) and prints it.
 */
const ROUNDS = 4;
const CHARGES = 100;
const READS_PER_ROUND = 1_200;
const CONCURRENCY = 8;
const SWEPT_ROWS = 20_000;
const START = '<!-- bench:tenants -->';
const END = '<!-- /bench:tenants -->';

function apiClient(name: string, tenant?: string) {
  const token = `pgt_${name}_${randomBytes(24).toString('base64url')}`;
  return {
    headers: { authorization: `Bearer ${token}` },
    entry: {
      name,
      tokenSha256: createHash('sha256').update(token).digest('hex'),
      scopes: ['read', 'write'],
      ...(tenant ? { tenant } : {}),
    },
  };
}
const tenantClient = apiClient('bench-tenant', 'bench');
const plainClient = apiClient('bench-all');

interface Reader {
  name: string;
  headers: Record<string, string>;
  cpu: number;
  count: number;
}

interface Engine {
  name: string;
  gateway: GatewayProcess;
  charges: BenchCharge[];
  readers: Reader[];
}

async function readRound(engine: Engine, reader: Reader): Promise<void> {
  const { url, pid } = engine.gateway;
  const reads = Array.from({ length: READS_PER_ROUND }, (_, i) => engine.charges[i % CHARGES] as BenchCharge);
  const before = cpuSeconds(pid);
  await inParallel(CONCURRENCY, reads, async (charge) => {
    const { data, errors } = await execute(
      url,
      ChargeDocument,
      { id: charge.id },
      { headers: reader.headers },
    );
    if (data?.charge?.id !== charge.id) throw new Error(`read failed: ${JSON.stringify(errors)}`);
  });
  reader.cpu += cpuSeconds(pid) - before;
  reader.count += reads.length;
}

/** One sweep of SWEPT_ROWS expired rows: rows per second and the event loop's longest stall. */
async function sweep(config: LedgerConfig): Promise<{ rowsPerSecond: number; maxStallMs: number }> {
  const ledger = await openLedger(config, createLogger({ level: 'silent' }));
  try {
    const longAgo = new Date(Date.now() - 400 * 24 * 3_600_000);
    const charge = (i: number): Charge => ({
      ...paidCharge(i),
      providerId: `ch_swept_${i}`,
      status: 'CANCELED',
      createdAt: longAgo,
    });
    for (let start = 0; start < SWEPT_ROWS; start += 500) {
      await ledger.project(
        Array.from({ length: 500 }, (_, n) => ({
          cursor: `1-${start + n + 1}`,
          occurredAt: longAgo,
          transaction: charge(start + n),
        })),
      );
    }
    const stalls = monitorEventLoopDelay({ resolution: 1 });
    stalls.enable();
    const began = performance.now();
    const deleted = await ledger.sweep(new Date(Date.now() - 30 * 24 * 3_600_000), SWEEP_BATCH, 50);
    const seconds = (performance.now() - began) / 1000;
    stalls.disable();
    if (deleted.transactions !== SWEPT_ROWS) throw new Error(`swept ${JSON.stringify(deleted)}`);
    return { rowsPerSecond: SWEPT_ROWS / seconds, maxStallMs: stalls.max / 1e6 };
  } finally {
    await ledger.close();
  }
}

const database: TestDatabase | null = (await postgresAvailable()) ? await createTestDatabase() : null;
const engines: Engine[] = [];
const add = async (name: string, env: Record<string, string>) => {
  const gateway = await startGatewayProcess(REPO_ROOT, {
    env: { ...env, PAYGRAPH_CLIENTS: JSON.stringify([tenantClient.entry, plainClient.entry]) },
  });
  const charges: BenchCharge[] = [];
  for (let i = 0; i < CHARGES; i++) charges.push(await createCharge(gateway.url, tenantClient.headers));
  engines.push({
    name,
    gateway,
    charges,
    readers: [
      { name: 'no tenant', headers: plainClient.headers, cpu: 0, count: 0 },
      { name: 'tenant', headers: tenantClient.headers, cpu: 0, count: 0 },
    ],
  });
};
try {
  await add('SQLite in memory (default)', {});
  if (database) await add('PostgreSQL (local)', { DATABASE_URL: database.url });
  const load = loadavg()[0] ?? Number.NaN;
  // Warm-up (JIT, pools, statements), not measured.
  for (const engine of engines) for (const reader of engine.readers) await readRound(engine, reader);
  for (const engine of engines)
    for (const reader of engine.readers) Object.assign(reader, { cpu: 0, count: 0 });
  for (let i = 0; i < ROUNDS; i++) {
    for (const engine of engines) for (const reader of engine.readers) await readRound(engine, reader);
  }
  const swept = [{ name: 'SQLite in memory', ...(await sweep({ engine: 'sqlite', path: null })) }];
  if (database) {
    const own = await createTestDatabase();
    try {
      swept.push({
        name: 'PostgreSQL',
        ...(await sweep({ engine: 'postgres', url: own.url, password: null })),
      });
    } finally {
      await own.drop();
    }
  }
  const us = ({ cpu, count }: Reader) => (cpu / count) * 1e6;
  const section = [
    START,
    '## Tenants and retention (`npm run bench:tenants`)',
    '',
    `Run ${new Date().toISOString()} on ${availableParallelism()} CPUs, load average ${load.toFixed(2)} at the start`,
    '(the machine was shared with other work: compare the ratios, not the absolute numbers).',
    `${ROUNDS} alternating rounds per client and engine, each of ${READS_PER_ROUND} \`charge(id)\` reads of ${CHARGES} charges the`,
    `tenant's client created, ${CONCURRENCY} at a time; gateway process CPU (user + system) from /proc. A tenant's`,
    "read also asks the ledger for the charge's owner (one query per batch); PostgreSQL's own CPU is not counted.",
    '',
    '| Engine | CPU per read, no tenant | CPU per read, tenant | ratio |',
    '|---|---|---|---|',
    ...engines.map((engine) => {
      const [plain, tenant] = engine.readers as [Reader, Reader];
      const delta = us(tenant) - us(plain);
      return `| ${engine.name} | ${us(plain).toFixed(0)} µs | ${us(tenant).toFixed(0)} µs | ${(us(tenant) / us(plain)).toFixed(3)} (${delta >= 0 ? '+' : ''}${delta.toFixed(0)} µs) |`;
    }),
    '',
    `Retention: one sweep of ${SWEPT_ROWS} expired transactions in this process, in batches of ${SWEEP_BATCH} with 50 ms`,
    'between them; the longest event-loop stall while it ran (monitorEventLoopDelay) is what a request could wait.',
    '',
    '| Engine | rows deleted per second | longest event-loop stall |',
    '|---|---|---|',
    ...swept.map(
      (row) => `| ${row.name} | ${row.rowsPerSecond.toFixed(0)} | ${row.maxStallMs.toFixed(1)} ms |`,
    ),
    END,
  ].join('\n');
  writeSection(new URL('RESULTS.md', import.meta.url), section, { start: START, end: END });
  console.log(section);
} finally {
  await Promise.all(engines.map((engine) => engine.gateway.stop()));
  await database?.drop();
}
process.exit();
