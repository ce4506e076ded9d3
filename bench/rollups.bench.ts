// Benchmark: stats queries through the range planner beside the same questions answered by scanning
// the raw log, in the same run, for a head artist with 100 million plays in the last year and a tail
// artist of a Zipf catalog of 10,000 more; in UTC, a whole-hour zone and Asia/Kathmandu; over 24h, 7d,
// 30d, 12m and all time. Also: rollup bytes against raw bytes, how long the bulk load and the rebuild
// took, and the error of the listener count (uniqHLL12) against uniqExact.
import { backfill } from '../rollups/backfill.js'
import {
  calendarBuckets,
  type Interval,
  PRESETS,
  type Preset,
  presetRange,
  previousPeriod,
} from '../rollups/calendar.js'
import { writeLogWorkload } from '../rollups/log-workload.js'
import { migrate } from '../rollups/migrate.js'
import { READER_CONNECTIONS, type Scope, StatsReader } from '../rollups/stats-reader.js'
import { TABLES } from '../rollups/tables.js'
import { TIERS } from '../rollups/tier-sources.js'
import { markReady, registerZones } from '../rollups/zone-days.js'
import { type ClickHouseClient, createClickHouse, quoteIdentifier } from '../src/clickhouse/client.js'
import type { Config } from '../src/config.js'
import { percentile } from './percentile.js'

export interface RollupBenchSizes {
  headPlays: number
  tailEvents: number
  tailArtists: number
  iterations: number
}

const ZONES = ['UTC', 'Europe/Berlin', 'Asia/Kathmandu']
const KINDS = ['summary', 'series', 'top-countries', 'top-tracks'] as const
type Kind = (typeof KINDS)[number]
const DAY = 86_400_000
const HEAD = 1
/** The latency target: every answer through the planner at most this at p99. */
const TARGET_MS = 25
const VIEWS = [...TIERS.map((tier) => tier.view), TABLES.trackOwnersView]

export interface QueryFigure {
  artist: 'head' | 'tail'
  zone: string
  preset: Preset
  kind: Kind
  plannerP50Ms: number
  plannerP99Ms: number
  /** The slowest of the timed iterations (one stall decides it; the p99 is the target). */
  plannerMaxMs: number
  rawMs: number
  speedup: number
  equal: boolean
}

async function timed<T>(body: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now()
  const value = await body()
  return { ms: performance.now() - started, value }
}

async function bulkLoad(
  client: ClickHouseClient,
  sizes: RollupBenchSizes,
  now: number,
  log: (line: string) => void,
) {
  // Bulk history is written with the views detached, then the months are recomputed by the backfill
  // (what a data engineer does for a historical import): far faster than the views' per-insert work.
  for (const view of VIEWS) await client.command({ query: `DETACH TABLE IF EXISTS ${view}` })
  const spanDays = 395
  const from = new Date(now - spanDays * DAY)
  const to = new Date(now)
  // 85% of generated events are plays; the last 365 of 395 days must hold headPlays of them.
  const headRows = Math.ceil((sizes.headPlays / 0.85) * (spanDays / 365))
  const load = await timed(async () => {
    await writeLogWorkload(
      client,
      { rows: headRows, from, to, artists: 1, onlyArtistId: HEAD, tracksPerArtist: 40, idPrefix: 'h' },
      (n) => log(`    head: ${n} rows`),
    )
    await writeLogWorkload(
      client,
      { rows: sizes.tailEvents, from, to, artists: sizes.tailArtists, firstArtistId: 2, idPrefix: 't' },
      (n) => log(`    tail: ${n} rows`),
    )
  })
  for (const view of VIEWS) await client.command({ query: `ATTACH TABLE ${view}` })
  // The benchmark's zones keep whole days (as `rollups zones add` registers them; UTC's days are UTC
  // buckets already), filled by the rebuild.
  const phases = await registerZones(client, ZONES)
  const rebuild = await timed(() =>
    backfill(client, {
      from: from.getTime(),
      to: to.getTime(),
      onPartition: (done, total, year) => log(`    rebuild ${year} (${done}/${total})`),
    }),
  )
  await markReady(client, phases)
  return { rows: headRows + sizes.tailEvents, loadSeconds: load.ms / 1000, rebuildSeconds: rebuild.ms / 1000 }
}

async function ask(
  reader: StatsReader,
  kind: Kind,
  scope: Scope,
  range: { from: number; to: number },
  zone: string,
  source: 'rollups' | 'raw',
): Promise<unknown> {
  const span = { start: range.from, end: range.to }
  switch (kind) {
    case 'summary':
      return reader.totals(scope, [span, previousPeriod(range.from, range.to)], source)
    case 'series': {
      const interval: Interval = range.to - range.from <= DAY ? 'hour' : 'day'
      if (source === 'raw') {
        const byStart = await reader.rawSeries(scope, span, interval, zone)
        return calendarBuckets(range.from, range.to, interval, zone).map((bucket) =>
          byStart.get(Date.parse(bucket.label)),
        )
      }
      const buckets = calendarBuckets(range.from, range.to, interval, zone)
      const totals = await reader.totals(scope, buckets)
      return totals.map((t) => (t.plays + t.likes + t.reposts + t.comments + t.downloads > 0 ? t : undefined))
    }
    case 'top-countries':
      return reader.top(scope, 'country', span, 10, source)
    case 'top-tracks':
      return reader.topTracks(scope.ownerId, span, 10, source)
  }
}

export async function benchRollups(
  config: Config,
  sizes: RollupBenchSizes,
  log: (line: string) => void,
  /** Runs on the loaded data before it is removed (the stats page benchmark). */
  afterwards?: (clients: ClickHouseClient[], rollups: unknown) => Promise<unknown>,
) {
  const client = await createClickHouse({
    ...config.clickhouse,
    application: 'bench-rollups',
    requestTimeoutMs: 3_600_000,
  })
  // The stats page's benchmark reads with as many connections as the API does.
  const others: ClickHouseClient[] = []
  for (let i = 2; i <= READER_CONNECTIONS; i++)
    others.push(await createClickHouse({ ...config.clickhouse, application: `bench-rollups-${i}` }))
  try {
    await migrate(client)
    const kept = await keptDataset(client, sizes)
    const now = kept?.loadedAt ?? Date.now()
    let load = kept?.load
    if (kept)
      log(`  reusing the data set loaded at ${new Date(now).toISOString()}; its time is the benchmark's now`)
    else {
      log(`  loading ${sizes.headPlays} head plays and ${sizes.tailEvents} tail events`)
      load = await bulkLoad(client, sizes, now, log)
      await keepDataset(client, sizes, now, load)
    }
    const settled = await timed(() => settleParts(client))
    log(
      `  parts settled in ${(settled.ms / 1000).toFixed(1)} s (${settled.value} partitions had more than one part)`,
    )
    const reader = new StatsReader(client)
    const sizesOnDisk = await bytes(client)
    const headPlaysLastYear = (
      await reader.totals({ ownerId: HEAD }, [{ start: now - 365 * DAY, end: now }])
    )[0]?.plays
    const tail = tailArtist(sizes.tailArtists)
    log(`  head artist: ${headPlaysLastYear} plays in the last year; tail artist ${tail}`)

    const figures: QueryFigure[] = []
    for (const [artist, ownerId] of [
      ['head', HEAD],
      ['tail', tail],
    ] as const) {
      const firstAt = (await reader.firstEventAt(ownerId)) ?? now - 365 * DAY
      for (const zone of ZONES)
        for (const preset of PRESETS) {
          const range = presetRange(preset, now, zone, firstAt)
          for (const kind of KINDS) {
            const scope = { ownerId }
            const planned = await ask(reader, kind, scope, range, zone, 'rollups')
            const times: number[] = []
            for (let i = 0; i < sizes.iterations; i++)
              times.push((await timed(() => ask(reader, kind, scope, range, zone, 'rollups'))).ms)
            times.sort((a, b) => a - b)
            const rawTimes: number[] = []
            let raw: unknown
            for (let i = 0; i < 2; i++) {
              const run = await timed(() => ask(reader, kind, scope, range, zone, 'raw'))
              rawTimes.push(run.ms)
              raw = run.value
            }
            const rawMs = Math.min(...rawTimes)
            const figure: QueryFigure = {
              artist,
              zone,
              preset,
              kind,
              plannerP50Ms: round(percentile(times, 50)),
              plannerP99Ms: round(percentile(times, 99)),
              plannerMaxMs: round(times.at(-1) ?? 0),
              rawMs: round(rawMs),
              speedup: round(rawMs / Math.max(percentile(times, 50), 0.01)),
              equal: JSON.stringify(planned) === JSON.stringify(raw),
            }
            figures.push(figure)
            log(
              `  ${artist} ${zone.padEnd(14)} ${preset.padEnd(3)} ${kind.padEnd(13)} planner p50 ${figure.plannerP50Ms} ms ` +
                `p99 ${figure.plannerP99Ms} ms (max ${figure.plannerMaxMs}), raw ${figure.rawMs} ms (${figure.speedup}x)${figure.equal ? '' : ' DIFFERS'}`,
            )
          }
        }
    }
    const listenerError = await uniqError(client, now)
    const worstP99 = Math.max(...figures.map((f) => f.plannerP99Ms))
    const headLong = figures.filter((f) => f.artist === 'head' && (f.preset === '12m' || f.preset === 'all'))
    const minLongSpeedup = Math.min(...headLong.map((f) => f.speedup))
    const result = {
      sizes,
      load,
      headPlaysLastYear,
      tailArtist: tail,
      bytes: sizesOnDisk,
      listenerError,
      figures,
      summary: {
        worstPlannerP99Ms: worstP99,
        /** How many answers (of figures.length) meet the latency target at p99 and at p50. */
        withinP99Target: figures.filter((f) => f.plannerP99Ms <= TARGET_MS).length,
        withinTargetAtP50: figures.filter((f) => f.plannerP50Ms <= TARGET_MS).length,
        minSpeedupHead12mAndAll: minLongSpeedup,
        allEqual: figures.every((f) => f.equal),
        target: { p99Ms: TARGET_MS, speedup: 50 },
        met: worstP99 <= TARGET_MS && minLongSpeedup >= 50 && figures.every((f) => f.equal),
      },
    }
    const after = afterwards ? await afterwards([client, ...others], result) : undefined
    return { ...result, after }
  } finally {
    for (const other of others) await other.close()
    await client.close()
  }
}

const round = (value: number) => Math.round(value * 100) / 100
/** How long settleParts waits for running merges at most. */
const SETTLE_WAIT_MS = 10 * 60_000

/**
 * Merges each table's parts of a month or year into one, then waits until no merge runs, so that no
 * background merge competes with the timed answers for the two cores. Without it, every run on a kept
 * data set (87 parts of the log) spent its first minutes merging the log's months (15 s of a core
 * each) while the head artist's answers were being timed, and a freshly loaded one likewise. A log
 * month that has settled into one part is what a server holds for all but its newest months.
 * Returns how many partitions had more than one part.
 */
async function settleParts(client: ClickHouseClient): Promise<number> {
  const pending = await client.query({
    query: `SELECT table, count() AS partitions FROM (
              SELECT table, partition_id FROM system.parts
              WHERE database = currentDatabase() AND active GROUP BY table, partition_id HAVING count() > 1)
            GROUP BY table`,
    format: 'JSONEachRow',
  })
  const tables = await pending.json<{ table: string; partitions: number }>()
  for (const { table } of tables)
    await client.command({
      query: `OPTIMIZE TABLE ${quoteIdentifier(table)} FINAL`,
      clickhouse_settings: { optimize_skip_merged_partitions: 1 },
    })
  // OPTIMIZE merges in the statement itself; this only waits out merges already running. Bounded, so
  // that a merge or mutation that never ends cannot hold the benchmark forever.
  const deadline = Date.now() + SETTLE_WAIT_MS
  while (Date.now() < deadline) {
    const running = await client.query({
      query: 'SELECT count() AS n FROM system.merges WHERE database = currentDatabase()',
      format: 'JSONEachRow',
    })
    const [row] = await running.json<{ n: number }>()
    if (Number(row?.n ?? 0) === 0) break
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  return tables.reduce((sum, { partitions }) => sum + Number(partitions), 0)
}

type Load = Awaited<ReturnType<typeof bulkLoad>>
const DATASET_TABLE = 'bench_rollups_dataset'

/**
 * The data set a previous run loaded into this data directory (BENCH_DATA_DIR keeps it; loading takes
 * some 20 minutes), if it was loaded with the same sizes: reused as it is, at the time it was loaded.
 */
async function keptDataset(
  client: ClickHouseClient,
  sizes: RollupBenchSizes,
): Promise<{ loadedAt: number; load: Load } | undefined> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${DATASET_TABLE} (sizes String, loaded_at Int64, load String)
            ENGINE = MergeTree ORDER BY tuple()`,
  })
  const result = await client.query({
    query: `SELECT loaded_at, load FROM ${DATASET_TABLE} WHERE sizes = {sizes:String} LIMIT 1`,
    query_params: { sizes: datasetKey(sizes) },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ loaded_at: number; load: string }>()
  return row ? { loadedAt: Number(row.loaded_at), load: JSON.parse(row.load) as Load } : undefined
}

async function keepDataset(client: ClickHouseClient, sizes: RollupBenchSizes, loadedAt: number, load: Load) {
  await client.insert({
    table: DATASET_TABLE,
    values: [{ sizes: datasetKey(sizes), loaded_at: loadedAt, load: JSON.stringify(load) }],
    format: 'JSONEachRow',
  })
}

/** What makes two data sets the same (the number of timed iterations does not). */
function datasetKey(sizes: RollupBenchSizes): string {
  return JSON.stringify([sizes.headPlays, sizes.tailEvents, sizes.tailArtists])
}

async function bytes(client: ClickHouseClient) {
  const result = await client.query({
    query: `SELECT table, toUInt64(sum(bytes_on_disk)) AS bytes, toUInt64(sum(rows)) AS rows FROM system.parts
            WHERE database = currentDatabase() AND active AND table IN ({tables:Array(String)}) GROUP BY table`,
    query_params: { tables: [TABLES.statsEvents, ...TIERS.map((tier) => tier.table)] },
    format: 'JSONEachRow',
  })
  const rows = await result.json<{ table: string; bytes: number; rows: number }>()
  const of = (table: string) => rows.find((row) => row.table === table)
  const raw = Number(of(TABLES.statsEvents)?.bytes ?? 0)
  const rollup = TIERS.reduce((sum, tier) => sum + Number(of(tier.table)?.bytes ?? 0), 0)
  return { raw, rollups: rollup, rollupShareOfRaw: round(rollup / Math.max(raw, 1)), tables: rows }
}

/** An artist in the tail: ranked a tenth of the way down the catalog (ids start at 2). */
function tailArtist(artists: number): number {
  return 1 + Math.floor(artists / 10)
}

/** uniqHLL12 against uniqExact: per day for the head artist over the last 30 days, and for 200 artists. */
async function uniqError(client: ClickHouseClient, now: number) {
  const result = await client.query({
    query: `SELECT max(abs(e)) AS max, avg(abs(e)) AS mean, count() AS samples FROM (
              SELECT (uniqHLL12If(listener, type = 'play' AND listener != '') - uniqExactIf(listener, type = 'play' AND listener != ''))
                     / greatest(uniqExactIf(listener, type = 'play' AND listener != ''), 1) AS e
              FROM ${TABLES.statsEvents}
              WHERE (owner_id = ${HEAD} AND occurred_at >= fromUnixTimestamp64Milli(toInt64(${now - 30 * DAY}), 'UTC'))
                 OR (owner_id BETWEEN 2 AND 201)
              GROUP BY owner_id, if(owner_id = ${HEAD}, toDate(occurred_at), toDate(0)))`,
    format: 'JSONEachRow',
    clickhouse_settings: { max_threads: 2 },
  })
  const [row] = await result.json<{ max: number; mean: number; samples: number }>()
  return {
    maxRelative: round(Number(row?.max ?? 0)),
    meanRelative: Number(Number(row?.mean ?? 0).toFixed(4)),
    samples: Number(row?.samples ?? 0),
  }
}
