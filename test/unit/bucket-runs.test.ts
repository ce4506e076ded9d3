import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { runsOf } from '../../rollups/stats-reader.js'

describe('runsOf (bucket lists as ranges)', () => {
  it('splits a year of days with a gap into two ranges', () => {
    const day = 86_400
    const days = [
      ...Array.from({ length: 200 }, (_, i) => i * day),
      ...Array.from({ length: 100 }, (_, i) => (300 + i) * day),
    ]
    const runs = runsOf(days, day)
    expect(runs.map((run) => [run[0], run.at(-1)])).toEqual([
      [0, 199 * day],
      [300 * day, 399 * day],
    ])
  })

  it('covers exactly the given values, each run evenly stepped, runs never adjacent', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 80 }),
        fc.constantFrom(1, 15, 60),
        (ks, step) => {
          const values = ks.map((k) => k * step)
          const runs = runsOf(values, step)
          expect(runs.flat()).toEqual([...new Set(values)].sort((a, b) => a - b))
          for (const run of runs)
            for (let i = 1; i < run.length; i++) expect(run[i]! - run[i - 1]!).toBe(step)
          for (let i = 1; i < runs.length; i++) expect(runs[i]![0]! - runs[i - 1]!.at(-1)!).not.toBe(step)
        },
      ),
    )
  })
})
