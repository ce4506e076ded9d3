// The raw log in ClickHouse, appended exactly once per event id.
//
// Why it is exact: the writer is the queue's single active consumer and flushes one batch at a time.
// Before each insert it asks the log which of the batch's ids it already holds (a resent or
// redelivered event is the same event: same id, same occurred_at), through the log's `by_time`
// projection, which lives in the same data parts as the rows: there is no second table that a crash
// could leave out of step. Duplicates inside a batch are dropped first. An insert that spans months
// writes one part per month; if only some land before a crash, the retry's check finds those and
// inserts the rest. Each insert carries an insert_deduplication_token derived from its ids, so an
// insert retried after a timeout, which may still land on a server, is stored once.
import { createHash } from 'node:crypto'
import type { ClickHouseSettings } from '@clickhouse/client'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { clickhouseTime } from '../src/clickhouse/datetime.js'
import type { StatsLogRow } from '../src/contracts/stats-events.js'
import { TABLES } from './tables.js'

const INSERT_COLUMNS = [
  'event_id',
  'type',
  'occurred_at',
  'owner_id',
  'track_id',
  'user_id',
  'anonymous_id',
  'country',
  'city',
  'source',
  'referrer',
  'listened_ms',
] as const

/** Events further apart than this are looked up as separate time ranges. */
const CLUSTER_GAP_MS = 60_000
/** More ranges than this in one lookup are merged (wider ranges, fewer OR branches). */
const MAX_RANGES = 32

export interface AppendResult {
  inserted: number
  duplicates: number
}

export class EventLog {
  /** Ids that an append has found absent and is inserting now: no other append may insert them too. */
  private readonly claimed = new Set<string>()
  private readonly reader: ClickHouseClient

  /**
   * `reader` (optional) is a second connection for the duplicate check, so that on chDB, where one
   * connection runs one query at a time, the next batch's check overlaps the previous batch's insert.
   */
  constructor(
    private readonly client: ClickHouseClient,
    reader?: ClickHouseClient,
  ) {
    this.reader = reader ?? client
  }

  /** Duplicate checks in progress; each settles once its append has claimed its fresh ids. */
  private readonly checks = new Set<Promise<void>>()

  /**
   * Appends the rows whose ids the log does not hold yet. Safe to call concurrently: an id found
   * absent is claimed (synchronously, right after the check) by exactly one append; another append
   * that also found it absent leaves it to the claimant. Claims are released only once the insert has
   * ended and every check that began before then has claimed (such a check may not see the rows).
   * If the claimant's insert fails, its caller retries it (its messages stay unacked), so the id is
   * still logged once.
   */
  async append(rows: StatsLogRow[]): Promise<AppendResult> {
    const unique = new Map<string, StatsLogRow>()
    for (const row of rows) if (!unique.has(row.event_id)) unique.set(row.event_id, row)
    const candidates = [...unique.values()]
    let claimedAll!: () => void
    const check = new Promise<void>((resolve) => {
      claimedAll = resolve
    })
    this.checks.add(check)
    let fresh: StatsLogRow[]
    try {
      const logged = await this.loggedIds(candidates)
      fresh = candidates.filter((row) => !logged.has(row.event_id) && !this.claimed.has(row.event_id))
      for (const row of fresh) this.claimed.add(row.event_id)
    } finally {
      this.checks.delete(check)
      claimedAll()
    }
    try {
      if (fresh.length > 0) await this.insert(fresh)
    } finally {
      const earlierChecks = [...this.checks]
      void Promise.all(earlierChecks).then(() => {
        for (const row of fresh) this.claimed.delete(row.event_id)
      })
    }
    return { inserted: fresh.length, duplicates: rows.length - fresh.length }
  }

  /** Which of these rows' ids the log already holds. */
  async loggedIds(rows: StatsLogRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set()
    const ranges = timeRanges(rows.map((row) => row.occurred_at))
    const params: Record<string, unknown> = { ids: rows.map((row) => row.event_id) }
    const conditions = ranges.map(([from, to], i) => {
      params[`from${i}`] = clickhouseTime(from)
      params[`to${i}`] = clickhouseTime(to)
      return `occurred_at BETWEEN {from${i}:DateTime64(3, 'UTC')} AND {to${i}:DateTime64(3, 'UTC')}`
    })
    const result = await this.reader.query({
      query: `SELECT DISTINCT event_id FROM ${TABLES.statsEvents}
              WHERE (${conditions.join(' OR ')})
                -- A subquery builds the set once. A literal array parameter (event_id IN {ids:Array}) took
                -- 45 to 70 s for 50,000 ids against 300,000 rows on chDB 26.7; this takes 0.3 s.
                AND event_id IN (SELECT arrayJoin({ids:Array(String)}))`,
      query_params: params,
      format: 'JSONEachRow',
    })
    const found = await result.json<{ event_id: string }>()
    return new Set(found.map((row) => row.event_id))
  }

  private async insert(rows: StatsLogRow[]): Promise<void> {
    const ids = rows.map((row) => row.event_id).sort()
    const token = createHash('sha256').update(ids.join('\n')).digest('hex')
    await insertLogRows(this.client, rows, {
      insert_deduplicate: 1,
      insert_deduplication_token: token,
      deduplicate_blocks_in_dependent_materialized_views: 1,
    })
  }
}

/**
 * A plain insert into the log, no duplicate check (the benchmark's store ceiling uses it too).
 * JSONCompactEachRow: measured 1.5x faster to parse than JSONEachRow on chDB (144k vs 94k rows/s).
 *
 * `optimize_on_insert = 0`: by default ClickHouse merges the rows of an inserted block that share a
 * sorting key before writing it to an Aggregating- or ReplacingMergeTree. Every view on the log groups
 * by exactly its table's sorting key, so its blocks hold no such rows and that pass only copied each
 * row's aggregate states once more. The stored parts are the same either way. Measured on chDB,
 * 100,000 events in 5,000-row inserts, nine pairs in either order: 57-74 us of CPU a row without the
 * pass, 72-88 with it, and faster in every pair (2% to 44%). The ingest benchmark's direct insert,
 * on its own events and noisier, showed no difference beyond its noise.
 *
 * `parallel_view_processing = 1`: the four views each aggregate the inserted block into their tier;
 * by default one after another on one thread, so an insert kept one of the two cores busy. Side by
 * side (300,000 events over 30 days in 50,000-row inserts, two pairs): 44k and 46k events/s against
 * 33k and 36k. Each view still writes its own parts with its own deduplication token.
 */
export async function insertLogRows(
  client: ClickHouseClient,
  rows: StatsLogRow[],
  settings: ClickHouseSettings = {},
): Promise<void> {
  await client.insert({
    table: TABLES.statsEvents,
    columns: [...INSERT_COLUMNS],
    values: rows.map((row) => INSERT_COLUMNS.map((column) => row[column])),
    format: 'JSONCompactEachRow',
    clickhouse_settings: { optimize_on_insert: 0, parallel_view_processing: 1, ...settings },
  })
}

/** Sorted times grouped into at most MAX_RANGES [from, to] ranges, splitting at the largest gaps. */
export function timeRanges(times: number[]): [number, number][] {
  const sorted = [...times].sort((a, b) => a - b)
  if (sorted.length === 0) return []
  let gap = CLUSTER_GAP_MS
  for (;;) {
    const ranges: [number, number][] = []
    let start = sorted[0]!
    let previous = start
    for (const time of sorted) {
      if (time - previous > gap) {
        ranges.push([start, previous])
        start = time
      }
      previous = time
    }
    ranges.push([start, previous])
    if (ranges.length <= MAX_RANGES) return ranges
    gap *= 4
  }
}
