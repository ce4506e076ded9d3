// Kept covers: the same as covering the range afresh, for the phases of the moment.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeptCovers } from '../../rollups/kept-covers.js'
import { COUNT_SPANS_MINUTES, coverWithCountSpans, HOURLY_SPANS_MINUTES } from '../../rollups/range-cover.js'

const KATHMANDU_DAY = 1095
/** A Kathmandu day: 18:15 UTC to 18:15 UTC. */
const day = { start: Date.parse('2026-03-09T18:15:00Z'), end: Date.parse('2026-03-10T18:15:00Z') }

describe('KeptCovers', () => {
  it('gives the cover worked out afresh, for any range, sizes and phases', () => {
    const kept = new KeptCovers()
    const quarter = 15 * 60_000
    const rangeArb = fc
      .tuple(
        fc.integer({ min: Math.floor(1.7e12 / quarter), max: Math.floor(1.9e12 / quarter) }),
        fc.integer({ min: 1, max: 800 }),
      )
      .map(([start, quarters]) => ({ start: start * quarter, end: (start + quarters) * quarter }))
    const phasesArb = fc.constantFrom(new Set<number>(), new Set([KATHMANDU_DAY]), new Set([0, 1320, 1380]))
    fc.assert(
      fc.property(fc.array(rangeArb, { minLength: 1, maxLength: 5 }), phasesArb, (ranges, phases) => {
        // Each range with both sets of sizes, twice: worked out, then kept.
        for (const range of [...ranges, ...ranges])
          for (const spans of [COUNT_SPANS_MINUTES, HOURLY_SPANS_MINUTES])
            expect(kept.coverOf(range, phases, spans)).toEqual(
              coverWithCountSpans(range.start, range.end, phases, spans),
            )
      }),
    )
  })

  it('covers with the new phases once they change, and keeps covers across equal phase sets', () => {
    const kept = new KeptCovers()
    const before = kept.coverOf(day, new Set(), COUNT_SPANS_MINUTES)
    expect(before.buckets.length).toBeGreaterThan(1)
    // Kathmandu registered: its day is one bucket from then on.
    expect(kept.coverOf(day, new Set([KATHMANDU_DAY]), COUNT_SPANS_MINUTES).buckets).toEqual([
      { span: 1440, start: day.start },
    ])
    const again = kept.coverOf(day, new Set([KATHMANDU_DAY]), COUNT_SPANS_MINUTES)
    expect(kept.coverOf(day, new Set([KATHMANDU_DAY]), COUNT_SPANS_MINUTES)).toBe(again)
    // And registered no more (a new set without it): the UTC cover again.
    expect(kept.coverOf(day, new Set(), COUNT_SPANS_MINUTES)).toEqual(before)
  })

  it('keeps at most its capacity', () => {
    const kept = new KeptCovers(3)
    for (let i = 0; i < 10; i++) {
      kept.coverOf({ start: day.start, end: day.end + i * 3_600_000 }, new Set(), HOURLY_SPANS_MINUTES)
      expect(kept.size).toBeLessThanOrEqual(3)
    }
  })
})
