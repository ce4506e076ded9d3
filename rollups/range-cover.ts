// Covering a time range exactly with rollup buckets: the coarsest buckets that fit, finer ones toward
// the edges, and the raw log for whatever no bucket fits (a range edge that is not on a 15-minute
// mark). Pure functions; the SQL is built from their output in stats-reader.ts.
import { DateTime } from 'luxon'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** stats_rollup's bucket sizes, coarsest first; each divides the next coarser one. */
export const COUNT_SPANS_MINUTES = [1440, 720, 360, 180, 60, 15] as const
export type CountSpan = (typeof COUNT_SPANS_MINUTES)[number]
/**
 * Days, hours and quarter hours only: more buckets at a ragged edge (up to 23 hours where 3 to 5
 * buckets of 3, 6 and 12 hours would do) but fewer distinct sizes and phases, each of which costs the
 * engine about a millisecond to plan (stats-reader.ts weighs the two).
 */
export const HOURLY_SPANS_MINUTES = [1440, 60, 15] as const satisfies readonly CountSpan[]

/** stats_rollup_top's buckets: UTC calendar months, days and hours. */
export type TopSpan = 'month' | 'day' | 'hour'

export interface TierBucket<S> {
  span: S
  start: number
}

export interface RawPiece {
  start: number
  end: number
}

export interface Cover<S> {
  buckets: TierBucket<S>[]
  raw: RawPiece[]
}

/**
 * [start, end) as stats_rollup buckets and raw pieces, with as few buckets as possible. The UTC cover
 * uses buckets aligned to their own size in UTC; when `start` is the beginning of a registered zone's
 * day (its minute of the UTC day is in `dayPhases`, see zone-days.ts), the whole 24 hours from it are
 * also candidates, and the cover with fewer buckets wins. `spans` must include 15 (every edge falls on
 * a quarter hour) and each must divide the next coarser one.
 */
export function coverWithCountSpans(
  start: number,
  end: number,
  dayPhases: ReadonlySet<number> = NO_PHASES,
  spans: readonly CountSpan[] = COUNT_SPANS_MINUTES,
): Cover<CountSpan> {
  const utc = utcCountCover(start, end, spans)
  const days = Math.floor((end - start) / DAY)
  if (days === 0 || start % MINUTE !== 0 || !dayPhases.has(minuteOfDay(start))) return utc
  const zoned = utcCountCover(start + days * DAY, end, spans)
  const dayBuckets = Array.from({ length: days }, (_, i) => ({ span: 1440 as const, start: start + i * DAY }))
  zoned.buckets.unshift(...dayBuckets)
  return weight(zoned) < weight(utc) ? zoned : utc
}

const NO_PHASES: ReadonlySet<number> = new Set()

/** The minute of the UTC day an instant falls on. */
function minuteOfDay(at: number): number {
  return Math.floor((((at % DAY) + DAY) % DAY) / MINUTE)
}

/** What a cover costs to read: its buckets, and a raw-log piece as a few more. */
const weight = (cover: Cover<CountSpan>) => cover.buckets.length + 4 * cover.raw.length

function utcCountCover(start: number, end: number, spans: readonly CountSpan[]): Cover<CountSpan> {
  const cover: Cover<CountSpan> = { buckets: [], raw: [] }
  let at = start
  while (at < end) {
    const span = spans.find((minutes) => at % (minutes * MINUTE) === 0 && at + minutes * MINUTE <= end)
    if (span) {
      cover.buckets.push({ span, start: at })
      at += span * MINUTE
    } else {
      const next = Math.min(end, (Math.floor(at / (15 * MINUTE)) + 1) * 15 * MINUTE)
      addRaw(cover.raw, at, next)
      at = next
    }
  }
  return cover
}

/** [start, end) as stats_rollup_top buckets (UTC months, days, hours) and raw pieces. */
export function coverWithTopSpans(start: number, end: number): Cover<TopSpan> {
  const cover: Cover<TopSpan> = { buckets: [], raw: [] }
  let at = start
  while (at < end) {
    const nextMonth =
      at % DAY === 0 ? DateTime.fromMillis(at, { zone: 'UTC' }).plus({ months: 1 }).toMillis() : 0
    const monthStart = at % DAY === 0 && DateTime.fromMillis(at, { zone: 'UTC' }).day === 1
    if (monthStart && nextMonth <= end) {
      cover.buckets.push({ span: 'month', start: at })
      at = nextMonth
    } else if (at % DAY === 0 && at + DAY <= end) {
      cover.buckets.push({ span: 'day', start: at })
      at += DAY
    } else if (at % HOUR === 0 && at + HOUR <= end) {
      cover.buckets.push({ span: 'hour', start: at })
      at += HOUR
    } else {
      const next = Math.min(end, (Math.floor(at / HOUR) + 1) * HOUR)
      addRaw(cover.raw, at, next)
      at = next
    }
  }
  return cover
}

function addRaw(raw: RawPiece[], start: number, end: number): void {
  const last = raw.at(-1)
  if (last && last.end === start) last.end = end
  else raw.push({ start, end })
}
