// The stats_rollup buckets of one answer, grouped into runs that SQL names with a few conditions and
// a little arithmetic. An answer asks for many ranges at once (the stats page: a range, the period
// before it and every bucket of its series), and each bucket counts in one or more of them. A year's
// daily series reads some 370 buckets; named one by one (a lookup from each bucket to its list of
// ranges, passed as arrays) the query took ClickHouse 8 to 15 ms more to plan than to run. In a run,
// consecutive buckets of one size and phase count in ranges that stay the same or move on by one
// every so many buckets, so a whole run is one condition and one expression.
import type { CountSpan } from './range-cover.js'

export interface RangedBucket {
  span: CountSpan
  /** The bucket's start, epoch ms. */
  start: number
  /** The ranges (1-based) it counts in, ascending. */
  ranges: number[]
}

export interface BucketRun {
  span: CountSpan
  /** The minute of the UTC day its buckets start at, for buckets of 3 hours and more; else 0. */
  phase: number
  /** The first bucket's start, epoch seconds. */
  first: number
  /** Seconds from one bucket of the run to the next. */
  step: number
  count: number
  /** For each position of the buckets' range lists, how its range moves along the run (rangesAt). */
  ranges: RangeSteps[]
}

/**
 * The i-th bucket's range: `first + floor((i + shift) / every)`: it moves on to the next range every
 * `every` buckets, the first range having `every - shift` of them (a week series starting mid-week).
 */
export interface RangeSteps {
  first: number
  every: number
  shift: number
}

/** A run's range position while the run grows: where it first moved on, and its period once seen. */
interface Growing {
  first: number
  /** The index of the first bucket in the next range (null: none yet). */
  moved: number | null
  /** Buckets per range, known from the second move on. */
  every: number | null
}

const DAY_SECONDS = 86_400

/** The ranges the run's i-th bucket counts in. */
export function rangesAt(run: BucketRun, i: number): number[] {
  return run.ranges.map((range) => range.first + Math.floor((i + range.shift) / range.every))
}

/**
 * The buckets as runs, each bucket in exactly one run, with the ranges it came with; in order of size,
 * phase and time.
 */
export function bucketRuns(buckets: RangedBucket[]): BucketRun[] {
  const sorted = buckets
    .map((bucket) => ({
      span: bucket.span,
      start: bucket.start,
      ranges: bucket.ranges,
      phase: phaseOf(bucket),
      first: bucket.start / 1000,
    }))
    .sort((a, b) => a.span - b.span || a.phase - b.phase || a.first - b.first)
  const runs: (Omit<BucketRun, 'ranges'> & { growing: Growing[] })[] = []
  for (const bucket of sorted) {
    const run = runs.at(-1)
    if (run && joinsRun(run, bucket)) continue
    runs.push({
      span: bucket.span,
      phase: bucket.phase,
      first: bucket.first,
      step: bucket.span >= 180 ? DAY_SECONDS : bucket.span * 60,
      count: 1,
      growing: bucket.ranges.map((first) => ({ first, moved: null, every: null })),
    })
  }
  return runs.map(({ growing, ...run }) => ({
    ...run,
    ranges: growing.map((range) => steps(range, run.count)),
  }))
}

/** Adds the bucket to the run when it is the run's next and its ranges follow the run's pattern. */
function joinsRun(
  run: Omit<BucketRun, 'ranges'> & { growing: Growing[] },
  bucket: RangedBucket & { phase: number; first: number },
): boolean {
  if (bucket.span !== run.span || bucket.phase !== run.phase) return false
  if (bucket.first !== run.first + run.count * run.step || bucket.ranges.length !== run.growing.length)
    return false
  const i = run.count
  const grown: Growing[] = []
  for (const [position, range] of run.growing.entries()) {
    const next = grow(range, i, bucket.ranges[position]!)
    if (!next) return false
    grown.push(next)
  }
  run.growing = grown
  run.count++
  return true
}

/** The position's pattern with the i-th bucket's range added, or undefined if it breaks it. */
function grow(range: Growing, i: number, value: number): Growing | undefined {
  if (range.moved === null) {
    if (value === range.first) return range
    return value === range.first + 1 ? { ...range, moved: i } : undefined
  }
  if (range.every === null) {
    if (value === range.first + 1) return range
    // The second move sets the period; the first range may be shorter than the others, not longer.
    const every = i - range.moved
    return value === range.first + 2 && range.moved <= every ? { ...range, every } : undefined
  }
  const pattern = steps(range, i + 1)
  return value === range.first + Math.floor((i + pattern.shift) / pattern.every) ? range : undefined
}

/** The grown pattern as RangeSteps, for a run of `count` buckets. */
function steps(range: Growing, count: number): RangeSteps {
  // Never moved: one range throughout. Moved once: any period of at least `count` buckets fits.
  if (range.moved === null) return { first: range.first, every: count, shift: 0 }
  const every = range.every ?? count
  return { first: range.first, every, shift: every - range.moved }
}

/** The minute of the UTC day a bucket of 3 hours and more starts at (stats_rollup's `phase`); else 0. */
export function phaseOf(bucket: { span: CountSpan; start: number }): number {
  return bucket.span >= 180 ? ((bucket.start / 1000) % DAY_SECONDS) / 60 : 0
}

/** The start of the run's last bucket, epoch seconds. */
export function lastStart(run: BucketRun): number {
  return run.first + (run.count - 1) * run.step
}
