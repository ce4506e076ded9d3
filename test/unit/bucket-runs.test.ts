// Bucket runs (rollups/bucket-runs.ts): an answer's buckets grouped into runs whose ranges follow a
// pattern. Expanding the runs must give back every bucket with exactly its ranges, whatever the input.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bucketRuns, type RangedBucket, rangesAt } from '../../rollups/bucket-runs.js'
import { COUNT_SPANS_MINUTES } from '../../rollups/range-cover.js'

const DAY = 86_400_000

function expand(buckets: RangedBucket[]) {
  return bucketRuns(buckets)
    .flatMap((run) =>
      Array.from({ length: run.count }, (_, i) => ({
        span: run.span,
        start: (run.first + i * run.step) * 1000,
        ranges: rangesAt(run, i),
      })),
    )
    .sort((a, b) => a.span - b.span || a.start - b.start)
}

describe('bucketRuns', () => {
  it("names a year's daily series, its range and the year before as two runs", () => {
    // Range 1: the year; range 2: the year before; ranges 3..367: its days.
    const year = Date.parse('2026-01-01T00:00:00Z')
    const buckets: RangedBucket[] = [
      ...Array.from({ length: 365 }, (_, i) => ({
        span: 1440 as const,
        start: year + i * DAY,
        ranges: [1, 3 + i],
      })),
      ...Array.from({ length: 365 }, (_, i) => ({
        span: 1440 as const,
        start: year - (i + 1) * DAY,
        ranges: [2],
      })),
    ]
    const runs = bucketRuns(buckets)
    expect(runs).toHaveLength(2)
    expect(runs[1]).toMatchObject({
      count: 365,
      ranges: [
        { first: 1, every: 365, shift: 0 },
        { first: 3, every: 1 },
      ],
    })
    expect(expand(buckets)).toEqual([...buckets].sort((a, b) => a.start - b.start))
  })

  it('names a weekly series that starts mid-week as one run', () => {
    // Range 1: the whole range; ranges 2..: weeks, the first of them holding only 3 of its days.
    const start = Date.parse('2026-01-01T00:00:00Z')
    const buckets: RangedBucket[] = Array.from({ length: 80 }, (_, i) => ({
      span: 1440 as const,
      start: start + i * DAY,
      ranges: [1, 2 + Math.floor((i + 4) / 7)],
    }))
    const runs = bucketRuns(buckets)
    expect(runs).toHaveLength(1)
    expect(runs[0]!.ranges[1]).toEqual({ first: 2, every: 7, shift: 4 })
    expect(expand(buckets)).toEqual(buckets)
  })

  it('gives back every bucket with exactly its ranges', () => {
    const bucketArb = fc.record({
      span: fc.constantFrom(...COUNT_SPANS_MINUTES),
      slot: fc.integer({ min: 0, max: 40 }),
      phase: fc.constantFrom(0, 3, 6),
      ranges: fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
    })
    fc.assert(
      fc.property(
        fc.array(bucketArb, { maxLength: 60 }),
        fc.integer({ min: 0, max: 4 }),
        fc.nat(3),
        (raw, stretch, offset) => {
          const seen = new Set<string>()
          const buckets: RangedBucket[] = []
          for (const [i, b] of raw.entries()) {
            // Buckets of 3 hours and more repeat daily at their phase; finer ones every span.
            const step = b.span >= 180 ? DAY : b.span * 60_000
            const start =
              Date.parse('2026-03-01T00:00:00Z') + (b.span >= 180 ? b.phase * 3_600_000 : 0) + b.slot * step
            const key = `${b.span}:${start}`
            if (seen.has(key)) continue
            seen.add(key)
            // Some buckets follow a pattern (a range moving on every `stretch` buckets, the first range
            // shorter by `offset`), others are random.
            const ranges =
              stretch > 0 && i % 2 === 0
                ? [1, 2 + Math.floor((b.slot + offset) / stretch)]
                : [...b.ranges].sort()
            buckets.push({ span: b.span, start, ranges })
          }
          expect(expand(buckets)).toEqual([...buckets].sort((a, b) => a.span - b.span || a.start - b.start))
        },
      ),
      { numRuns: 500 },
    )
  })
})
