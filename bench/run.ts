import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { runLatency } from './latency.js';
import { runMemory } from './memory.js';
import { renderReport } from './report.js';

/**
 * `npm run bench`: webhook-to-subscriber latency with 1,000 graphql-ws subscribers, and gateway
 * memory with 10,000 idle ones, each against a fresh gateway child process. Writes bench/RESULTS.md
 * and prints the same text.
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

try {
  console.log('scenario 1: latency with 1,000 subscribers');
  const latency = await runLatency({
    connections: 100,
    perConnection: 10,
    sequentialCharges: 100,
    steady: { charges: 100, rate: 5 },
    overload: { charges: 100, rate: 50 },
  });
  console.log('scenario 2: memory with 10,000 idle subscribers');
  const memory = await runMemory({ connections: 1_000, perConnection: 10, idleSeconds: 5 });
  const report = renderReport({
    machine,
    latency,
    memory,
    durationSeconds: (performance.now() - started) / 1000,
  });
  writeFileSync(new URL('RESULTS.md', import.meta.url), report);
  console.log(`\n${report}`);
  const { lost, duplicates, unexpected } = latency.integrity;
  process.exitCode = lost + duplicates + unexpected > 0 || !memory.stillOpen ? 1 : 0;
} catch (error) {
  console.error('bench failed:', error);
  process.exitCode = 1;
}
// Open handles (undici keep-alive sockets) must not keep the bench alive; the exit hook kills children.
process.exit();
