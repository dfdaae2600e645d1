import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from './gateway.js';
import { type LatencyOptions, runLatency } from './latency.js';
import { type MemoryOptions, runMemory } from './memory.js';
import { runProviderCalls } from './providerCalls.js';
import { renderLiveStatusComparison, renderReport, type TreeResult } from './report.js';

/**
 * `npm run bench`: webhook-to-subscriber latency with 1,000 graphql-ws subscribers, gateway memory
 * with 10,000 idle ones, and provider calls per event with 1 and 1,000 subscribers, each against a
 * fresh gateway child process. With BENCH_REFERENCE=<another checkout> (e.g. `git worktree add
 * /tmp/before main`, with its node_modules), every scenario runs on that checkout first and then on
 * this one, and the live-status section compares them. Writes its sections of bench/RESULTS.md
 * (other sections of the file are kept) and prints them.
 */
const started = performance.now();
const machine = {
  date: new Date().toISOString(),
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: totalmem() / 1024 ** 3,
  node: process.version,
  kernel: `${process.platform} ${release()}`,
  loadAverage: loadavg()[0] ?? NaN,
};
const reference = process.env.BENCH_REFERENCE;
const trees = [
  ...(reference ? [{ label: 'before', root: reference }] : []),
  { label: 'after', root: REPO_ROOT },
];

const latencyOptions: LatencyOptions = {
  connections: 100,
  perConnection: 10,
  sequentialCharges: 100,
  warmUpCharges: 20,
  steady: { charges: 100, rate: 5 },
  overload: { charges: 300, rate: 150 },
};
const memoryOptions: MemoryOptions = { connections: 1_000, perConnection: 10, idleSeconds: 5 };

/** Everything `npm run bench` writes sits between these markers; the rest of RESULTS.md is kept. */
const START = '<!-- npm run bench: start -->';
const END = '<!-- npm run bench: end -->';
/** Headings of what this bench wrote before it used markers. */
const OWN_HEADINGS = ['## Setup', '## 1. ', '## 2. ', '## Interpretation'];

function mergeResults(existing: string, ours: string): string {
  const block = `${START}\n${ours.trim()}\n${END}\n`;
  const start = existing.indexOf(START);
  const end = existing.indexOf(END);
  if (start >= 0 && end > start)
    return existing.slice(0, start) + block + existing.slice(end + END.length + 1);
  if (!existing.startsWith('# paygraph benchmark results')) return `${block}\n${existing}`;
  // A file from before the markers: ours runs up to the first heading this bench never wrote.
  const others = existing
    .split(/\n(?=## )/)
    .slice(1)
    .filter((section) => !OWN_HEADINGS.some((heading) => section.startsWith(heading)));
  return [block, ...others].join('\n');
}

try {
  const results: TreeResult[] = [];
  for (const { label, root } of trees) {
    console.log(`[${label}] scenario 1: latency with 1,000 subscribers (${root})`);
    const latency = await runLatency({ ...latencyOptions, root });
    console.log(`[${label}] scenario 2: memory with 10,000 idle subscribers`);
    const memory = await runMemory({ ...memoryOptions, root });
    console.log(`[${label}] scenario 3: provider calls per event, 1 and 1,000 subscribers`);
    const providerCalls = await runProviderCalls({
      sizes: [1, 1_000],
      perConnection: 10,
      checkouts: 5,
      root,
    });
    results.push({ label, latency, memory, providerCalls });
  }
  const current = results.at(-1) as TreeResult;
  const report = [
    renderReport({
      machine,
      latency: current.latency,
      memory: current.memory,
      durationSeconds: (performance.now() - started) / 1000,
    }),
    renderLiveStatusComparison(results, machine),
  ].join('\n');
  const file = new URL('RESULTS.md', import.meta.url);
  let existing = '';
  try {
    existing = readFileSync(file, 'utf8');
  } catch {}
  writeFileSync(file, mergeResults(existing, report));
  console.log(`\n${report}`);
  const { lost, duplicates, unexpected } = current.latency.integrity;
  process.exitCode = lost + duplicates + unexpected > 0 || !current.memory.stillOpen ? 1 : 0;
} catch (error) {
  console.error('bench failed:', error);
  process.exitCode = 1;
}
// Open handles (undici keep-alive sockets) must not keep the bench alive; the exit hook kills children.
process.exit();
