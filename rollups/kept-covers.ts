// The covers (range-cover.ts) of the ranges the reader was asked for, kept in the process. A series
// asks for the same days on every answer, and covering a year's 365 days took the reader about a
// millisecond, twice in Europe/Berlin (its daylight-saving days have 3-, 6- and 12-hour buckets, so
// the hourly cover is worked out too to compare). Side by side on the benchmark's head artist, two
// runs of 117 answers each, a year's daily series in Berlin: p50 16.8 and 16.6 ms against 17.7 and
// 17.1, p90 21.2 and 20.5 against 24.9 and 22.7.
//
// A cover depends on the range, the bucket sizes and the registered zones' day phases alone; when the
// phases change (a zone registered, zone-days.ts), everything kept is dropped.
import { type CountSpan, type Cover, coverWithCountSpans } from './range-cover.js'

/** About 200 bytes each: a year's days of some 270 artists and tracks (twice: all sizes and hourly). */
const KEPT_COVERS = 200_000

export class KeptCovers {
  private phases: ReadonlySet<number> = new Set()
  private readonly covers = new Map<string, Cover<CountSpan>>()

  constructor(private readonly capacity = KEPT_COVERS) {}

  /** coverWithCountSpans(start, end, phases, spans); the result is shared, and must not be changed. */
  coverOf(
    range: { start: number; end: number },
    phases: ReadonlySet<number>,
    spans: readonly CountSpan[],
  ): Cover<CountSpan> {
    if (phases !== this.phases) {
      if (!sameMembers(phases, this.phases)) this.covers.clear()
      this.phases = phases
    }
    const key = `${spans.join(',')}:${range.start}:${range.end}`
    let cover = this.covers.get(key)
    if (!cover) {
      cover = coverWithCountSpans(range.start, range.end, phases, spans)
      if (this.covers.size >= this.capacity) this.covers.clear()
      this.covers.set(key, cover)
    }
    return cover
  }

  get size(): number {
    return this.covers.size
  }
}

function sameMembers(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  return a.size === b.size && [...a].every((member) => b.has(member))
}
