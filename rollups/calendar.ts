// Time zones and calendars: local dates to instants, calendar buckets in a zone (daylight saving
// included), and the comparison periods. Instants are epoch milliseconds throughout.
import { DateTime, IANAZone, type Zone } from 'luxon'

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const
export type Interval = (typeof INTERVALS)[number]

export class CalendarError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message)
  }
}

export function isValidZone(zone: string): boolean {
  // Asking Intl costs some 0.4 ms a time; every stats request checks its zone.
  if (VALID_ZONES.has(zone)) return true
  if (!IANAZone.isValidZone(zone)) return false
  if (VALID_ZONES.size >= 1_000) VALID_ZONES.clear()
  VALID_ZONES.add(zone)
  return true
}

const VALID_ZONES = new Set<string>()

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/
/** An instant must carry its offset (`Z` or `+hh:mm`): a bare local time would be ambiguous. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

/** `YYYY-MM-DD` (midnight in `zone`) or an ISO-8601 instant with its offset. */
export function parseBound(value: string, zone: string, param: string): number {
  if (DATE_ONLY.test(value)) {
    const local = DateTime.fromISO(value, { zone })
    if (!local.isValid) throw new CalendarError(param, `${param} is not a calendar date: ${value}`)
    return local.toMillis()
  }
  if (INSTANT.test(value)) {
    const instant = DateTime.fromISO(value, { setZone: true })
    if (!instant.isValid) throw new CalendarError(param, `${param} is not a valid instant: ${value}`)
    return instant.toMillis()
  }
  throw new CalendarError(param, `${param} must be a date (YYYY-MM-DD) or an ISO-8601 instant with an offset`)
}

export interface Bucket {
  /** The calendar bucket's start, ISO-8601 with the zone's offset. */
  label: string
  /** The part of the bucket inside the range: [start, end). */
  start: number
  end: number
}

function startOf(ms: number, interval: Interval, zone: string): DateTime {
  const local = DateTime.fromMillis(ms, { zone })
  return interval === 'week' ? local.startOf('week') : local.startOf(interval)
}

/**
 * The zone's calendar buckets that meet [from, to), each clipped to the range.
 *
 * Luxon finds the first bucket, every month and every step near an offset change; in between, hours
 * and days step by plain arithmetic (luxon's calendar steps cost some 40 microseconds a bucket: a
 * year's daily series took 14 ms to lay out, more than its query). quickStep says when that is safe.
 * A unit test holds this equal to luxon's steps across zones, centuries and intervals.
 */
export function calendarBuckets(from: number, to: number, interval: Interval, zone: string): Bucket[] {
  const key = `${interval}:${zone}:${from}:${to}`
  let buckets = layouts.get(key)
  if (!buckets) {
    buckets = layOut(from, to, interval, zone).map((bucket) => Object.freeze(bucket))
    if (layouts.size >= LAYOUTS_KEPT) layouts.clear()
    layouts.set(key, buckets)
  }
  return [...buckets]
}

/**
 * How many layouts calendarBuckets keeps (a year's days are some 40 KB). A series or stats page asks
 * for the same buckets all day long; laying out a year's days in Europe/Berlin took 1.6 ms even
 * with the arithmetic steps, and a kept layout is copied out in about a microsecond.
 */
const LAYOUTS_KEPT = 500
const layouts = new Map<string, readonly Readonly<Bucket>[]>()

function layOut(from: number, to: number, interval: Interval, zone: string): Bucket[] {
  const buckets: Bucket[] = []
  const first = startOf(from, interval, zone)
  const fixedUtc = first.zone.isUniversal && first.offset === 0
  let at = { start: first.toMillis(), offset: first.offset }
  while (at.start < to) {
    const next = quickStep(at, interval, first.zone) ?? luxonStep(at.start, interval, first.zone)
    buckets.push({
      label: quickLabel(at, fixedUtc) ?? formatInstant(at.start, zone),
      start: Math.max(at.start, from),
      end: Math.min(next.start, to),
    })
    at = next
  }
  return buckets
}

interface BucketStart {
  start: number
  /** The zone's offset from UTC there, in minutes. */
  offset: number
}

function luxonStep(start: number, interval: Interval, zone: Zone): BucketStart {
  const next = nextBucket(DateTime.fromMillis(start, { zone }), interval)
  return { start: next.toMillis(), offset: next.offset }
}

/**
 * The next bucket by arithmetic, when the zone's offset is the same at the next bucket's start as at
 * this one's (so no offset change lies between: a zone never changes and changes back within a day),
 * and for days also three hours later (so the new local midnight is neither skipped nor repeated by a
 * change right after it), starting from a bucket that begins on the hour or at midnight. A week is
 * seven such days; a month, or any doubt, is left to luxon.
 */
function quickStep(at: BucketStart, interval: Interval, zone: Zone): BucketStart | undefined {
  if (!Number.isInteger(at.offset)) return undefined
  const same = (instant: number) => offsetAt(zone, instant) === at.offset
  // The wall clock's time of day: a bucket that starts late (its midnight or whole hour was skipped
  // by an offset change) is followed by one that starts on time, which luxon finds.
  const wall = (((at.start + at.offset * 60_000) % DAY_MS) + DAY_MS) % DAY_MS
  switch (interval) {
    case 'hour':
      return wall % HOUR_MS === 0 && same(at.start + HOUR_MS)
        ? { start: at.start + HOUR_MS, offset: at.offset }
        : undefined
    case 'day':
    case 'week': {
      if (wall !== 0) return undefined
      const days = interval === 'day' ? 1 : 7
      for (let day = 1; day <= days; day++) {
        const midnight = at.start + day * DAY_MS
        if (!same(midnight) || !same(midnight + 3 * HOUR_MS)) return undefined
      }
      return { start: at.start + days * DAY_MS, offset: at.offset }
    }
    case 'month':
      return undefined
  }
}

/** luxon's ISO form (isoWithOffset) for whole-minute offsets in years 0 to 9999; else undefined. */
function quickLabel(at: BucketStart, fixedUtc: boolean): string | undefined {
  if (!Number.isInteger(at.offset)) return undefined
  const wall = at.start + at.offset * 60_000
  if (wall < YEAR_0_MS || wall >= YEAR_10000_MS) return undefined
  const local = new Date(wall).toISOString().slice(0, 19)
  if (fixedUtc) return `${local}Z`
  const minutes = Math.abs(at.offset)
  const pad = (value: number) => String(value).padStart(2, '0')
  return `${local}${at.offset < 0 ? '-' : '+'}${pad(Math.trunc(minutes / 60))}:${pad(minutes % 60)}`
}

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
const YEAR_0_MS = Date.parse('0000-01-01T00:00:00Z')
const YEAR_10000_MS = Date.parse('+010000-01-01T00:00:00Z')

/**
 * A zone's offset at an instant, remembered: the same day and hour starts come back request after
 * request (luxon asks Intl each time, a few microseconds a call).
 */
function offsetAt(zone: Zone, instant: number): number {
  let known = OFFSETS.get(zone.name)
  let offset = known?.get(instant)
  if (offset !== undefined) return offset
  // At most OFFSETS_KEPT in all (requests choose the zones and ranges): then start afresh.
  if (offsetsKept >= OFFSETS_KEPT) {
    OFFSETS.clear()
    offsetsKept = 0
    known = undefined
  }
  if (!known) {
    known = new Map()
    OFFSETS.set(zone.name, known)
  }
  offset = zone.offset(instant)
  known.set(instant, offset)
  offsetsKept++
  return offset
}

const OFFSETS = new Map<string, Map<number, number>>()
const OFFSETS_KEPT = 200_000
let offsetsKept = 0

/** How many buckets calendarBuckets would return, without building them (for guardrails). */
export function countBuckets(from: number, to: number, interval: Interval, zone: string): number {
  if (interval === 'hour') {
    const estimate = Math.ceil((to - from) / 3_600_000) + 1
    return estimate > 10_000 ? estimate : calendarBuckets(from, to, interval, zone).length
  }
  const first = startOf(from, interval, zone)
  const last = startOf(to - 1, interval, zone)
  const unit = interval === 'week' ? 'weeks' : interval === 'day' ? 'days' : 'months'
  return Math.round(last.diff(first, unit).as(unit)) + 1
}

function nextBucket(bucket: DateTime, interval: Interval): DateTime {
  // Hours are the instants where the local clock shows a whole hour (a 25-hour day has 25 of them; after
  // a half-hour shift, as on Lord Howe Island, they move by half an hour). Every offset is a multiple of
  // 15 minutes today, so stepping by quarter hours finds the next one (a historical offset in seconds
  // falls back to a plain hour).
  if (interval === 'hour') {
    for (let step = 1; step <= 8; step++) {
      const next = DateTime.fromMillis(bucket.toMillis() + step * 15 * 60_000, { zone: bucket.zone })
      if (next.minute === 0 && next.second === 0) return next
    }
    return DateTime.fromMillis(bucket.toMillis() + 3_600_000, { zone: bucket.zone })
  }
  if (interval === 'week') return bucket.plus({ weeks: 1 }).startOf('week')
  return bucket.plus({ [`${interval}s`]: 1 }).startOf(interval)
}

export function isoWithOffset(value: DateTime): string {
  return value.toISO({ suppressMilliseconds: true }) ?? value.toUTC().toISO() ?? ''
}

export function formatInstant(ms: number, zone: string): string {
  return isoWithOffset(DateTime.fromMillis(ms, { zone }))
}

/** The period of equal length just before [from, to). */
export function previousPeriod(from: number, to: number): { start: number; end: number } {
  return { start: from - (to - from), end: from }
}

/** The same dates a year earlier in the zone's calendar. */
export function yearBefore(from: number, to: number, zone: string): { start: number; end: number } {
  const shift = (ms: number) => DateTime.fromMillis(ms, { zone }).minus({ years: 1 }).toMillis()
  return { start: shift(from), end: shift(to) }
}

export const PRESETS = ['24h', '7d', '30d', '12m', 'all'] as const
export type Preset = (typeof PRESETS)[number]

/**
 * A preset range ending with the present. `24h` is the 24 whole local hours ending with the current
 * one (as the day presets end with today): its hourly series has whole hours, and the tiers' buckets
 * cover it with no raw-log edges, where ending at the current minute left two edges to scan in the
 * log. `7d` and `30d` are whole local days ending with today; `12m` the last twelve months ending with
 * today; `all` starts at the local midnight on or before `allFrom`.
 */
export function presetRange(
  preset: Preset,
  now: number,
  zone: string,
  allFrom: number,
): { from: number; to: number } {
  const endOfToday = DateTime.fromMillis(now, { zone }).startOf('day').plus({ days: 1 })
  switch (preset) {
    case '24h': {
      const to = DateTime.fromMillis(now, { zone }).startOf('hour').toMillis() + 3_600_000
      return { from: to - 86_400_000, to }
    }
    case '7d':
      return { from: endOfToday.minus({ days: 7 }).toMillis(), to: endOfToday.toMillis() }
    case '30d':
      return { from: endOfToday.minus({ days: 30 }).toMillis(), to: endOfToday.toMillis() }
    case '12m':
      return { from: endOfToday.minus({ months: 12 }).toMillis(), to: endOfToday.toMillis() }
    case 'all': {
      // From the local midnight before the first event: the same events, and a range whose start
      // the tiers' day buckets meet (the first event's own time left an edge to scan in the log).
      const firstDay = DateTime.fromMillis(allFrom, { zone }).startOf('day').toMillis()
      return { from: Math.min(firstDay, endOfToday.minus({ days: 1 }).toMillis()), to: endOfToday.toMillis() }
    }
  }
}
