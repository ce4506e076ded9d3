// How top listeners split a range between the listener tier's UTC days and the log's edges.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { coverListeners } from '../../rollups/listener-cover.js'

const DAY = 86_400_000
const at = (iso: string) => Date.parse(iso)

describe('coverListeners', () => {
  it('reads a range of whole UTC days from the tier alone', () => {
    const range = { start: at('2026-03-01T00:00:00Z'), end: at('2026-03-31T00:00:00Z') }
    expect(coverListeners(range, at('2026-04-01T00:00:00Z'), 2)).toEqual({ days: range, plus: [], minus: [] })
  })

  it('leaves short ranges to the log', () => {
    const range = { start: at('2026-03-01T06:00:00Z'), end: at('2026-03-03T06:00:00Z') }
    expect(coverListeners(range, at('2026-04-01T00:00:00Z'), 2)).toBeNull()
  })

  it("takes today's whole UTC day less the hour to come for a range ending with today in Berlin", () => {
    const range = { start: at('2026-10-25T23:00:00Z'), end: at('2026-11-24T23:00:00Z') }
    const cover = coverListeners(range, at('2026-11-24T10:00:00Z'), 2)
    expect(cover).toEqual({
      days: { start: at('2026-10-26T00:00:00Z'), end: at('2026-11-25T00:00:00Z') },
      plus: [{ start: at('2026-10-25T23:00:00Z'), end: at('2026-10-26T00:00:00Z') }],
      minus: [{ start: at('2026-11-24T23:00:00Z'), end: at('2026-11-25T00:00:00Z') }],
    })
  })

  it('counts every instant of the range once and nothing outside it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 * DAY }),
        fc.integer({ min: 0, max: 400 * DAY }),
        fc.integer({ min: 0, max: 500 * DAY }),
        fc.integer({ min: 0, max: 500 * DAY }),
        (a, b, now, probe) => {
          const [start, end] = [a, b].sort((x, y) => x - y) as [number, number]
          const cover = coverListeners({ start, end }, now, 2)
          if (!cover) {
            expect(Math.floor(end / DAY) - Math.ceil(start / DAY)).toBeLessThan(2)
            return
          }
          expect(cover.days.start % DAY).toBe(0)
          expect(cover.days.end % DAY).toBe(0)
          const inside = (piece: { start: number; end: number }) => probe >= piece.start && probe < piece.end
          const weight =
            Number(inside(cover.days)) + cover.plus.filter(inside).length - cover.minus.filter(inside).length
          expect(weight).toBe(Number(probe >= start && probe < end))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
