import { describe, expect, it } from 'vitest'
import { validateStatsEvent } from '../../src/contracts/stats-events.js'
import { statsWorkload, take } from '../../src/workload/stats-workload.js'

const timeOf = (occurredAt: string | number) =>
  typeof occurredAt === 'number' ? occurredAt : Date.parse(occurredAt)

describe('the stats workload', () => {
  it('fills a span shorter than a day evenly, every event inside it and valid', () => {
    const to = new Date('2026-12-04T03:00:00Z')
    const from = new Date(to.getTime() - 60_000)
    const events = take(statsWorkload({ seed: 7, from, to }), 10_000)
    const times = events.map((event) => timeOf(event.occurred_at))
    expect(Math.min(...times)).toBeGreaterThanOrEqual(from.getTime())
    expect(Math.max(...times)).toBeLessThan(to.getTime())
    const firstHalf = times.filter((time) => time < from.getTime() + 30_000).length
    expect(firstHalf).toBeGreaterThan(4_000)
    expect(firstHalf).toBeLessThan(6_000)
    expect(events.every((event) => validateStatsEvent(event).ok)).toBe(true)
  })

  it('refuses an empty span rather than drawing forever', () => {
    const at = new Date('2026-12-04T03:00:00Z')
    expect(() => take(statsWorkload({ seed: 7, from: at, to: at }), 1)).toThrow(/'to' must come after 'from'/)
  })

  it('follows the daily cycle over longer spans: evenings busier than nights', () => {
    const from = new Date('2026-11-01T00:00:00Z')
    const to = new Date('2026-12-01T00:00:00Z')
    const hours = take(statsWorkload({ seed: 7, from, to }), 20_000).map((event) =>
      new Date(timeOf(event.occurred_at)).getUTCHours(),
    )
    const at = (hour: number) => hours.filter((h) => h === hour).length
    expect(at(20)).toBeGreaterThan(4 * at(4))
  })
})
