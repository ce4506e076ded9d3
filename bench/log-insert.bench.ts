// Benchmark: what each tier costs an insert into the log. The stats-ingest benchmark's store ceiling
// is a direct insert with every view attached; this one inserts the same kind of events in 50,000-row
// batches into a fresh database with all views, with each view dropped in turn, with none, and with
// neither views nor the log's by_time projection, interleaved over the rounds. Those run the views one
// after another (parallel_view_processing = 0), so that dropping one takes its whole cost away; the
// writer runs them side by side, measured as one more variant. It does so for events
// spread over 30 days (a shipped stretch of the log, as the ingest benchmark sends) and for events of
// the last minute (a live stream): a view's cost grows with the groups an insert makes, and a live
// insert makes far fewer.
import { insertLogRows } from '../rollups/event-log.js'
import { migrate } from '../rollups/migrate.js'
import { TABLES } from '../rollups/tables.js'
import { createClickHouse } from '../src/clickhouse/client.js'
import type { Config } from '../src/config.js'
import type { StatsLogRow } from '../src/contracts/stats-events.js'
import { median } from './percentile.js'
import { logRowOf, timeOrderedEvents } from './workload-rows.js'

const VIEWS = {
  counts: TABLES.rollupView,
  top: TABLES.rollupTopView,
  listenerDays: TABLES.listenerDaysView,
  trackOwners: TABLES.trackOwnersView,
} as const

const VARIANTS: { name: string; drop: string[]; dropProjection?: boolean; parallel?: boolean }[] = [
  { name: 'all views, in parallel', drop: [], parallel: true },
  { name: 'all views', drop: [] },
  ...Object.entries(VIEWS).map(([name, view]) => ({ name: `without ${name}`, drop: [view] })),
  { name: 'no views', drop: Object.values(VIEWS) },
  { name: 'no views, no projection', drop: Object.values(VIEWS), dropProjection: true },
]

const SPREADS = [
  { name: '30 days', seconds: 30 * 86_400 },
  { name: 'last minute', seconds: 60 },
] as const

export interface LogInsertFigures {
  events: number
  batchRows: number
  spreads: {
    spread: string
    /** Median events per second over the rounds, by variant. */
    rates: Record<string, number>
    /**
     * Microseconds an event each view costs, the views one after another: 1/rate without it subtracted
     * from 1/rate with all.
     */
    viewCostUs: Record<string, number>
  }[]
}

function rowsOf(count: number, seconds: number, seed: number): StatsLogRow[] {
  const to = new Date()
  const from = new Date(to.getTime() - seconds * 1000)
  return timeOrderedEvents(count, { seed, from, to, idPrefix: `log-insert-${seed}-` }).map(logRowOf)
}

export async function benchLogInsert(
  config: Config,
  options: { events: number; batchRows: number; rounds: number },
  log: (line: string) => void,
): Promise<LogInsertFigures> {
  const runId = `log_insert_${Date.now().toString(36)}`
  const spreads: LogInsertFigures['spreads'] = []
  for (const [s, spread] of SPREADS.entries()) {
    const rows = rowsOf(options.events, spread.seconds, 200 + s)
    const measured: Record<string, number[]> = {}
    for (let round = 1; round <= options.rounds; round++) {
      for (const [v, variant] of VARIANTS.entries()) {
        const database = `${runId}_${s}_${v}_${round}`
        const client = await createClickHouse({ ...config.clickhouse, database })
        try {
          await migrate(client)
          for (const view of variant.drop) await client.command({ query: `DROP VIEW ${view}` })
          if (variant.dropProjection)
            await client.command({ query: `ALTER TABLE ${TABLES.statsEvents} DROP PROJECTION by_time` })
          const started = performance.now()
          for (let i = 0; i < rows.length; i += options.batchRows)
            await insertLogRows(client, rows.slice(i, i + options.batchRows), {
              parallel_view_processing: variant.parallel ? 1 : 0,
            })
          const rate = rows.length / ((performance.now() - started) / 1000)
          measured[variant.name] = [...(measured[variant.name] ?? []), rate]
          log(`  ${spread.name}, round ${round}, ${variant.name}: ${Math.round(rate)} events/s`)
        } finally {
          await client.command({ query: `DROP DATABASE IF EXISTS ${database}` })
          await client.close()
        }
      }
    }
    const rates = Object.fromEntries(Object.entries(measured).map(([name, values]) => [name, median(values)]))
    const all = rates['all views'] ?? 0
    const viewCostUs = Object.fromEntries(
      Object.keys(VIEWS).map((name) => {
        const without = rates[`without ${name}`] ?? 0
        return [name, Math.round((1e6 / all - 1e6 / without) * 10) / 10]
      }),
    )
    spreads.push({ spread: spread.name, rates, viewCostUs })
  }
  return { events: options.events, batchRows: options.batchRows, spreads }
}
