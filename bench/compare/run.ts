import { execSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool, request } from 'undici';
import { cpuSeconds, machineCpuSeconds, memoryKiB, REPO_ROOT } from '../gateway.js';
import { sleep, summarize } from '../stats.js';
import { type ServerProcess, startServer } from './processes.js';
import { type CaseResult, type RunResult, renderSection, writeSection } from './report.js';
import { PAYMENT_IDS } from './upstream.js';

/**
 * `npm run bench:gateway`: paygraph against a hand-written reference gateway (reference.mjs), both
 * in front of the same REST upstream (upstream.ts), each its own process, loaded in turn by
 * autocannon at 32 connections from this process. paygraph runs as in production: compiled
 * (`npm run build`, `node dist/main.js`), both providers remote, API clients, query limits and
 * logging at info, default provider settings; only the rate limit is lifted. Writes its section of
 * bench/RESULTS.md. `--baseline` instead saves the run as the "before" numbers
 * (bench/compare/baseline.json) that later runs are shown next to; with PAYGRAPH_ROOT=<an older
 * checkout> it measures that checkout's paygraph.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 32;
/**
 * Runs per gateway and case, alternating which goes first. Single runs of the same code on a quiet
 * machine differ by up to ±15 % in CPU per request; four halve that spread for about six minutes.
 */
const ROUNDS = 4;
const BASELINE = new URL('baseline.json', import.meta.url);
/** The checkout whose paygraph is measured: this one, or (for `--baseline`) an older one. */
const PAYGRAPH_ROOT = process.env.PAYGRAPH_ROOT ?? REPO_ROOT;

const token = `pgt_bench_${randomBytes(24).toString('base64url')}`;
const tokenSha256 = createHash('sha256').update(token).digest('hex');
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

const ONE = `query OnePayment { payment(id: "${PAYMENT_IDS[0]}") {
  id providerId status providerStatus amount { amount currency } fee { amount currency } paymentMethod createdAt } }`;
const MANY = `query TwentyPayments { ${PAYMENT_IDS.map((id, i) => `p${i}: payment(id: "${id}") { ...P }`).join(' ')} }
fragment P on Payment { id status amount { amount currency } paymentMethod salesPage { id name } }`;

const ALL_CASES = [
  { name: 'one payment (8 fields)', query: ONE, latencyMs: 0 },
  { name: '20 payments + their sales pages (28 calls)', query: MANY, latencyMs: 0 },
  { name: 'one payment (8 fields)', query: ONE, latencyMs: 10 },
  { name: '20 payments + their sales pages (28 calls)', query: MANY, latencyMs: 10 },
];
/**
 * BENCH_CASES=3,4 runs only those cases (1-based), to look into one while developing: such a run
 * is printed, not written to bench/RESULTS.md or saved as the baseline.
 */
const ONLY = process.env.BENCH_CASES?.split(',').map((n) => Number(n) - 1);
const CASES = ONLY ? ALL_CASES.filter((_, index) => ONLY.includes(index)) : ALL_CASES;

async function post(url: string, query: string): Promise<{ status: number; text: string }> {
  const response = await request(`${url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query }),
  });
  return { status: response.statusCode, text: await response.body.text() };
}

async function upstreamCalls(upstream: string, reset = false): Promise<number> {
  const response = await request(`${upstream}/_bench/stats`, { method: reset ? 'POST' : 'GET' });
  return ((await response.body.json()) as { calls: number }).calls;
}

async function setLatency(upstream: string, ms: number): Promise<void> {
  await request(`${upstream}/_bench/latency`, { method: 'POST', body: JSON.stringify({ ms }) }).then((r) =>
    r.body.dump(),
  );
}

/**
 * Waits until the upstream's call count stops moving: requests a finished autocannon run left
 * behind (the gateway keeps executing them) must not spill into the next measurement.
 */
async function quiesce(upstream: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = -1;
  for (let calls = await upstreamCalls(upstream); calls !== last && Date.now() < deadline; ) {
    last = calls;
    await sleep(300);
    calls = await upstreamCalls(upstream);
  }
}

/** Both gateways must answer each case completely and without errors before anything is timed. */
async function check(server: ServerProcess, query: string): Promise<void> {
  const { status, text } = await post(server.url, query);
  const body = JSON.parse(text) as { data?: Record<string, { status?: string } | null>; errors?: unknown };
  const values = Object.values(body.data ?? {});
  if (status !== 200 || body.errors || values.length === 0 || values.some((v) => v?.status !== 'SUCCEEDED')) {
    throw new Error(`${server.name} answered ${status}: ${text.slice(0, 500)}`);
  }
}

interface Measured {
  requests: number;
  seconds: number;
  cpu: number;
  rssPeakKiB: number;
  p50: number;
  p99: number;
  calls: number;
  errors: number;
  othersCpu: number;
}

async function load(server: ServerProcess, upstream: ServerProcess, query: string): Promise<Measured> {
  const options = {
    url: `${server.url}/graphql`,
    method: 'POST' as const,
    headers,
    body: JSON.stringify({ query }),
    connections: CONNECTIONS,
  };
  await autocannon({ ...options, duration: WARMUP_SECONDS });
  await quiesce(upstream.url);
  await upstreamCalls(upstream.url, true);
  let rssPeakKiB = 0;
  const sampler = setInterval(() => {
    rssPeakKiB = Math.max(rssPeakKiB, memoryKiB(server.pid).rss);
  }, 200);
  const cpu0 = cpuSeconds(server.pid);
  const ours0 =
    cpu0 + cpuSeconds(upstream.pid) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  const machine0 = machineCpuSeconds();
  const result = await autocannon({ ...options, duration: SECONDS });
  clearInterval(sampler);
  const cpu = cpuSeconds(server.pid) - cpu0;
  const usage = process.cpuUsage();
  const ours =
    cpuSeconds(server.pid) + cpuSeconds(upstream.pid) + usage.user / 1e6 + usage.system / 1e6 - ours0;
  // Calls of requests still in flight when the run stopped count too; so, per request, an upper bound.
  await quiesce(upstream.url);
  const calls = await upstreamCalls(upstream.url);
  return {
    requests: result['2xx'],
    seconds: result.duration,
    cpu,
    rssPeakKiB: Math.max(rssPeakKiB, memoryKiB(server.pid).rss),
    p50: result.latency.p50,
    p99: result.latency.p99,
    calls,
    errors: result.errors + result.non2xx,
    othersCpu: Math.max(0, machineCpuSeconds() - machine0 - ours) / result.duration,
  };
}

function combine(runs: Measured[]): CaseResult['reference'] {
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return {
    rps: requests / seconds,
    cpuMsPerRequest: (runs.reduce((sum, r) => sum + r.cpu, 0) / requests) * 1000,
    rssPeakMiB: Math.max(...runs.map((r) => r.rssPeakKiB)) / 1024,
    p50: runs.reduce((sum, r) => sum + r.p50, 0) / runs.length,
    p99: Math.max(...runs.map((r) => r.p99)),
    callsPerRequest: runs.reduce((sum, r) => sum + r.calls, 0) / requests,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    othersCpuPercent: (runs.reduce((sum, r) => sum + r.othersCpu, 0) / runs.length) * 100,
  };
}

/**
 * Unloaded: one request at a time, alternating between the gateways so drift hits both alike. A
 * thousand each (the first 50 not counted): on a shared machine, medians of a few hundred moved by
 * several hundredths of a millisecond between runs of the same code, a tenth of the 0.5 ms target.
 */
async function unloadedLatency(servers: ServerProcess[]): Promise<number[]> {
  const samples = servers.map(() => [] as number[]);
  for (let i = 0; i < 1050; i++) {
    for (const [index, server] of servers.entries()) {
      const started = performance.now();
      await post(server.url, ONE);
      if (i >= 50) samples[index]?.push(performance.now() - started);
    }
  }
  return samples.map((s) => summarize(s).p50);
}

/**
 * Upstream calls for one "20 payments" request alone, and for 32 identical ones sent at once on 32
 * open keep-alive connections (a first round opens them), so they arrive together as a burst of
 * clients' requests does rather than one TCP handshake after another.
 */
async function sharing(
  server: ServerProcess,
  upstream: string,
): Promise<{ alone: number; together: number }> {
  const clients = new Pool(server.url, { connections: CONNECTIONS });
  const burst = () =>
    Promise.all(
      Array.from({ length: CONNECTIONS }, () =>
        clients
          .request({ method: 'POST', path: '/graphql', headers, body: JSON.stringify({ query: MANY }) })
          .then((r) => r.body.dump()),
      ),
    );
  await burst();
  await quiesce(upstream);
  await upstreamCalls(upstream, true);
  await post(server.url, MANY);
  const alone = await upstreamCalls(upstream);
  await upstreamCalls(upstream, true);
  await burst();
  const together = await upstreamCalls(upstream);
  await clients.close();
  return { alone, together };
}

const started = performance.now();
const servers: ServerProcess[] = [];
try {
  console.log(`building paygraph in ${PAYGRAPH_ROOT}`);
  execSync('npm run --silent build', { cwd: PAYGRAPH_ROOT, stdio: 'inherit' });
  const upstream = await startServer(
    'upstream',
    ['--import', 'tsx', 'bench/compare/upstream.ts', '--serve'],
    {},
  );
  servers.push(upstream);
  const reference = await startServer('reference', ['bench/compare/reference.mjs'], {
    UPSTREAM_URL: upstream.url,
    TOKEN_SHA256: tokenSha256,
  });
  servers.push(reference);
  const paygraph = await startServer(
    'paygraph',
    // To profile paygraph: BENCH_PAYGRAPH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" BENCH_CASES=1.
    [...(process.env.BENCH_PAYGRAPH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), 'dist/main.js'],
    {
      PORT: '0',
      LOG_LEVEL: 'info',
      ELEPAY_SECRET_KEY: `sk_test_bench_${randomBytes(12).toString('hex')}`,
      ELEPAY_BASE_URL: upstream.url,
      ELEPAY_WEBHOOK_SECRET: `whsec_bench_${randomBytes(12).toString('hex')}`,
      ELOPAGE_API_KEY: 'bench_key',
      ELOPAGE_API_SECRET: 'bench_secret',
      ELOPAGE_BASE_URL: `${upstream.url}/api`,
      ELOPAGE_WEBHOOK_TOKEN: randomBytes(24).toString('base64url'),
      PAYGRAPH_CLIENTS: JSON.stringify([{ name: 'bench', tokenSha256, scopes: ['read'] }]),
      // One client from one address at thousands of operations a second: the production rate limit
      // would measure itself. Everything else stays at its default.
      RATE_LIMIT_PER_MINUTE: '1000000',
    },
    PAYGRAPH_ROOT,
  );
  servers.push(paygraph);
  const idleRssMiB = [reference, paygraph].map((s) => memoryKiB(s.pid).rss / 1024);

  for (const c of CASES) {
    await setLatency(upstream.url, c.latencyMs);
    await check(reference, c.query);
    await check(paygraph, c.query);
  }
  await setLatency(upstream.url, 0);
  const [referenceP50 = NaN, paygraphP50 = NaN] = await unloadedLatency([reference, paygraph]);

  const cases: CaseResult[] = [];
  for (const c of CASES) {
    console.log(`${c.name}, upstream ${c.latencyMs} ms`);
    await setLatency(upstream.url, c.latencyMs);
    const runs = { reference: [] as Measured[], paygraph: [] as Measured[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ([reference, paygraph] as const) : ([paygraph, reference] as const);
      for (const server of order) {
        runs[server === reference ? 'reference' : 'paygraph'].push(await load(server, upstream, c.query));
      }
    }
    cases.push({
      name: c.name,
      latencyMs: c.latencyMs,
      reference: combine(runs.reference),
      paygraph: combine(runs.paygraph),
    });
    console.log(JSON.stringify(cases.at(-1)));
  }

  await setLatency(upstream.url, 10);
  const shared = {
    reference: await sharing(reference, upstream.url),
    paygraph: await sharing(paygraph, upstream.url),
  };

  const run: RunResult = {
    date: new Date().toISOString(),
    commit:
      process.env.PAYGRAPH_COMMIT ??
      execSync('git rev-parse --short HEAD', { cwd: PAYGRAPH_ROOT, encoding: 'utf8' }).trim(),
    machine: `${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}`,
    loadAverage: loadavg()[0] ?? NaN,
    seconds: SECONDS,
    rounds: ROUNDS,
    connections: CONNECTIONS,
    cases,
    unloadedP50: { reference: referenceP50, paygraph: paygraphP50 },
    idleRssMiB: { reference: idleRssMiB[0] ?? NaN, paygraph: idleRssMiB[1] ?? NaN },
    sharing: shared,
    paygraphProblems: Object.fromEntries(paygraph.problems),
    durationSeconds: (performance.now() - started) / 1000,
  };
  if (ONLY) {
    console.log(`\n${renderSection(run, null)}`);
  } else if (process.argv.includes('--baseline')) {
    writeFileSync(BASELINE, `${JSON.stringify(run, null, 2)}\n`);
    console.log(`baseline saved to ${BASELINE.pathname}`);
  } else {
    const baseline = existsSync(BASELINE) ? (JSON.parse(readFileSync(BASELINE, 'utf8')) as RunResult) : null;
    const section = renderSection(run, baseline);
    writeSection(new URL('../RESULTS.md', import.meta.url), section);
    console.log(`\n${section}`);
  }
} catch (error) {
  console.error('bench:gateway failed:', error);
  process.exitCode = 1;
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await sleep(0);
}
process.exit();
