import { availableParallelism, loadavg } from 'node:os';
import { Pool } from 'undici';
import { startOtlpReceiver } from '../test/support/otlpReceiver.js';
import { writeSection } from './compare/report.js';
import { cpuSeconds, type GatewayProcess, REPO_ROOT, startGatewayProcess } from './gateway.js';
import { summarize } from './stats.js';

/**
 * `npm run bench:metrics`: the CPU cost per request of the Prometheus metrics, and of OpenTelemetry
 * tracing on top of them. Four gateway child processes run the same code: as shipped (metrics, no
 * tracing); with bench/metricsOff.ts turning every metric update into a no-op; with tracing on,
 * every request sampled, exporting OTLP (the default http/protobuf) to a receiver in this process;
 * and with tracing on but every trace sampled out (what context propagation costs by itself,
 * the floor of any sampling ratio). Each pass runs one round per gateway, back to back and starting with a different one
 * each time, so other load on the machine hits all alike; each round sends the same mix of requests
 * (a charge lookup, one provider call through the embedded simulator, and a provider-free query)
 * and reads the child's CPU time from /proc before and after. The ratios are the median of the
 * passes' ratios (a busy moment skews one pass, not the result), beside the ratios of the totals.
 * Writes its own section of bench/RESULTS.md (between the markers below) and prints it.
 */
const ROUNDS = 10;
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

const receiver = await startOtlpReceiver();
const gateways = {
  on: await startGatewayProcess(),
  off: await startGatewayProcess(REPO_ROOT, { preload: './bench/metricsOff.ts' }),
  traced: await startGatewayProcess(REPO_ROOT, {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'paygraph-bench' },
  }),
  sampledOut: await startGatewayProcess(REPO_ROOT, {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off' },
  }),
};
type Arm = keyof typeof gateways;
const ARMS: Arm[] = ['on', 'off', 'traced', 'sampledOut'];
try {
  const load = loadavg()[0] ?? NaN;
  // Warm-up (JIT, connection pools), not measured.
  for (const arm of ARMS) await round(gateways[arm]);
  const totals = Object.fromEntries(ARMS.map((arm) => [arm, { cpu: 0, requests: 0 }])) as Record<
    Arm,
    { cpu: number; requests: number }
  >;
  const passes: Record<Arm, number>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const pass = {} as Record<Arm, number>;
    for (const arm of [...ARMS.slice(i % ARMS.length), ...ARMS.slice(0, i % ARMS.length)]) {
      const result = await round(gateways[arm]);
      totals[arm].cpu += result.cpu;
      totals[arm].requests += result.requests;
      pass[arm] = (result.cpu / result.requests) * 1e6;
    }
    passes.push(pass);
  }
  const loadAfter = loadavg()[0] ?? NaN;
  // The switches must have worked: the "off" gateway counted nothing, the others every request,
  // and only the traced one exported spans (and dropped none: the SDK warns when its queue is full).
  const counted = async (gateway: GatewayProcess) => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    return [...text.matchAll(/^paygraph_graphql_operations_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, [, value]) => sum + Number(value),
      0,
    );
  };
  const countedOn = await counted(gateways.on);
  const countedOff = await counted(gateways.off);
  if (countedOn < totals.on.requests || countedOff !== 0) {
    throw new Error(`metrics switch did not work: on counted ${countedOn}, off counted ${countedOff}`);
  }
  await gateways.traced.stop();
  const exports = receiver.exports.length;
  const dropped = [...gateways.traced.logCounts.keys()].filter((message) =>
    /Dropped \d+ spans/.test(message),
  );
  if (exports === 0 || dropped.length > 0) {
    throw new Error(`tracing did not export every span: ${exports} exports; ${dropped.join('; ')}`);
  }
  const us = (arm: Arm) => (totals[arm].cpu / totals[arm].requests) * 1e6;
  const percent = (ratio: number) => `${((ratio - 1) * 100).toFixed(1)} %`;
  const ratio = (a: Arm, b: Arm) => {
    const median = summarize(passes.map((pass) => pass[a] / pass[b])).p50;
    return `**${median.toFixed(3)}** (${percent(median)}) | ${(us(a) / us(b)).toFixed(3)} (${percent(us(a) / us(b))})`;
  };
  const section = [
    START,
    '## Metrics and tracing cost (`npm run bench:metrics`)',
    '',
    `Run ${new Date().toISOString()} on ${availableParallelism()} CPUs, load average ${load.toFixed(2)} at the start`,
    `and ${loadAfter.toFixed(2)} at the end (the machine was shared with other work: compare the ratios, not the`,
    'absolute numbers).',
    `${ROUNDS} passes of one round per gateway, ${REQUESTS_PER_ROUND} requests a round, ${CONCURRENCY} at a time, half`,
    '`Charge` lookups (one elepay call through the embedded simulator, which runs in the same process),',
    'half `{ __typename }`; gateway process CPU (user + system) from /proc. Tracing: every request sampled',
    '(the default parent-based always-on sampler), 5 or 6 spans each, batched and exported as OTLP',
    `http/protobuf to a receiver on loopback (${exports} exports, no span dropped). Sampled out:`,
    '`OTEL_TRACES_SAMPLER=always_off`, so spans are not recorded but the context still travels with',
    'every async step (AsyncLocalStorage): the floor under any sampling ratio.',
    '',
    '| | CPU per request (all rounds) |',
    '|---|---|',
    `| metrics on, tracing off (as shipped) | ${us('on').toFixed(0)} µs |`,
    `| metrics off (updates are no-ops) | ${us('off').toFixed(0)} µs |`,
    `| metrics on, tracing on | ${us('traced').toFixed(0)} µs |`,
    `| metrics on, tracing on, every trace sampled out | ${us('sampledOut').toFixed(0)} µs |`,
    '',
    '| Cost | median of the passes | of the totals |',
    '|---|---|---|',
    `| metrics: on / off | ${ratio('on', 'off')} |`,
    `| tracing: traced / on | ${ratio('traced', 'on')} |`,
    `| tracing, sampled out: sampled out / on | ${ratio('sampledOut', 'on')} |`,
    '',
    `Per pass (µs per request, on / off / traced / sampled out): ${passes
      .map((pass) => ARMS.map((arm) => pass[arm].toFixed(0)).join(' / '))
      .join(', ')}.`,
    END,
  ].join('\n');
  writeSection(new URL('RESULTS.md', import.meta.url), section, { start: START, end: END });
  console.log(section);
} finally {
  await Promise.all(ARMS.map((arm) => gateways[arm].stop()));
  await receiver.close();
}
process.exit();
