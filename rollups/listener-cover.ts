// How top listeners cover a range: whole UTC days of the listener tier (migration 0005), plus the
// log's plays for a ragged edge, or minus them where the edge's whole day is taken from the tier and
// the part outside the range is subtracted. Each edge takes whichever reads fewer hours of the log
// up to now (a range that ends with today in Berlin ends at 23:00 UTC: the tier's whole UTC day, less
// the hour to come, reads nothing where the edge itself would read the day so far).
import type { TimeRange } from './stats-reader.js'

export const DAY_MS = 86_400_000

export interface ListenerCover {
  /** Whole UTC days [start, end) read from the tier. */
  days: TimeRange
  /** Log pieces whose plays are added. */
  plus: TimeRange[]
  /** Log pieces whose plays are subtracted (inside the tier's days, outside the range). */
  minus: TimeRange[]
}

/** Null when the range holds fewer than `minDays` whole UTC days (the log alone is as quick). */
export function coverListeners(range: TimeRange, now: number, minDays: number): ListenerCover | null {
  const firstDay = Math.ceil(range.start / DAY_MS) * DAY_MS
  const lastDay = Math.floor(range.end / DAY_MS) * DAY_MS
  if (lastDay - firstDay < minDays * DAY_MS) return null
  const cover: ListenerCover = { days: { start: firstDay, end: lastDay }, plus: [], minus: [] }
  // The hours of the log a piece reads: events lie in the past (a few may be ahead, and are counted
  // either way; this only chooses the cheaper piece).
  const cost = (piece: TimeRange) => Math.max(0, Math.min(piece.end, now) - piece.start)
  if (range.start < firstDay) {
    const edge = { start: range.start, end: firstDay }
    const outside = { start: firstDay - DAY_MS, end: range.start }
    if (cost(outside) < cost(edge)) {
      cover.days.start = outside.start
      cover.minus.push(outside)
    } else cover.plus.push(edge)
  }
  if (lastDay < range.end) {
    const edge = { start: lastDay, end: range.end }
    const outside = { start: range.end, end: lastDay + DAY_MS }
    if (cost(outside) < cost(edge)) {
      cover.days.end = outside.end
      cover.minus.push(outside)
    } else cover.plus.push(edge)
  }
  return cover
}
