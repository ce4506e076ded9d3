// What the data engineers see first: each tier's size and freshness, and how far the tiers lag the log.
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { TABLES } from './tables.js'
import { TIERS } from './tier-sources.js'

export interface TableSize {
  table: string
  rows: number
  bytes: number
  parts: number
}

export interface RollupInventory {
  log: TableSize & { newestLoggedAt: string | null }
  tiers: (TableSize & { name: string; view: string; viewPresent: boolean; buckets: string })[]
  /** How far the counts tier's newest logged event is behind the log's (0: nothing pending). */
  lagMs: number | null
}

const BUCKETS: Record<string, string> = {
  counts: '15m 1h 3h 6h 12h 1d (UTC)',
  top: 'hour day month (UTC)',
}

export async function rollupInventory(client: ClickHouseClient): Promise<RollupInventory> {
  const sizes = await rows<TableSize>(
    client,
    `SELECT table, toUInt64(sum(rows)) AS rows, toUInt64(sum(bytes_on_disk)) AS bytes, toUInt64(count()) AS parts
     FROM system.parts WHERE database = currentDatabase() AND active GROUP BY table`,
  )
  const views = new Set(
    (
      await rows<{ name: string }>(
        client,
        `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'`,
      )
    ).map((row) => row.name),
  )
  const size = (table: string): TableSize => {
    const found = sizes.find((row) => row.table === table)
    return {
      table,
      rows: Number(found?.rows ?? 0),
      bytes: Number(found?.bytes ?? 0),
      parts: Number(found?.parts ?? 0),
    }
  }
  const [fresh] = await rows<{ log: number | null; rollup: number | null }>(
    client,
    `SELECT (SELECT toUnixTimestamp64Milli(max(logged_at)) FROM ${TABLES.statsEvents}) AS log,
            (SELECT toUnixTimestamp64Milli(max(last_logged_at)) FROM ${TABLES.rollup}) AS rollup`,
  )
  const log = Number(fresh?.log ?? 0)
  const rollup = Number(fresh?.rollup ?? 0)
  return {
    log: { ...size(TABLES.statsEvents), newestLoggedAt: log > 0 ? new Date(log).toISOString() : null },
    tiers: TIERS.map((tier) => ({
      name: tier.name,
      view: tier.view,
      viewPresent: views.has(tier.view),
      buckets: BUCKETS[tier.name] ?? '',
      ...size(tier.table),
    })),
    lagMs: log > 0 ? Math.max(0, log - rollup) : null,
  }
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>()
}
