import { availableParallelism, loadavg } from 'node:os';
import { Pool } from 'undici';
import { writeSection } from './compare/report.js';
import { cpuSeconds, type GatewayProcess, REPO_ROOT, startGatewayProcess } from './gateway.js';

/**
 * `npm run bench:metrics`: the CPU cost of the Prometheus metrics per request. Two gateway child
 * processes run the same code; in one, bench/metricsOff.ts turns every metric update into a no-op.
 * Rounds alternate between them (on, off, on, off, …) so other load on the machine hits both alike;
 * each round sends the same mix of requests (a charge lookup, one provider call through the embedded
 * simulator, and a provider-free query) and reads the child's CPU time from /proc before and after.
 * Writes its own section of bench/RESULTS.md (between the markers below) and prints it.
 */
const ROUNDS = 6;
const REQUESTS_PER_ROUND = 2_000;
const CONCURRENCY = 8;
const START = '<!-- bench:metrics -->';
const END = '<!-- /bench:metrics -->';

const BODIES = [
  JSON.stringify({
    query: 'query Charge($id: ID!) { charge(id: $id) { id status amount { amount } } }',
    variables: { id: 'ch_1' },
    operationName: 'Charge',
  }),
  JSON.stringify({ query: '{ __typename }' }),
];

async function round(gateway: GatewayProcess): Promise<{ cpu: number; requests: number }> {
  const pool = new Pool(gateway.url, { connections: CONCURRENCY });
  const before = cpuSeconds(gateway.pid);
  let next = 0;
  const worker = async () => {
    while (next < REQUESTS_PER_ROUND) {
      const body = BODIES[next++ % BODIES.length];
      const response = await pool.request({
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200 || text.includes('"errors"'))
        throw new Error(`bench request failed: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const cpu = cpuSeconds(gateway.pid) - before;
  await pool.close();
  return { cpu, requests: REQUESTS_PER_ROUND };
}

const on = await startGatewayProcess();
const off = await startGatewayProcess(REPO_ROOT, { preload: './bench/metricsOff.ts' });
try {
  const load = loadavg()[0] ?? NaN;
  // Warm-up (JIT, connection pools), not measured.
  await round(on);
  await round(off);
  const totals = { on: { cpu: 0, requests: 0 }, off: { cpu: 0, requests: 0 } };
  const perRound: string[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, gateway] of [
      ['on', on],
      ['off', off],
    ] as const) {
      const result = await round(gateway);
      totals[name].cpu += result.cpu;
      totals[name].requests += result.requests;
      perRound.push(`${name} ${((result.cpu / result.requests) * 1e6).toFixed(0)} µs`);
    }
  }
  // The switch must have worked: the "off" gateway counted nothing, the "on" one every request.
  const counted = async (gateway: GatewayProcess) => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    return [...text.matchAll(/^paygraph_graphql_operations_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, [, value]) => sum + Number(value),
      0,
    );
  };
  const [countedOn, countedOff] = [await counted(on), await counted(off)];
  if (countedOn < totals.on.requests || countedOff !== 0) {
    throw new Error(`metrics switch did not work: on counted ${countedOn}, off counted ${countedOff}`);
  }
  const usOn = (totals.on.cpu / totals.on.requests) * 1e6;
  const usOff = (totals.off.cpu / totals.off.requests) * 1e6;
  const section = [
    START,
    '## Metrics cost (`npm run bench:metrics`)',
    '',
    `Run ${new Date().toISOString()} on ${availableParallelism()} CPUs, load average ${load.toFixed(2)} at the start`,
    '(the machine was shared with other work: compare the ratio, not the absolute numbers).',
    `${ROUNDS} alternating rounds per gateway of ${REQUESTS_PER_ROUND} requests, ${CONCURRENCY} at a time, half`,
    '`Charge` lookups (one elepay call through the embedded simulator, which runs in the same process),',
    'half `{ __typename }`; gateway process CPU (user + system) from /proc.',
    '',
    '| | CPU per request |',
    '|---|---|',
    `| metrics on | ${usOn.toFixed(0)} µs |`,
    `| metrics off (updates are no-ops) | ${usOff.toFixed(0)} µs |`,
    `| **on / off** | **${(usOn / usOff).toFixed(3)}** (${(((usOn - usOff) / usOff) * 100).toFixed(1)} %) |`,
    '',
    `Per round: ${perRound.join(', ')}.`,
    END,
  ].join('\n');
  writeSection(new URL('RESULTS.md', import.meta.url), section, { start: START, end: END });
  console.log(section);
} finally {
  await Promise.all([on.stop(), off.stop()]);
}
process.exit();
