// Latency summaries. Percentiles use the nearest-rank method on the sorted
// samples, so a reported p99 is a latency some request really had.

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** The p-th percentile (0 < p <= 100) of `sorted` (ascending), nearest rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    mean: sorted.length ? total / sorted.length : Number.NaN,
  };
}

/** service / baseline, or null when either side is missing or the baseline is zero. */
export function ratio(service: number | null | undefined, baseline: number | null | undefined): number | null {
  if (
    service == null ||
    baseline == null ||
    !Number.isFinite(service) ||
    !Number.isFinite(baseline) ||
    baseline === 0
  ) {
    return null;
  }
  return service / baseline;
}
