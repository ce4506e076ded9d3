// Covering a range with rollup buckets: the pieces tile the range exactly (no gap, no overlap), each
// bucket is aligned to its own size, and the raw log is used only where no bucket fits.
import fc from 'fast-check'
import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { calendarBuckets, countBuckets, parseBound } from '../../rollups/calendar.js'
import {
  COUNT_SPANS_MINUTES,
  coverWithCountSpans,
  coverWithTopSpans,
  HOURLY_SPANS_MINUTES,
} from '../../rollups/range-cover.js'
import { zonePhases } from '../../rollups/zone-days.js'

const MINUTE = 60_000
const rangeArb = fc
  .tuple(fc.integer({ min: 1.7e12, max: 1.9e12 }), fc.integer({ min: 1, max: 400 * 86_400_000 }))
  .map(([start, length]) => ({ start, end: start + length }))

function tiles(pieces: { start: number; end: number }[], start: number, end: number): boolean {
  const sorted = [...pieces].sort((a, b) => a.start - b.start)
  let at = start
  for (const piece of sorted) {
    if (piece.start !== at || piece.end <= piece.start) return false
    at = piece.end
  }
  return at === end
}

describe('coverWithCountSpans', () => {
  it('tiles the range with aligned buckets and raw pieces shorter than 15 minutes', () => {
    fc.assert(
      fc.property(rangeArb, fc.boolean(), ({ start, end }, hourly) => {
        const spans = hourly ? HOURLY_SPANS_MINUTES : COUNT_SPANS_MINUTES
        const cover = coverWithCountSpans(start, end, undefined, spans)
        for (const bucket of cover.buckets) expect(spans).toContain(bucket.span)
        const pieces = [
          ...cover.buckets.map((bucket) => ({
            start: bucket.start,
            end: bucket.start + bucket.span * MINUTE,
          })),
          ...cover.raw,
        ]
        expect(tiles(pieces, start, end)).toBe(true)
        for (const bucket of cover.buckets) expect(bucket.start % (bucket.span * MINUTE)).toBe(0)
        for (const piece of cover.raw) expect(piece.end - piece.start).toBeLessThan(2 * 15 * MINUTE)
      }),
    )
  })

  it('covers a local day in Asia/Kathmandu with a handful of buckets and no raw log', () => {
    const day = DateTime.fromISO('2026-06-10', { zone: 'Asia/Kathmandu' })
    const cover = coverWithCountSpans(day.toMillis(), day.plus({ days: 1 }).toMillis())
    expect(cover.raw).toEqual([])
    expect(cover.buckets.length).toBeLessThanOrEqual(9)
  })
})

describe('coverWithCountSpans with registered zones', () => {
  const phases = new Set([...zonePhases('Europe/Berlin'), ...zonePhases('Asia/Kathmandu')])

  it("still tiles every range, whole days starting where a registered zone's days start", () => {
    const phaseOf = (at: number) => Math.floor((at % 86_400_000) / MINUTE)
    fc.assert(
      fc.property(
        rangeArb,
        fc.constantFrom(...phases),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 * MINUTE }),
        ({ start, end }, phase, aligned, past) => {
          // Often a range that starts on a phase, as local days do, or just after one.
          const from = aligned
            ? start - (start % 86_400_000) + phase * MINUTE + (past < MINUTE ? 0 : past - MINUTE)
            : start
          fc.pre(from < end)
          const cover = coverWithCountSpans(from, end, phases)
          const pieces = [
            ...cover.buckets.map((b) => ({ start: b.start, end: b.start + b.span * MINUTE })),
            ...cover.raw,
          ]
          expect(tiles(pieces, from, end)).toBe(true)
          for (const bucket of cover.buckets) {
            const utcAligned = bucket.start % (bucket.span * MINUTE) === 0
            const onPhase = bucket.start % MINUTE === 0 && phases.has(phaseOf(bucket.start))
            expect(utcAligned || (bucket.span === 1440 && onPhase)).toBe(true)
          }
        },
      ),
    )
  })

  it('reads an ordinary local day of a registered zone as one bucket, and a DST day as UTC buckets', () => {
    expect(zonePhases('Europe/Berlin')).toEqual([1320, 1380])
    expect(zonePhases('Asia/Kathmandu')).toEqual([1095])
    expect(zonePhases('UTC')).toEqual([])
    expect(() => zonePhases('Mars/Olympus')).toThrow(/unknown time zone/)
    const kathmandu = DateTime.fromISO('2026-06-10', { zone: 'Asia/Kathmandu' })
    expect(coverWithCountSpans(kathmandu.toMillis(), kathmandu.plus({ days: 1 }).toMillis(), phases)).toEqual(
      {
        buckets: [{ span: 1440, start: kathmandu.toMillis() }],
        raw: [],
      },
    )
    // 2026-03-29 in Berlin has 23 hours: no whole-day bucket fits it.
    const spring = DateTime.fromISO('2026-03-29', { zone: 'Europe/Berlin' })
    const cover = coverWithCountSpans(spring.toMillis(), spring.plus({ days: 1 }).toMillis(), phases)
    expect(cover.buckets.length).toBeGreaterThan(1)
    expect(cover.buckets.every((b) => b.start % (b.span * MINUTE) === 0)).toBe(true)
  })
})

describe('coverWithTopSpans', () => {
  it('tiles the range with UTC months, days and hours and raw pieces under an hour', () => {
    fc.assert(
      fc.property(rangeArb, ({ start, end }) => {
        const cover = coverWithTopSpans(start, end)
        const length = (span: string, at: number) =>
          span === 'month'
            ? DateTime.fromMillis(at, { zone: 'UTC' }).plus({ months: 1 }).toMillis() - at
            : span === 'day'
              ? 86_400_000
              : 3_600_000
        const pieces = [
          ...cover.buckets.map((bucket) => ({
            start: bucket.start,
            end: bucket.start + length(bucket.span, bucket.start),
          })),
          ...cover.raw,
        ]
        expect(tiles(pieces, start, end)).toBe(true)
        for (const piece of cover.raw) expect(piece.end - piece.start).toBeLessThan(2 * 3_600_000)
      }),
    )
  })
})

describe('calendar', () => {
  it('reads dates as local midnight and instants with their offset', () => {
    expect(parseBound('2026-03-29', 'Europe/Berlin', 'from')).toBe(Date.parse('2026-03-28T23:00:00Z'))
    expect(parseBound('2026-03-29T05:00:00+02:00', 'UTC', 'to')).toBe(Date.parse('2026-03-29T03:00:00Z'))
    expect(() => parseBound('2026-02-30', 'UTC', 'from')).toThrow(/from/)
    expect(() => parseBound('2026-03-29T05:00:00', 'UTC', 'to')).toThrow(/to must be/)
    expect(() => parseBound('yesterday', 'UTC', 'from')).toThrow(/from/)
  })

  it('has a 23-hour day and 23 hourly buckets when Berlin springs forward', () => {
    const from = parseBound('2026-03-29', 'Europe/Berlin', 'from')
    const to = parseBound('2026-03-30', 'Europe/Berlin', 'to')
    expect(to - from).toBe(23 * 3_600_000)
    expect(calendarBuckets(from, to, 'hour', 'Europe/Berlin')).toHaveLength(23)
    expect(countBuckets(from, to, 'hour', 'Europe/Berlin')).toBe(23)
    const days = calendarBuckets(from, to + 86_400_000, 'day', 'Europe/Berlin')
    expect(days.map((bucket) => bucket.label)).toEqual([
      '2026-03-29T00:00:00+01:00',
      '2026-03-30T00:00:00+02:00',
    ])
  })

  it("lays out the same buckets as luxon's calendar steps, offset changes and odd zones included", () => {
    fc.assert(
      fc.property(
        // 1850 to 2100: local mean times with offsets in seconds, zones that skipped a whole day
        // (Pacific/Apia, Pacific/Kwajalein), midnight changes (America/Havana, America/Sao_Paulo),
        // half-hour shifts (Australia/Lord_Howe), Ramadan suspensions (Africa/Casablanca).
        fc.integer({ min: -3.8e12, max: 4.1e12 }),
        fc.integer({ min: 1, max: 400 * 86_400_000 }),
        fc.constantFrom('day', 'week', 'month', 'hour' as const),
        fc.constantFrom(...ODD_ZONES),
        (start, length, interval, zone) => {
          const end = start + (interval === 'hour' ? length % (12 * 86_400_000) : length) + 1
          expect(calendarBuckets(start, end, interval, zone)).toEqual(
            luxonBuckets(start, end, interval, zone),
          )
        },
      ),
      { numRuns: 400 },
    )
    for (const zone of ODD_ZONES) {
      const from = Date.parse('2011-01-01T00:00:00Z')
      const to = Date.parse('2013-01-01T00:00:00Z')
      for (const interval of ['day', 'week'] as const)
        expect(calendarBuckets(from, to, interval, zone)).toEqual(luxonBuckets(from, to, interval, zone))
    }
  })

  it('lays out a range asked again the same, whatever the caller did with the first layout', () => {
    const from = Date.parse('2025-12-04T23:00:00Z')
    const to = Date.parse('2026-12-04T23:00:00Z')
    const first = calendarBuckets(from, to, 'day', 'Europe/Berlin')
    const copy = structuredClone(first)
    first.reverse()
    first.pop()
    expect(() => {
      first[0]!.start = 0
    }).toThrow()
    expect(calendarBuckets(from, to, 'day', 'Europe/Berlin')).toEqual(copy)
    // The same instants in another zone, or by another interval, are another layout.
    expect(calendarBuckets(from, to, 'day', 'Asia/Kathmandu')).toEqual(
      luxonBuckets(from, to, 'day', 'Asia/Kathmandu'),
    )
    expect(calendarBuckets(from, to, 'week', 'Europe/Berlin')).toEqual(
      luxonBuckets(from, to, 'week', 'Europe/Berlin'),
    )
  })

  it('counts buckets as calendarBuckets builds them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1.7e12, max: 1.9e12 }),
        fc.integer({ min: 1, max: 90 * 86_400_000 }),
        fc.constantFrom('day', 'week', 'month', 'hour' as const),
        fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kathmandu', 'Australia/Lord_Howe'),
        (start, length, interval, zone) => {
          expect(countBuckets(start, start + length, interval, zone)).toBe(
            calendarBuckets(start, start + length, interval, zone).length,
          )
        },
      ),
      { numRuns: 200 },
    )
  })
})

const ODD_ZONES = [
  'UTC',
  'Etc/UTC',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
  'Pacific/Kwajalein',
  'America/Havana',
  'America/Sao_Paulo',
  'America/St_Johns',
  'Africa/Casablanca',
  'Asia/Tehran',
  'Africa/Monrovia',
] as const

/** calendarBuckets as it was, all luxon: the reference its quick steps must agree with. */
function luxonBuckets(from: number, to: number, interval: 'hour' | 'day' | 'week' | 'month', zone: string) {
  const buckets: { label: string; start: number; end: number }[] = []
  const local = DateTime.fromMillis(from, { zone })
  let bucket: DateTime<boolean> = interval === 'week' ? local.startOf('week') : local.startOf(interval)
  while (bucket.toMillis() < to) {
    let next: DateTime<boolean>
    if (interval === 'hour') {
      next = DateTime.fromMillis(bucket.toMillis() + 3_600_000, { zone: bucket.zone })
      for (let step = 1; step <= 8; step++) {
        const candidate = DateTime.fromMillis(bucket.toMillis() + step * 15 * MINUTE, { zone: bucket.zone })
        if (candidate.minute === 0 && candidate.second === 0) {
          next = candidate
          break
        }
      }
    } else if (interval === 'week') next = bucket.plus({ weeks: 1 }).startOf('week')
    else next = bucket.plus({ [`${interval}s`]: 1 }).startOf(interval)
    buckets.push({
      label: bucket.toISO({ suppressMilliseconds: true }) ?? '',
      start: Math.max(bucket.toMillis(), from),
      end: Math.min(next.toMillis(), to),
    })
    bucket = next
  }
  return buckets
}
