// The nearest-rank percentile of ascending latencies (p in percent): the value at or below which p% of
// them lie. Shared by the latency benchmarks so their p50/p99 mean the same thing.
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

/** The median of a few rounds' figures (the upper middle one when their count is even). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}
