// The nearest-rank percentile of ascending latencies (p in percent): the value at or below which p% of
// them lie. Shared by the latency benchmarks so their p50/p99 mean the same thing.
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}
