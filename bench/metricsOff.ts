import { Counter, Gauge, Histogram } from 'prom-client';

/**
 * Preloaded (`node --import`) into the "metrics off" gateway of bench/metricsCost.ts: every metric
 * update becomes a no-op, so the same code runs with and without prom-client's work. What remains
 * on this side is the hooks' own calls and prom-client's default collectors (event-loop delay
 * histogram, GC observer), so the measured cost is slightly below the whole cost.
 */
const noop = () => undefined;
// prom-client picks a counter's `inc` and a histogram's `observe` in the constructor from these
// prototype methods (with or without exemplars); a gauge's methods are its own.
const methods: [object, string[]][] = [
  [Counter.prototype, ['incWithoutExemplar', 'incWithExemplar']],
  [Histogram.prototype, ['observeWithoutExemplar', 'observeWithExemplar']],
  [Gauge.prototype, ['inc', 'dec', 'set']],
];
for (const [prototype, names] of methods) {
  for (const name of names) {
    if (!(name in prototype))
      throw new Error(`prom-client has no ${name} any more: update bench/metricsOff.ts`);
    Object.defineProperty(prototype, name, { value: noop });
  }
}
