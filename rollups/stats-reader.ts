// Reads stats for any set of time ranges: each range is covered by rollup buckets and raw-log pieces
// (range-cover.ts), all ranges of one answer go to ClickHouse as one query, the listener states are
// merged and finalized once per range. `source: 'raw'` answers the same questions by scanning the raw
// log, with the same unique function: the planner's answers must equal those (tests and the benchmark
// compare them).
//
// Every value placed in the SQL text is a number this module computed (bucket keys, epoch times),
// checked to be a safe integer; ids, limits and names are `{name:Type}` parameters, written in as
// literals by inlineParams (safe integers and plain strings only: chdb-node runs queries that carry
// parameters one at a time across the process, so the page's queries could not run side by side).
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { inlineParams } from '../src/clickhouse/inline-params.js'
import { type BucketRun, bucketRuns, lastStart, phaseOf, type RangedBucket } from './bucket-runs.js'
import type { Interval } from './calendar.js'
import { KeptCovers } from './kept-covers.js'
import { coverListeners, DAY_MS } from './listener-cover.js'
import {
  eventsOf,
  type FinalListeners,
  ListenerFinals,
  SETTLED_AFTER_MS,
  stillHolds,
} from './listener-finals.js'
import {
  COUNT_SPANS_MINUTES,
  type CountSpan,
  type Cover,
  coverWithTopSpans,
  HOURLY_SPANS_MINUTES,
  type TopSpan,
} from './range-cover.js'
import { StaleWhileRefresh } from './stale-while-refresh.js'
import { TABLES } from './tables.js'
import { readyPhases } from './zone-days.js'

export const COUNT_METRICS = ['plays', 'listeners', 'likes', 'reposts', 'comments', 'downloads'] as const
export type CountMetric = (typeof COUNT_METRICS)[number]
export type Totals = Record<CountMetric, number>

export const TOP_DIMENSIONS = ['country', 'city', 'source', 'referrer'] as const
export type TopDimension = (typeof TOP_DIMENSIONS)[number]

export interface Scope {
  ownerId: number
  /** Absent: all of the artist's tracks. */
  trackId?: number
}

export interface TimeRange {
  start: number
  end: number
}

export type Source = 'rollups' | 'raw'

export interface TopRow {
  value: string
  plays: number
}

export interface ListenerRow {
  user_id: number
  plays: number
}

/** A track's counts (listeners are left out: merging a state per track and bucket would cost the most). */
export interface TrackTotals extends Omit<Totals, 'listeners'> {
  track_id: number
}

const LISTENER_STATE = `uniqHLL12StateIf(listener, type = 'play' AND listener != '')`
const LISTENER_COUNT = `uniqHLL12If(listener, type = 'play' AND listener != '')`
const RAW_COUNTS = `toUInt64(countIf(type = 'play')) AS plays, toUInt64(countIf(type = 'like')) AS likes,
  toUInt64(countIf(type = 'repost')) AS reposts, toUInt64(countIf(type = 'comment')) AS comments,
  toUInt64(countIf(type = 'download')) AS downloads`
const SUMMED_COUNTS = `toUInt64(sum(plays)) AS plays, toUInt64(sum(likes)) AS likes, toUInt64(sum(reposts)) AS reposts,
  toUInt64(sum(comments)) AS comments, toUInt64(sum(downloads)) AS downloads`
const KEY_SHIFT = 4_294_967_296
/** The counts a range sums from its buckets (listeners are merged instead). */
const EVENT_COUNTS = ['plays', 'likes', 'reposts', 'comments', 'downloads'] as const
/** A range's totals and when its newest event was logged (epoch ms). */
interface RangeRead {
  totals: Totals
  logged: number
}
/**
 * How many connections the API reads stats with. On chDB one connection runs one query at a time; a
 * page asks five at once, and pages come side by side: measured at four concurrent pages (12-month
 * and 30-day ranges of the benchmark's head artist), four connections served 13-19 pages/s where two
 * served 9-15, at a p50 some 20% lower.
 */
export const READER_CONNECTIONS = 4
/** How long an artist's first event time is kept, and for how many artists. */
const FIRST_EVENT_TTL_MS = 10_000
const FIRST_EVENTS_KEPT = 10_000
/** How many artists' top-listener thresholds are remembered. */
const CUT_HINTS = 10_000
/**
 * For this long after the tier was last asked for an artist's first threshold (its candidateRows-th
 * largest row in the range), the threshold that answer settled on is the next one's first threshold
 * as it is. Any threshold gives an exact answer (topListeners), and this one spares that read: side by
 * side on the benchmark's head artist, 30 days of top listeners took 27.4 against 33.3 ms in Berlin
 * and 11.4 against 14.8 in UTC. After the minute the tier is asked again, so a threshold that one
 * answer had to lower does not stay low.
 */
const CUT_HINT_TRUST_MS = 60_000
/** Top listeners over fewer whole UTC days than this are counted from the raw log. */
const MIN_LISTENER_TIER_DAYS = 2

export interface ListenerTierOptions {
  /** Below this many tier rows in the range, the log is as quick to count. */
  minRows: number
  /** The users of this many of the tier's largest rows in the range are the first candidates. */
  candidateRows: number
}

const LISTENER_TIER: ListenerTierOptions = { minRows: 50_000, candidateRows: 2_000 }
/**
 * Settings of every read. The query condition cache notes, per part, which granules a condition
 * matched; noting that for stats_rollup's parts (two million small granules each) cost a read of 14
 * rows 4 ms of its 11 (measured side by side on the benchmark's data), and these answers seldom repeat
 * a condition (their ranges move with the clock).
 *
 * No JIT compilation: ClickHouse compiles an expression (and an aggregation) with LLVM the third time
 * it sees it, and that third answer took 150 to 210 ms instead of 20 to 50 (a year's summary of the
 * benchmark's head artist, four fresh processes; none without compiling). The code is kept, so this
 * hit the first answers of each kind of query in a process: in the benchmark, the first summaries in
 * UTC and in Asia/Kathmandu had their slowest of 100 at 115 and 151 ms, and at 37 and 36 ms without.
 * Compiled, these small reads were no faster: the medians of 36 answers (three zones, 24h to 12m,
 * four kinds) summed to 783 ms with it and 776 ms without, interleaved in one run.
 */
const READ_SETTINGS = {
  use_query_condition_cache: 0,
  compile_expressions: 0,
  compile_aggregate_expressions: 0,
} as const
/**
 * How long the registered zones' day phases (zone-days.ts) are used before they are read again (in
 * the background: an answer never waits for that read but the first).
 */
const PHASES_TTL_MS = 10_000

export class StatsReader {
  private readonly clients: { client: ClickHouseClient; busy: number }[]
  private readonly phases: StaleWhileRefresh<ReadonlySet<number>>
  private readonly listenerTier: ListenerTierOptions
  /** The threshold each artist's last top listeners settled on, by range length (topListeners). */
  private readonly cutHints = new Map<string, { cut: number; derivedAt: number }>()
  private readonly firstEvents = new Map<number, { value: Promise<number | null>; readAt: number }>()
  /**
   * Listeners of settled ranges read from rollup buckets alone (a series' days and hours, any range
   * on bucket edges), so that a long daily series does not finalize them on every answer.
   */
  private readonly finals = new ListenerFinals()
  /** The covers of the ranges asked for: a series asks for the same days again (kept-covers.ts). */
  private readonly covers = new KeptCovers()

  /**
   * Several clients let the queries of one answer run side by side (on chDB one connection runs one
   * query at a time); each query goes to the least busy.
   */
  constructor(
    clients: ClickHouseClient | ClickHouseClient[],
    options: { listenerTier?: Partial<ListenerTierOptions> } = {},
  ) {
    this.clients = (Array.isArray(clients) ? clients : [clients]).map((client) => ({ client, busy: 0 }))
    this.listenerTier = { ...LISTENER_TIER, ...options.listenerTier }
    this.phases = new StaleWhileRefresh(() => readyPhases(this.clients[0]!.client), PHASES_TTL_MS)
  }

  /** Totals for each range (in the same order); a range with no events gives zeros. */
  async totals(scope: Scope, ranges: TimeRange[], source: Source = 'rollups'): Promise<Totals[]> {
    return (await this.totalsAndFreshness(scope, ranges, source)).totals
  }

  /**
   * totals(), and when the newest event they count was logged (null: none), from the same query: the
   * stats page asks for its summary, comparison, series and freshness at once.
   */
  async totalsAndFreshness(
    scope: Scope,
    ranges: TimeRange[],
    source: Source = 'rollups',
  ): Promise<{ totals: Totals[]; lastLoggedAt: number | null }> {
    const live = ranges
      .map((range, i) => ({ ...range, index: i + 1 }))
      .filter((range) => range.start < range.end)
    const params: Record<string, unknown> = scopeParams(scope)
    /** The settled ranges read from buckets alone, with their kept listeners if any (listener-finals.ts). */
    const keepable = new Map<number, { key: string; kept: FinalListeners | undefined }>()
    let read: Map<number, RangeRead>
    if (source === 'raw') {
      read = await this.rangeReads(rawCountsPart(scope, live), params)
    } else {
      const phases = await this.phases.get()
      const coverOf = (spans: readonly CountSpan[]) => (range: TimeRange) =>
        this.covers.coverOf(range, phases, spans)
      const cover = cheaperRead(coverRanges(live, coverOf(COUNT_SPANS_MINUTES)), () =>
        coverRanges(live, coverOf(HOURLY_SPANS_MINUTES)),
      )
      const settled = Date.now() - SETTLED_AFTER_MS
      for (const [index, range] of cover.whole) {
        if (range.end > settled) continue
        const key = `${scope.ownerId}:${scope.trackId ?? 0}:${range.start}:${range.end}`
        keepable.set(index, { key, kept: this.finals.get(key) })
      }
      const merged = new Set(live.map((range) => range.index).filter((index) => !keepable.get(index)?.kept))
      if (cover.buckets.length + cover.raw.length === 0) read = new Map()
      else if (cover.raw.length === 0 && merged.size <= MERGED_IN_LIST)
        read = await this.bucketList(cover, merged, params)
      else {
        const parts: string[] = []
        if (cover.buckets.length > 0) parts.push(bucketsPart(bucketRuns(cover.buckets)))
        if (cover.raw.length > 0) parts.push(rawCountsPart(scope, cover.raw))
        read = await this.rangeReads(parts.join(' UNION ALL '), params, listenersOf(live, merged))
      }
    }
    const empty = ranges.map(() => zeroTotals())
    let lastLoggedAt: number | null = null
    const stale: number[] = []
    for (const [index, { totals, logged }] of read) {
      const range = keepable.get(index)
      if (range?.kept && stillHolds(range.kept, totals, logged)) totals.listeners = range.kept.listeners
      else if (range?.kept) stale.push(index)
      else if (range)
        this.finals.set(range.key, { events: eventsOf(totals), logged, listeners: totals.listeners })
      empty[index - 1] = totals
      if (logged > 0) lastLoggedAt = Math.max(lastLoggedAt ?? 0, logged)
    }
    if (stale.length > 0) {
      // Ranges that gained events since they were kept: asked again, their states finalized this time.
      for (const index of stale) this.finals.delete(keepable.get(index)!.key)
      const again = await this.totalsAndFreshness(
        scope,
        stale.map((index) => ranges[index - 1]!),
        source,
      )
      stale.forEach((index, i) => {
        empty[index - 1] = again.totals[i]!
      })
      if (again.lastLoggedAt !== null) lastLoggedAt = Math.max(lastLoggedAt ?? 0, again.lastLoggedAt)
    }
    return { totals: empty, lastLoggedAt }
  }

  /**
   * A series as a raw-log scan grouped by the zone's calendar (ClickHouse's own time zone functions,
   * independent of calendar.ts): totals by the bucket's start in epoch ms.
   */
  async rawSeries(
    scope: Scope,
    range: TimeRange,
    interval: Interval,
    zone: string,
  ): Promise<Map<number, Totals>> {
    const bucket = {
      hour: 'toStartOfHour(occurred_at, {zone:String})',
      day: 'toStartOfDay(occurred_at, {zone:String})',
      week: 'toDateTime(toMonday(occurred_at, {zone:String}), {zone:String})',
      month: 'toDateTime(toStartOfMonth(occurred_at, {zone:String}), {zone:String})',
    }[interval]
    const rows = await this.rows<Totals & { t: number }>(
      `SELECT toUnixTimestamp(${bucket}) * 1000 AS t, ${RAW_COUNTS}, toUInt64(${LISTENER_COUNT}) AS listeners
       FROM ${TABLES.statsEvents} WHERE ${rawScope(scope)} AND (${timeRanges([range])}) GROUP BY t`,
      { ...scopeParams(scope), zone },
    )
    return new Map(rows.map((row) => [Number(row.t), pickTotals(row)]))
  }

  /** The top values of a dimension by plays in a range; ties by value. */
  async top(
    scope: Scope,
    dimension: TopDimension,
    range: TimeRange,
    limit: number,
    source: Source = 'rollups',
  ): Promise<TopRow[]> {
    return (await this.tops(scope, [dimension], range, limit, source))[dimension] ?? []
  }

  /** The top values of several dimensions at once (one query): by plays, ties by value. */
  async tops(
    scope: Scope,
    dimensions: TopDimension[],
    range: TimeRange,
    limit: number,
    source: Source = 'rollups',
  ): Promise<Partial<Record<TopDimension, TopRow[]>>> {
    const params = { ...scopeParams(scope), dimensions, limit }
    const pairs = dimensions.map((dimension) => `('${dimension}', ${dimensionValue(dimension)})`).join(', ')
    const rawPart = (pieces: TimeRange[]) => `SELECT pair.1 AS dimension, pair.2 AS value, count() AS plays
      FROM ${TABLES.statsEvents} ARRAY JOIN [${pairs}] AS pair
      WHERE ${rawScope(scope)} AND type = 'play' AND (${timeRanges(pieces)})
      GROUP BY dimension, value`
    const parts: string[] = []
    if (source === 'raw') parts.push(rawPart([range]))
    else {
      const cover: Cover<TopSpan> = coverWithTopSpans(range.start, range.end)
      const bySpan = new Map<TopSpan, number[]>()
      for (const bucket of cover.buckets)
        bySpan.set(bucket.span, [...(bySpan.get(bucket.span) ?? []), bucket.start / 1000])
      if (bySpan.size > 0) {
        const spans = [...bySpan].map(
          ([span, starts]) => `(span = '${span}' AND bucket IN (${ints(starts)}))`,
        )
        parts.push(`SELECT toString(dimension) AS dimension, toString(value) AS value, plays FROM ${TABLES.rollupTop}
          WHERE owner_id = {owner:UInt64} AND track_id = {track:UInt64}
            AND dimension IN {dimensions:Array(String)} AND (${spans.join(' OR ')})`)
      }
      if (cover.raw.length > 0) parts.push(rawPart(cover.raw))
    }
    const result: Partial<Record<TopDimension, TopRow[]>> = Object.fromEntries(dimensions.map((d) => [d, []]))
    if (parts.length === 0) return result
    const rows = await this.rows<TopRow & { dimension: TopDimension }>(
      `SELECT dimension, value, toUInt64(sum(plays)) AS plays FROM (${parts.join(' UNION ALL ')})
       GROUP BY dimension, value HAVING plays > 0
       ORDER BY dimension, plays DESC, value ASC LIMIT {limit:UInt32} BY dimension`,
      params,
    )
    for (const row of rows) result[row.dimension]?.push({ value: row.value, plays: Number(row.plays) })
    return result
  }

  /** The artist's tracks with the most plays in a range, with their counts; ties by track id. */
  async topTracks(
    ownerId: number,
    range: TimeRange,
    limit: number,
    source: Source = 'rollups',
  ): Promise<TrackTotals[]> {
    const params = { owner: ownerId, limit }
    const parts: string[] = []
    const rawPart = (pieces: TimeRange[]) => `SELECT track_id, ${RAW_COUNTS}
      FROM ${TABLES.statsEvents} WHERE owner_id = {owner:UInt64} AND (${timeRanges(pieces)}) GROUP BY track_id`
    if (source === 'raw') parts.push(rawPart([range]))
    else {
      // Counts without listener states: more buckets cost next to nothing, more sizes a millisecond each
      // (with days, hours and quarters only, 24 hours of an artist with 100 million plays a year take
      // 15 to 17 ms, where the raw log took 24 to 29 and the 3-, 6- and 12-hour buckets more).
      // Read from the projection that holds them in time order: planned on the table first, the read of
      // `track_id != 0` took 5 ms alone to pick the head artist's granules, and the projection was
      // read in the end anyway (p50 interleaved, 30 each, table against projection: 24 hours in UTC
      // 15.6 against 12.4 ms, 12 months 19.1 against 14.8, in Asia/Kathmandu 21.6 against 14.5 and
      // 18.6 against 13.9).
      const cover = this.covers.coverOf(range, await this.phases.get(), HOURLY_SPANS_MINUTES)
      if (cover.buckets.length > 0) {
        parts.push(`SELECT track_id, plays, likes, reposts, comments, downloads FROM ${TABLES.rollupCountsByTime}
          WHERE owner_id = {owner:UInt64} AND track_id != 0
            AND (${runsCondition(bucketRuns(cover.buckets.map((bucket) => ({ ...bucket, ranges: [1] }))), 1)})`)
      }
      if (cover.raw.length > 0) parts.push(rawPart(cover.raw))
    }
    if (parts.length === 0) return []
    const rows = await this.rows<TrackTotals>(
      `SELECT track_id, ${SUMMED_COUNTS}
       FROM (${parts.join(' UNION ALL ')}) GROUP BY track_id
       HAVING plays + likes + reposts + comments + downloads > 0
       ORDER BY plays DESC, track_id ASC LIMIT {limit:UInt32}`,
      params,
    )
    return rows.map((row) => ({
      track_id: Number(row.track_id),
      plays: Number(row.plays),
      likes: Number(row.likes),
      reposts: Number(row.reposts),
      comments: Number(row.comments),
      downloads: Number(row.downloads),
    }))
  }

  /**
   * The logged-in listeners with the most plays in a range (anonymous listeners have no account to
   * show); ties by user id. An artist's come from the listener tier (plays per listener and UTC day)
   * for the range's UTC days and the log for its ragged edges (listener-cover.ts); a track's, and
   * short or quiet ranges, from the log alone.
   *
   * The tier holds about as many rows per day as the artist has listeners that day (2 million rows
   * for 30 days of an artist with 100 million plays a year), too many to sum per request, so the
   * answer is found among candidates and proven exact. The users of the rows with at least
   * `threshold` plays (the largest `candidateRows` rows) are summed over the whole range, the log's
   * edges included. Anyone else has fewer than `threshold` plays in each of their tier rows, and at
   * most one row per day per part, so at most (threshold - 1) * rows-per-user plays from the tier,
   * plus their plays in the edges, which the same query reads for everyone (the largest of them is
   * the bound's last term). When the answer's last row has more than that, nobody else can reach
   * the list; otherwise the threshold is lowered until the bound holds. At zero everyone in the tier
   * is a candidate, so anyone else has plays in the edges only, and those are all of their plays.
   */
  async topListeners(
    scope: Scope,
    range: TimeRange,
    limit: number,
    source: Source = 'rollups',
  ): Promise<ListenerRow[]> {
    const cover =
      scope.trackId === undefined && source === 'rollups'
        ? coverListeners(range, Date.now(), MIN_LISTENER_TIER_DAYS)
        : null
    if (!cover) return this.rawTopListeners(scope, range, limit)
    const { start, end } = cover.days
    const days = `owner_id = {owner:UInt64}
      AND bucket >= toDateTime(${int(start / 1000)}, 'UTC') AND bucket < toDateTime(${int(end / 1000)}, 'UTC')`
    // The tier's rows in the range, at most how many of them one listener can have (a row per day per
    // part that spans the day: parts know the first and last day they hold), and the first threshold:
    // the tier's candidateRows-th largest row in the range (any threshold gives an exact answer; this
    // one keeps the candidates few, and reading it here spares each round the log's edges once more).
    // Looked for among the rows above a floor, half the threshold the last such answer settled on
    // (the tier's by_plays projection reads just those; without a floor it reads every row of the
    // range); when fewer rows lie above the floor, the floor itself is the threshold.
    // An artist and range length with a hint used the tier before: its rows are not counted again.
    const hintKey = `${scope.ownerId}:${(end - start) / DAY_MS}`
    const hint = this.cutHints.get(hintKey)
    const floor = Math.floor((hint?.cut ?? 0) / 2)
    const trusted = hint !== undefined && Date.now() - hint.derivedAt < CUT_HINT_TRUST_MS
    const rowsPerDaySql = `(SELECT toUInt64(sum(if(toUInt32(min_time) = 0 OR max_time < min_time, ${int((end - start) / DAY_MS)},
            greatest(0, dateDiff('day', greatest(min_time, toDateTime(${int(start / 1000)}, 'UTC')),
              least(max_time, toDateTime(${int(end / 1000 - 86_400)}, 'UTC'))) + 1))))
          FROM system.parts
          WHERE database = currentDatabase() AND table = '${TABLES.listenerDays}' AND active)`
    const firstCutSql = `greatest(${int(floor)}, ifNull((SELECT plays FROM ${TABLES.listenerDays} WHERE ${days} AND plays >= ${int(floor)}
           ORDER BY plays DESC LIMIT 1 OFFSET ${int(this.listenerTier.candidateRows - 1)}), 0))`
    // Both edges in one read of the log, for every user (each read of the log costs a few
    // milliseconds to plan): a user's plays in the added pieces less those in the subtracted ones.
    // Read once, beside the candidates' tier rows, rather than as one more row of everyone's (which
    // made the query read the log twice, for the candidates and for their sums): side by side, 30
    // days of the benchmark's head artist in Berlin took 21.6 and 20.7 ms against 28.9 and 26.1.
    const counted = (pieces: TimeRange[]) =>
      pieces.length > 0 ? `toInt64(countIf(${timeRanges(pieces)}))` : 'toInt64(0)'
    const edges =
      cover.plus.length + cover.minus.length > 0
        ? ` UNION ALL SELECT user_id, ${counted(cover.plus)} - ${counted(cover.minus)} AS plays, 0 AS candidate
          FROM ${TABLES.statsEvents}
          WHERE owner_id = {owner:UInt64} AND type = 'play' AND user_id != 0
            AND (${timeRanges([...cover.plus, ...cover.minus])})
          GROUP BY user_id`
        : ''
    // The candidates' sums, and the others' plays in the edges (the largest first): `limit` of each.
    const candidates = (cutSql: string, known = '') => `WITH ${cutSql} AS cut
       SELECT user_id, toInt64(sum(plays)) AS plays, max(candidate) AS candidate${known}
       FROM (SELECT user_id, toInt64(plays) AS plays, 1 AS candidate FROM ${TABLES.listenerDays}
             WHERE ${days} AND user_id IN (SELECT user_id FROM ${TABLES.listenerDays} WHERE ${days} AND plays >= cut)
             ${edges})
       GROUP BY user_id HAVING plays > 0
       ORDER BY candidate DESC, plays DESC, user_id ASC LIMIT {limit:UInt32} BY candidate`
    const params = { ...scopeParams(scope), limit }
    let cut: number
    let rowsPerUser: number
    let found: (ListenerRow & { candidate: number; cut?: number; rows_per_day?: number })[]
    if (hint === undefined) {
      // The first answer for this artist and range length: is the tier worth reading at all?
      const [probe] = await this.rows<{ tierRows: number; rowsPerDay: number; cut: number }>(
        `SELECT (SELECT count() FROM ${TABLES.listenerDays} WHERE ${days}) AS tierRows,
           ${rowsPerDaySql} AS rowsPerDay, ${firstCutSql} AS cut`,
        scopeParams(scope),
      )
      if (Number(probe?.tierRows ?? 0) < this.listenerTier.minRows)
        return this.rawTopListeners(scope, range, limit)
      rowsPerUser = Number(probe?.rowsPerDay ?? 0)
      cut = Number(probe?.cut ?? 0)
      found = await this.rows(candidates(int(cut)), params)
    } else {
      // The tier was worth it before: the first threshold and the rows per user are read in the same
      // query as the first candidates (one query less on the page's longest path).
      // A recent hint is the first threshold itself (CUT_HINT_TRUST_MS).
      const firstCut = trusted ? int(hint.cut) : firstCutSql
      found = await this.rows(
        candidates(`${rowsPerDaySql} AS rows_per_day, ${firstCut}`, ', cut, rows_per_day'),
        params,
      )
      // No candidate at all: the threshold is unknown here, and zero (everyone) answers for sure.
      cut = found.length > 0 ? Number(found[0]!.cut) : 1
      rowsPerUser = found.length > 0 ? Number(found[0]!.rows_per_day) : 1
    }
    for (let round = 1; ; round++) {
      const chosen = found.filter((row) => Number(row.candidate) === 1).map(listenerRow)
      const others = found.filter((row) => Number(row.candidate) !== 1).map(listenerRow)
      const least = chosen.length === limit ? chosen[limit - 1]!.plays : 0
      const edgeMost = Math.max(0, others[0]?.plays ?? 0)
      let answer: ListenerRow[] | undefined
      if (cut <= 0) answer = byPlays([...chosen, ...others]).slice(0, limit)
      else if (least > (cut - 1) * rowsPerUser + edgeMost) answer = chosen
      if (answer) {
        if (this.cutHints.size >= CUT_HINTS) this.cutHints.clear()
        // Asked of the tier this time, or trusted from an answer that was.
        const derivedAt = trusted ? hint.derivedAt : Date.now()
        this.cutHints.set(hintKey, { cut, derivedAt })
        return answer
      }
      // `least` is at most the true last row's plays, so the next threshold's bound lies below it.
      const room = least - edgeMost
      const lower = round < 3 && room > 0 ? Math.ceil(room / Math.max(1, rowsPerUser)) : 0
      cut = Math.min(lower, cut - 1)
      found = await this.rows(candidates(int(cut)), params)
    }
  }

  /** Top listeners counted in the raw log. */
  private rawTopListeners(scope: Scope, range: TimeRange, limit: number): Promise<ListenerRow[]> {
    return this.rows<ListenerRow>(
      `SELECT user_id, count() AS plays FROM ${TABLES.statsEvents}
       WHERE ${rawScope(scope)} AND type = 'play' AND user_id != 0 AND (${timeRanges([range])})
       GROUP BY user_id ORDER BY plays DESC, user_id ASC LIMIT {limit:UInt32}`,
      { ...scopeParams(scope), limit },
    ).then((rows) => rows.map(listenerRow))
  }

  /** The artist a track belongs to, as the log knows it (null: no event for it yet). */
  async trackOwner(trackId: number): Promise<number | null> {
    const rows = await this.rows<{ owner_id: number }>(
      `SELECT owner_id FROM ${TABLES.trackOwners} WHERE track_id = {track:UInt64} LIMIT 1`,
      { track: trackId },
    )
    return rows[0] ? Number(rows[0].owner_id) : null
  }

  /**
   * The time of the artist's first logged event (null: none); `all` ranges start there. Kept for
   * FIRST_EVENT_TTL_MS per artist (the read costs some 8 ms of an `all` page): a first event only
   * moves when older events are backfilled, and an `all` range starts at most that much late.
   */
  async firstEventAt(ownerId: number): Promise<number | null> {
    const kept = this.firstEvents.get(ownerId)
    if (kept && Date.now() - kept.readAt < FIRST_EVENT_TTL_MS) return kept.value
    const value = this.readFirstEventAt(ownerId)
    if (this.firstEvents.size >= FIRST_EVENTS_KEPT) this.firstEvents.clear()
    this.firstEvents.set(ownerId, { value, readAt: Date.now() })
    value.catch(() => this.firstEvents.delete(ownerId))
    return value
  }

  private async readFirstEventAt(ownerId: number): Promise<number | null> {
    const rows = await this.rows<{ at: number }>(
      `SELECT toUnixTimestamp(min(bucket)) * 1000 AS at, count() AS n FROM ${TABLES.rollup}
       WHERE owner_id = {owner:UInt64} AND track_id = 0 AND span_minutes = 1440 HAVING n > 0`,
      { owner: ownerId },
    )
    return rows[0] ? Number(rows[0].at) : null
  }

  /**
   * Each range's totals and newest logged time, from parts giving idx, the five counts, the listener
   * state and last_logged_at of each row.
   */
  private async rangeReads(
    parts: string,
    params: Record<string, unknown>,
    listeners = 'toUInt64(uniqHLL12Merge(listeners))',
  ): Promise<Map<number, RangeRead>> {
    const rows = await this.rows<Totals & { idx: number; logged: number }>(
      `SELECT idx, ${SUMMED_COUNTS}, ${listeners} AS listeners,
         toUnixTimestamp64Milli(max(last_logged_at)) AS logged
       FROM (${parts}) WHERE idx != 0 GROUP BY idx`,
      params,
    )
    return new Map(
      rows.map((row) => [Number(row.idx), { totals: pickTotals(row), logged: Number(row.logged) }]),
    )
  }

  /**
   * An answer read from buckets alone, with few ranges to merge listeners for (the stats page: its
   * period, the one before on a first answer, and its series' newest bucket; a series asked again:
   * its newest day or hour): every row of the buckets in one array, their counts summed into their
   * ranges here, and one merged state per range to merge, finalized once. Mapping each row to its
   * ranges in SQL (bucketsPart) copies every row, state included, once for each range it counts in,
   * and grouping one row per bucket (to sum here) finalized each merged bucket's state on its own.
   * Side by side on the benchmark's head artist (p50 of 22 answers each, old against new), the stats
   * page's totals took 24.7 -> 18.6 ms for 12 months in Berlin, 15.8 -> 11.5 for 7 days, 18.8 -> 16.2
   * and 15.3 -> 11.7 in UTC; summaries 14.5 -> 11.9 and 12.4 -> 9.1 (Berlin, 12 months and 30 days);
   * a year's daily series asked again 21.5 -> 20.1.
   */
  private async bucketList(
    cover: RangesCover,
    merged: ReadonlySet<number>,
    params: Record<string, unknown>,
  ): Promise<Map<number, RangeRead>> {
    const listeners = [...merged].map((index) => {
      const runs = bucketRuns(
        cover.buckets
          .filter((bucket) => bucket.ranges.includes(index))
          .map((bucket) => ({ ...bucket, ranges: [] })),
      )
      return `, toUInt64(uniqHLL12MergeIf(listeners, ${runs.map(runKeys).join(' OR ')})) AS listeners_${int(index)}`
    })
    const [answer] = await this.rows<{ buckets: BucketListRow[] } & Record<string, number>>(
      `WITH ${RUN_KEY} AS run_key
       SELECT groupArray((span_minutes, toUInt32(bucket), plays, likes, reposts, comments, downloads,
         toUnixTimestamp64Milli(last_logged_at))) AS buckets${listeners.join('')}
       FROM ${TABLES.rollup}
       WHERE owner_id = {owner:UInt64} AND track_id = {track:UInt64}
         AND (${runsCondition(bucketRuns(cover.buckets), RUN_GAP)})`,
      params,
    )
    const rangesOf = new Map(
      cover.buckets.map((bucket) => [bucketKey(bucket.span, bucket.start / 1000), bucket.ranges]),
    )
    const read = new Map<number, RangeRead>()
    for (const [span, start, ...counts] of answer?.buckets ?? []) {
      const logged = Number(counts[5])
      // Rows between two runs read with one condition (runsCondition) count in no range.
      for (const index of rangesOf.get(bucketKey(Number(span), Number(start))) ?? []) {
        let range = read.get(index)
        if (!range) {
          range = { totals: zeroTotals(), logged: 0 }
          read.set(index, range)
        }
        for (const [i, metric] of EVENT_COUNTS.entries()) range.totals[metric] += Number(counts[i])
        range.logged = Math.max(range.logged, logged)
      }
    }
    for (const index of merged) {
      const range = read.get(index)
      if (range) range.totals.listeners = Number(answer?.[`listeners_${index}`] ?? 0)
    }
    return read
  }

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const slot = this.clients.reduce((best, candidate) => (candidate.busy < best.busy ? candidate : best))
    slot.busy++
    try {
      const result = await slot.client.query({
        query: inlineParams(query, params),
        format: 'JSONEachRow',
        clickhouse_settings: READ_SETTINGS,
      })
      return await result.json<T>()
    } finally {
      slot.busy--
    }
  }
}

/** Most plays first, ties by user id (as the queries order them). */
function byPlays(rows: ListenerRow[]): ListenerRow[] {
  return rows.sort((a, b) => b.plays - a.plays || a.user_id - b.user_id)
}

/** Numbers as numbers, whatever the engine quoted, and nothing but the answer's columns. */
const listenerRow = (row: ListenerRow): ListenerRow => ({
  user_id: Number(row.user_id),
  plays: Number(row.plays),
})

export function zeroTotals(): Totals {
  return { plays: 0, listeners: 0, likes: 0, reposts: 0, comments: 0, downloads: 0 }
}

function pickTotals(row: Totals): Totals {
  return {
    plays: Number(row.plays),
    listeners: Number(row.listeners),
    likes: Number(row.likes),
    reposts: Number(row.reposts),
    comments: Number(row.comments),
    downloads: Number(row.downloads),
  }
}

function scopeParams(scope: Scope): Record<string, unknown> {
  return { owner: scope.ownerId, track: scope.trackId ?? 0 }
}

function rawScope(scope: Scope): string {
  return scope.trackId === undefined
    ? 'owner_id = {owner:UInt64}'
    : 'owner_id = {owner:UInt64} AND track_id = {track:UInt64}'
}

interface RangesCover {
  /** Each distinct bucket once, with the ranges it counts in. */
  buckets: RangedBucket[]
  raw: (TimeRange & { index: number })[]
  /**
   * The ranges read from buckets alone, no raw piece (a day of a daily series, or a daylight-saving
   * day's 23 or 25 hours, an hour, a previous period on bucket edges), by range index.
   */
  whole: Map<number, TimeRange>
}

/**
 * Every range's cover (a bucket can count in several ranges: the stats page asks for a range and for
 * its series' buckets), each distinct bucket once with the ranges it counts in.
 */
function coverRanges(
  ranges: (TimeRange & { index: number })[],
  coverOf: (range: TimeRange) => Cover<CountSpan>,
): RangesCover {
  const distinct = new Map<number, RangedBucket>()
  const raw: (TimeRange & { index: number })[] = []
  const whole = new Map<number, TimeRange>()
  for (const range of ranges) {
    const cover = coverOf(range)
    for (const bucket of cover.buckets) {
      const key = bucketKey(bucket.span, bucket.start / 1000)
      let seen = distinct.get(key)
      if (seen) seen.ranges.push(range.index)
      else {
        seen = { span: bucket.span, start: bucket.start, ranges: [range.index] }
        distinct.set(key, seen)
      }
    }
    if (cover.raw.length === 0 && cover.buckets.length > 0)
      whole.set(range.index, { start: range.start, end: range.end })
    for (const piece of cover.raw) raw.push({ start: piece.start, end: piece.end, index: range.index })
  }
  return { buckets: [...distinct.values()], raw, whole }
}

/**
 * Planning costs the engine about a millisecond per bucket size and phase read (see runsCondition),
 * merging a busy artist's listener states some 30 microseconds each: so a size and phase is worth
 * about this many buckets.
 */
const BUCKETS_PER_CONDITION = 33

/** The cover with all sizes, or the hourly one (computed only if it differs) when that costs less. */
function cheaperRead(all: RangesCover, hourly: () => RangesCover): RangesCover {
  // Without 3-, 6- or 12-hour buckets the two covers are the same (each step picked a day, an hour or
  // a quarter either way).
  if (all.buckets.every((bucket) => bucket.span === 1440 || bucket.span <= 60)) return all
  const other = hourly()
  const cost = (cover: RangesCover) =>
    new Set(cover.buckets.map((bucket) => bucket.span * 1440 + phaseOf(bucket))).size *
      BUCKETS_PER_CONDITION +
    cover.buckets.length
  return cost(other) < cost(all) ? other : all
}

/** The raw log's counts in the pieces, each row counted in every range whose piece holds it. */
function rawCountsPart(scope: Scope, pieces: (TimeRange & { index: number })[]): string {
  const indexes = pieces.map((piece) => `if(${timeRanges([piece])}, [${int(piece.index)}], [])`).join(', ')
  return `SELECT arrayJoin(arrayConcat(${indexes})) AS idx, ${RAW_COUNTS}, ${LISTENER_STATE} AS listeners,
      max(logged_at) AS last_logged_at
    FROM ${TABLES.statsEvents} WHERE ${rawScope(scope)} AND (${timeRanges(pieces)}) GROUP BY idx`
}

/**
 * The answer's listeners column: every range's states merged and finalized, but for the ranges whose
 * listeners are kept (their states are not merged).
 */
function listenersOf(live: { index: number }[], merged: ReadonlySet<number>): string {
  if (merged.size === live.length) return 'toUInt64(uniqHLL12Merge(listeners))'
  // The shorter of the two lists (every row read is looked up in it).
  const kept = live.map((range) => range.index).filter((index) => !merged.has(index))
  if (merged.size < kept.length)
    return `toUInt64(uniqHLL12MergeIf(listeners, has([${ints([...merged])}], idx)))`
  return `toUInt64(uniqHLL12MergeIf(listeners, NOT has([${ints(kept)}], idx)))`
}

/** The rows of the runs' buckets as a part of rangeReads: each row once for every range it counts in. */
function bucketsPart(runs: BucketRun[]): string {
  const indexes = runs.map((run) => `${runKeys(run)}, ${runRanges(run)}`).join(', ')
  return `WITH ${RUN_KEY} AS run_key SELECT arrayJoin(multiIf(${indexes}, [])) AS idx,
      plays, likes, reposts, comments, downloads, listeners, last_logged_at
    FROM ${TABLES.rollup}
    WHERE owner_id = {owner:UInt64} AND track_id = {track:UInt64} AND (${runsCondition(runs, RUN_GAP)})`
}

/** A row of bucketList: span, start (epoch seconds), the five counts, last logged (epoch ms). */
type BucketListRow = [number, number, number, number, number, number, number, number]

/**
 * How many ranges bucketList merges listeners for at most (an aggregate each); more go to one query
 * with bucketsPart (a series' first answer: every bucket a range of its own).
 */
const MERGED_IN_LIST = 16

/** A bucket's span and start (epoch seconds) as one number. */
function bucketKey(span: number, startSeconds: number): number {
  return span * KEY_SHIFT + startSeconds
}

/**
 * The rows of the runs' buckets (runs in bucketRuns' order), one `bucket BETWEEN` per span and phase
 * for runs at most `gap` buckets apart: with a gap above 1 it reads a few more rows (every condition
 * costs the engine about a millisecond to plan, a few more rows cost less), and the runs' keys must
 * pick the rows that count (runKeys).
 */
function runsCondition(runs: BucketRun[], gap: number): string {
  const spans: { span: number; phase: number; first: number; last: number }[] = []
  for (const run of runs) {
    const open = spans.at(-1)
    if (open && open.span === run.span && open.phase === run.phase && run.first - open.last <= gap * run.step)
      open.last = lastStart(run)
    else spans.push({ span: run.span, phase: run.phase, first: run.first, last: lastStart(run) })
  }
  return spans
    .map(({ span, phase, first, last }) => {
      const buckets =
        first === last ? `bucket = ${int(first)}` : `bucket BETWEEN ${int(first)} AND ${int(last)}`
      return `(span_minutes = ${int(span)} AND phase = ${int(phase)} AND ${buckets})`
    })
    .join(' OR ')
}

/** Runs of an answer at most this many buckets apart are read with one condition. */
const RUN_GAP = 24
/** A row's span, phase and bucket as one number, so a run is one range of it (runKeys). */
const RUN_KEY = `toUInt64(span_minutes * 1440 + phase) * ${KEY_SHIFT} + toUInt32(bucket)`

/** The run's rows as a condition on RUN_KEY (no other span or phase falls between its ends). */
function runKeys(run: BucketRun): string {
  const key = (bucket: number) => int((run.span * 1440 + run.phase) * KEY_SHIFT + bucket)
  return run.count === 1
    ? `run_key = ${key(run.first)}`
    : `run_key BETWEEN ${key(run.first)} AND ${key(lastStart(run))}`
}

/** The ranges a row of the run counts in (rangesAt in SQL), as an array. */
function runRanges(run: BucketRun): string {
  const ranges = run.ranges.map((range) => {
    if (Math.floor((run.count - 1 + range.shift) / range.every) === 0) return int(range.first)
    const index = `intDiv(toUInt32(bucket) - ${int(run.first)}, ${int(run.step)})`
    return `${int(range.first)} + intDiv(${index} + ${int(range.shift)}, ${int(range.every)})`
  })
  return `[${ranges.join(', ')}]`
}

function dimensionValue(dimension: TopDimension): string {
  switch (dimension) {
    case 'city':
      return `if(city = '', '', concat(toString(country), '|', toString(city)))`
    default:
      return `toString(${dimension})`
  }
}

/** `occurred_at` within any of the pieces (epoch ms, checked integers). */
function timeRanges(pieces: TimeRange[]): string {
  return pieces
    .map((piece) => `(occurred_at >= ${instant(piece.start)} AND occurred_at < ${instant(piece.end)})`)
    .join(' OR ')
}

function instant(ms: number): string {
  return `fromUnixTimestamp64Milli(toInt64(${int(ms)}), 'UTC')`
}

function int(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`)
  return String(value)
}

function ints(values: number[]): string {
  return values.map(int).join(', ')
}
