/** Summaries of latency samples: nearest-rank percentiles, so every reported figure is a value that was measured. */

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** The nearest-rank percentile of ascending `sorted` values (NaN when there are none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((sum, v) => sum + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
  };
}

/** Rounds every number of a summary to `digits` decimals, for the results file. */
export function roundSummary(summary: Summary, digits = 1): Summary {
  const f = 10 ** digits;
  const r = (n: number) => (Number.isFinite(n) ? Math.round(n * f) / f : n);
  return { count: summary.count, min: r(summary.min), p50: r(summary.p50), p95: r(summary.p95), p99: r(summary.p99), max: r(summary.max), mean: r(summary.mean) };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
