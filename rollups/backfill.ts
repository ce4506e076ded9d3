// Backfill: recompute the tiers' partitions (UTC years) from the raw log and swap them in atomically.
//
// For each year and tier: the view's own query over that year of the log fills a staging table, and
// `ALTER TABLE ... REPLACE PARTITION ... FROM staging` swaps the year in one step. A re-run
// computes the same rows and swaps again, so it is idempotent; an interrupted run leaves the old
// year in place (the staging table is dropped and rebuilt next time).
//
// Why it never double-counts against the live views: the swap replaces the whole month, so rows the
// views wrote before the staging query read the log are dropped along with the old partition, and the
// staging rows count each of those events once. Only an insert that lands between the staging read
// and the swap could be lost; every year is therefore checked against the log after its swap and
// recomputed when they differ (the embedded engine has no other writer while a command-line job holds
// its directory; against a server, the writers may be running).
import { DateTime } from 'luxon'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { quoteIdentifier } from '../src/clickhouse/client.js'
import { TABLES } from './tables.js'
import { overWindow, TIERS, type Tier, viewQuery } from './tier-sources.js'

export interface BackfillOptions {
  from: number
  to: number
  /** Tier names (TIERS[].name); all when absent. */
  tiers?: string[]
  attempts?: number
  onPartition?: (done: number, total: number, year: string) => void
}

export interface BackfillResult {
  /** The tier partitions recomputed: UTC years. */
  years: string[]
  tiers: string[]
}

/** The UTC years (the tiers' partitions) that [from, to) touches. */
export function yearsOf(from: number, to: number): number[] {
  const first = DateTime.fromMillis(from, { zone: 'UTC' }).year
  const last = DateTime.fromMillis(to - 1, { zone: 'UTC' }).year
  return Array.from({ length: last - first + 1 }, (_, i) => first + i)
}

export function selectTiers(names: string[] | undefined): Tier[] {
  if (!names || names.length === 0) return TIERS
  return names.map((name) => {
    const tier = TIERS.find((candidate) => candidate.name === name || candidate.table === name)
    if (!tier) throw new Error(`unknown rollup ${name}: one of ${TIERS.map((t) => t.name).join(', ')}`)
    return tier
  })
}

export async function backfill(client: ClickHouseClient, options: BackfillOptions): Promise<BackfillResult> {
  const tiers = selectTiers(options.tiers)
  const years = yearsOf(options.from, options.to)
  for (const [i, year] of years.entries()) {
    for (const tier of tiers) await backfillYear(client, tier, year, options.attempts ?? 5)
    options.onPartition?.(i + 1, years.length, String(year))
  }
  return { years: years.map(String), tiers: tiers.map((tier) => tier.name) }
}

async function backfillYear(
  client: ClickHouseClient,
  tier: Tier,
  year: number,
  attempts: number,
): Promise<void> {
  if (!Number.isInteger(year)) throw new Error(`not a year: ${year}`)
  const fromSql = `toDateTime64('${year}-01-01 00:00:00', 3, 'UTC')`
  const toSql = `toDateTime64('${year + 1}-01-01 00:00:00', 3, 'UTC')`
  const staging = quoteIdentifier(`${tier.table}_backfill_${year}`)
  const columns = await tableColumns(client, tier.table)
  const query = await viewQuery(client, tier)
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await client.command({ query: `DROP TABLE IF EXISTS ${staging}` })
    await client.command({ query: `CREATE TABLE ${staging} AS ${tier.table}` })
    try {
      // Month by month (a month of a busy artist's states fits in memory where a year may not). A
      // registered zone's day (zone-days.ts) can start on the year's last day and end in the next, so
      // the log is read from a day before the year to a day after it, and only the rows of buckets
      // that start in the year are kept: the year's partition, whole. Buckets that straddle two months
      // get a row from each month; the table merges them like any other rows of one key.
      for (let month = 1; month <= 12; month++) {
        const monthStart = (m: number) =>
          `toDateTime64('${year + Math.floor((m - 1) / 12)}-${String(((m - 1) % 12) + 1).padStart(2, '0')}-01 00:00:00', 3, 'UTC')`
        const fromMonth = month === 1 ? `${monthStart(1)} - INTERVAL 1 DAY` : monthStart(month)
        const toMonth = month === 12 ? `${monthStart(13)} + INTERVAL 1 DAY` : monthStart(month + 1)
        const source = overWindow(query, fromMonth, toMonth)
        await client.command({
          query: `INSERT INTO ${staging} (${columns.join(', ')})
                  SELECT ${columns.join(', ')} FROM (${source}) WHERE toYear(bucket) = ${year}`,
          // Explicitly no deduplication: chDB keeps a query's settings in its session, so a token an
          // earlier insert on this connection carried would otherwise drop every month but the first.
          // No optimize_on_insert: the view's query groups by the table's sorting key, so no block
          // holds two rows to merge, and the pass only copied every aggregate state once more (as for
          // the log's own inserts, event-log.ts). Measured on chDB, a backfill of 5 million events
          // over eleven months, runs in the order on, off, off, on: 248 and 228 s with it, 209
          // and 183 s without (403 and 340 s of CPU against 318 and 277).
          clickhouse_settings: {
            max_threads: 2,
            insert_deduplicate: 0,
            insert_deduplication_token: '',
            optimize_on_insert: 0,
          },
        })
      }
      // One part for the year: every part a query touches costs it a few milliseconds in chDB (a year
      // left as 12 monthly parts made a daily series 35 ms where one part gives 22 ms).
      await client.command({ query: `OPTIMIZE TABLE ${staging} FINAL` })
      await client.command({ query: `ALTER TABLE ${tier.table} REPLACE PARTITION ${year} FROM ${staging}` })
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${staging}` })
    }
    if (await yearMatchesLog(client, tier, year, fromSql, toSql)) return
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
  }
  throw new Error(
    `year ${year} of ${tier.table} kept changing while it was recomputed (live inserts into it); ` +
      'pause the stats writers and run the backfill again',
  )
}

/** The tier's totals for the year (all of each artist's tracks, whole days or months) against the log's. */
async function yearMatchesLog(
  client: ClickHouseClient,
  tier: Tier,
  year: number,
  fromSql: string,
  toSql: string,
): Promise<boolean> {
  const { stored, logged } = yearTotals(tier, year)
  const result = await client.query({
    query: `SELECT (${stored}) = (${logged} FROM ${TABLES.statsEvents}
             WHERE occurred_at >= ${fromSql} AND occurred_at < ${toSql}) AS same`,
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ same: number | boolean }>()
  return Boolean(Number(row?.same))
}

/** The tier's plays (and other counts) over a year, and the same counted in the log. */
function yearTotals(tier: Tier, year: number): { stored: string; logged: string } {
  switch (tier.table) {
    case TABLES.rollup:
      return {
        stored: `SELECT [sum(plays), sum(likes), sum(reposts), sum(comments), sum(downloads)] FROM ${TABLES.rollup}
                 WHERE toYear(bucket) = ${year} AND track_id = 0 AND span_minutes = 1440 AND phase = 0`,
        logged: `SELECT [countIf(type = 'play'), countIf(type = 'like'), countIf(type = 'repost'), countIf(type = 'comment'),
                 countIf(type = 'download')]`,
      }
    case TABLES.rollupTop:
      return {
        stored: `SELECT [sum(plays)] FROM ${TABLES.rollupTop}
                 WHERE toYear(bucket) = ${year} AND track_id = 0 AND dimension = 'country' AND span = 'month'`,
        logged: `SELECT [countIf(type = 'play')]`,
      }
    case TABLES.listenerDays:
      return {
        stored: `SELECT [sum(plays)] FROM ${TABLES.listenerDays} WHERE toYear(bucket) = ${year}`,
        logged: `SELECT [countIf(type = 'play' AND user_id != 0)]`,
      }
    default:
      throw new Error(`no yearly check for ${tier.table}`)
  }
}

async function tableColumns(client: ClickHouseClient, table: string): Promise<string[]> {
  const result = await client.query({
    query: `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {table:String}
            ORDER BY position`,
    query_params: { table },
    format: 'JSONEachRow',
  })
  return (await result.json<{ name: string }>()).map((row) => quoteIdentifier(row.name))
}
