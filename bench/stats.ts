/** Nearest-rank percentiles of latencies in milliseconds. */
export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const count = sorted.length;
  const rank = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1))] ?? NaN;
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count,
    p50: rank(0.5),
    p90: rank(0.9),
    p99: rank(0.99),
    max: sorted[count - 1] ?? NaN,
    mean: count > 0 ? sum / count : NaN,
  };
}

export const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');

export const mib = (kib: number) => (kib / 1024).toFixed(1);

export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
