// The rollup tiers and how each is computed from the raw log. The materialized views' own SELECTs
// (migration 0002) are the single definition: a backfill or a verification runs the view's query
// over a window of the log instead of over an inserted block, so it cannot drift from what the views
// compute live.
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { TABLES } from './tables.js'

export interface Tier {
  name: string
  table: string
  view: string
  /** Columns that identify a row (the table's ORDER BY). */
  key: string[]
  /** Columns summed per key. */
  sums: string[]
  /** Listener state columns, compared finalized. */
  states: string[]
  /** The length of a bucket in seconds, as SQL over the row (for "bucket inside the window"). */
  bucketEnd: string
}

export const TIERS: Tier[] = [
  {
    name: 'counts',
    table: TABLES.rollup,
    view: TABLES.rollupView,
    key: ['owner_id', 'track_id', 'span_minutes', 'bucket'],
    sums: ['plays', 'likes', 'reposts', 'comments', 'downloads'],
    states: ['listeners'],
    bucketEnd: 'bucket + toIntervalMinute(span_minutes)',
  },
  {
    name: 'top',
    table: TABLES.rollupTop,
    view: TABLES.rollupTopView,
    key: ['owner_id', 'track_id', 'dimension', 'span', 'bucket', 'value'],
    sums: ['plays'],
    states: [],
    bucketEnd: `multiIf(span = 'hour', bucket + INTERVAL 1 HOUR, span = 'day', bucket + INTERVAL 1 DAY, bucket + INTERVAL 1 MONTH)`,
  },
  {
    name: 'listeners',
    table: TABLES.listenerDays,
    view: TABLES.listenerDaysView,
    key: ['owner_id', 'bucket', 'user_id'],
    sums: ['plays'],
    states: [],
    bucketEnd: 'bucket + INTERVAL 1 DAY',
  },
]

/** The log rows of [fromSql, toSql) (SQL expressions), with the view's MATERIALIZED column. */
function logWindow(fromSql: string, toSql: string): string {
  return `(SELECT *, listener FROM ${TABLES.statsEvents} WHERE occurred_at >= ${fromSql} AND occurred_at < ${toSql})`
}

/** The tier's view query as ClickHouse stored it; over a window of the log with overWindow(). */
export async function viewQuery(client: ClickHouseClient, tier: Tier): Promise<string> {
  const result = await client.query({
    query: 'SELECT as_select FROM system.tables WHERE database = currentDatabase() AND name = {view:String}',
    query_params: { view: tier.view },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ as_select: string }>()
  if (!row) throw new Error(`the view ${tier.view} does not exist: run \`search-stats migrate\` first`)
  if ((row.as_select.match(logSource()) ?? []).length !== 1) {
    throw new Error(`cannot find the log in the definition of ${tier.view}`)
  }
  return row.as_select
}

/**
 * A view query with the log narrowed to a window: the rows the view would have written for the log's
 * events in that window (unmerged: one row per key, as one insert of them all would).
 */
export function overWindow(query: string, fromSql: string, toSql: string): string {
  return query.replace(logSource(), `FROM ${logWindow(fromSql, toSql)} AS ${TABLES.statsEvents}`)
}

const logSource = () => new RegExp(`FROM\\s+(\`?\\w+\`?\\.)?\`?${TABLES.statsEvents}\`?(?=\\s|$)`, 'g')
