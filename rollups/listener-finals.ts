// Finalized listener counts of settled ranges read from rollup buckets alone (mostly the days and
// hours of a series, daylight-saving days of 23 or 25 hours included), kept in the process.
// Finalizing a uniqHLL12 state (turning its registers into a count) costs ClickHouse about 33
// microseconds on this machine for a busy artist's day (365 states built in memory: 12 to 13 ms
// finalized one by one, 2.5 to 4 ms merged into one), so a year's daily series spent some 12 ms of its
// 30 on it, on every answer, for days that seldom change again.
//
// Exact, and why: a bucket, and so a range made of buckets, only ever gains events (the log
// deduplicates, a backfill recomputes the same events), and every event adds one to one of its five
// counts. So when a range's counts and the time its newest event was logged are what they were when
// its listeners were finalized, it holds the same events, and its listeners are the same. The reader
// compares both on every use, from the very query that would otherwise have finalized the state, and
// asks again for any range that moved on.
import type { Totals } from './stats-reader.js'

export interface FinalListeners {
  /** The range's plays, likes, reposts, comments and downloads, summed. */
  events: number
  /** When its newest event was logged, epoch ms. */
  logged: number
  listeners: number
}

/** 170 bytes each, measured (about 50 MB): a year's days of some 800 artists and tracks. */
const KEPT_RANGES = 300_000
/**
 * A range is kept once it ended this long ago: the current day or hour changes with every event (it
 * would be stale on every answer, and cost a second query), and late events mostly land within the
 * hour.
 */
export const SETTLED_AFTER_MS = 60 * 60_000

export class ListenerFinals {
  private readonly entries = new Map<string, FinalListeners>()

  constructor(private readonly capacity = KEPT_RANGES) {}

  get(key: string): FinalListeners | undefined {
    return this.entries.get(key)
  }

  /** Keeps the newest `capacity` ranges: the oldest kept goes first. */
  set(key: string, value: FinalListeners): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string)
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}

export function eventsOf(totals: Totals): number {
  return totals.plays + totals.likes + totals.reposts + totals.comments + totals.downloads
}

/** Whether a kept count still holds for a range with these counts, newest event logged at `logged`. */
export function stillHolds(kept: FinalListeners, totals: Totals, logged: number): boolean {
  return kept.events === eventsOf(totals) && kept.logged === logged
}
