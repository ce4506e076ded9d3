// search-stats rollups list|status|backfill|rebuild|verify|zones: the data engineers' jobs on the tiers.
import { Command, Option } from 'commander'
import { openClickHouseForJob } from '../src/cli/clickhouse-job.js'
import { action, commandContext } from '../src/cli/context.js'
import { progress } from '../src/cli/progress.js'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { backfill, selectTiers, yearsOf } from './backfill.js'
import { CalendarError, parseBound } from './calendar.js'
import { rollupInventory } from './inventory.js'
import { migrate } from './migrate.js'
import { TABLES } from './tables.js'
import { TIERS } from './tier-sources.js'
import { verifyTier } from './verify.js'
import { listZonePhases, markReady, registerZones } from './zone-days.js'

async function withClickHouse<T>(name: string, body: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const { config } = commandContext(`rollups-${name}`)
  const client = await openClickHouseForJob(config, `search-stats-rollups-${name}`)
  try {
    await migrate(client)
    return await body(client)
  } finally {
    await client.close()
  }
}

/** --from/--to: a UTC date (YYYY-MM-DD) or an ISO-8601 instant; a clear error otherwise. */
function range(opts: { from: string; to: string }): { from: number; to: number } {
  try {
    const from = parseBound(opts.from, 'UTC', '--from')
    const to = parseBound(opts.to, 'UTC', '--to')
    if (from >= to) throw new Error(`--from (${opts.from}) must be before --to (${opts.to})`)
    return { from, to }
  } catch (err) {
    if (err instanceof CalendarError) throw new Error(err.message)
    throw err
  }
}

const rollupOption = () =>
  new Option('--rollup <name...>', 'only these tiers').choices(TIERS.map((tier) => tier.name))

const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`

export function rollupsCommand(): Command {
  const rollups = new Command('rollups').description(
    'the rollup tiers: list, status and lag, backfill or rebuild from the raw log, verify against it',
  )

  rollups
    .command('list')
    .description('the tiers with their buckets, rows, bytes and freshness')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) =>
        withClickHouse('list', async (client) => {
          const inventory = await rollupInventory(client)
          if (opts.json) {
            console.log(JSON.stringify(inventory, null, 2))
            return 0
          }
          const { log } = inventory
          console.log(
            `raw log   ${log.table.padEnd(18)} ${String(log.rows).padStart(12)} rows ${megabytes(log.bytes).padStart(10)}` +
              `  newest logged ${log.newestLoggedAt ?? '-'}`,
          )
          for (const tier of inventory.tiers) {
            const ratio = log.bytes > 0 ? ` (${((tier.bytes / log.bytes) * 100).toFixed(1)}% of the log)` : ''
            console.log(
              `${tier.name.padEnd(9)} ${tier.table.padEnd(18)} ${String(tier.rows).padStart(12)} rows ` +
                `${megabytes(tier.bytes).padStart(10)}${ratio}  buckets ${tier.buckets}`,
            )
          }
          return 0
        }),
      ),
    )

  rollups
    .command('status')
    .description(
      'whether the views are in place and how far the tiers lag the log (exit 1 if a view is missing)',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) =>
        withClickHouse('status', async (client) => {
          const inventory = await rollupInventory(client)
          const missing = inventory.tiers.filter((tier) => !tier.viewPresent)
          if (opts.json)
            console.log(JSON.stringify({ ...inventory, missingViews: missing.map((t) => t.view) }))
          else {
            for (const tier of inventory.tiers)
              console.log(
                `${tier.name.padEnd(8)} view ${tier.view}: ${tier.viewPresent ? 'present' : 'MISSING'}`,
              )
            console.log(
              inventory.lagMs === null
                ? 'lag: the log is empty'
                : `lag: ${inventory.lagMs} ms behind the log (newest logged ${inventory.log.newestLoggedAt})`,
            )
          }
          return missing.length > 0 ? 1 : 0
        }),
      ),
    )

  const runBackfill = async (name: string, from: number, to: number, tiers: string[] | undefined) => {
    return withClickHouse(name, async (client) => {
      const years = yearsOf(from, to)
      const bar = progress(`rollups ${name}`, years.length)
      const result = await backfill(client, {
        from,
        to,
        tiers,
        onPartition: (done, _total, year) => bar.step(done, year),
      })
      bar.end()
      console.log(
        `recomputed ${result.years.length} year(s) ${result.years.join(', ')} of ${result.tiers.join(', ')} ` +
          'from the raw log',
      )
      return 0
    })
  }

  rollups
    .command('backfill')
    .description(
      'recompute the years (tier partitions) that [from, to) touches from the raw log; swap each in atomically',
    )
    .requiredOption('--from <when>', 'a UTC date (YYYY-MM-DD) or an ISO-8601 instant (inclusive)')
    .requiredOption('--to <when>', 'a UTC date or an ISO-8601 instant (exclusive)')
    .addOption(rollupOption())
    .action(
      action(async (opts: { from: string; to: string; rollup?: string[] }) => {
        const { from, to } = range(opts)
        selectTiers(opts.rollup)
        return runBackfill('backfill', from, to, opts.rollup)
      }),
    )

  /** [first event, last event] of the log, or undefined when it is empty. */
  const logSpan = (client: ClickHouseClient) =>
    client
      .query({
        query: `SELECT toUnixTimestamp64Milli(min(occurred_at)) AS first, toUnixTimestamp64Milli(max(occurred_at)) AS last,
                  count() AS n FROM ${TABLES.statsEvents}`,
        format: 'JSONEachRow',
      })
      .then((result) => result.json<{ first: number; last: number; n: number }>())
      .then(([span]) =>
        span && Number(span.n) > 0 ? { from: Number(span.first), to: Number(span.last) + 1 } : undefined,
      )

  const zones = rollups
    .command('zones')
    .description(
      'time zones whose days the tiers keep whole (one listener state per local day: fast daily series)',
    )
  zones
    .command('list')
    .description('the registered zones, the minutes of the UTC day their days begin at, and whether ready')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) =>
        withClickHouse('zones-list', async (client) => {
          const phases = await listZonePhases(client)
          if (opts.json) console.log(JSON.stringify(phases))
          else if (phases.length === 0) console.log('no zones registered: local days are made of UTC buckets')
          else
            for (const row of phases)
              console.log(
                `${row.zone.padEnd(24)} days from ${String(Math.floor(row.phase / 60)).padStart(2, '0')}:` +
                  `${String(row.phase % 60).padStart(2, '0')} UTC  ${row.ready ? 'ready' : 'NOT READY (run zones add again)'}`,
              )
          return 0
        }),
      ),
    )
  zones
    .command('add')
    .description('register zones: their days are written from now on, the history is backfilled, then used')
    .argument('<zone...>', 'IANA time zones, e.g. Europe/Berlin Asia/Kathmandu')
    .action(
      action(async (names: string[]) =>
        withClickHouse('zones-add', async (client) => {
          const phases = await registerZones(client, names)
          const span = await logSpan(client)
          if (span) {
            const years = yearsOf(span.from, span.to)
            const bar = progress('rollups zones add', years.length)
            await backfill(client, {
              ...span,
              tiers: ['counts'],
              onPartition: (done, _total, year) => bar.step(done, year),
            })
            bar.end()
          }
          await markReady(client, phases)
          console.log(
            `${names.join(', ')}: whole days from ${phases.length} minute(s) of the UTC day, ready` +
              (phases.length === 0 ? ' (their days are UTC days already)' : ''),
          )
          return 0
        }),
      ),
    )

  rollups
    .command('rebuild')
    .description('recompute every year the raw log holds (a backfill over all of it)')
    .addOption(rollupOption())
    .action(
      action(async (opts: { rollup?: string[] }) => {
        const span = await withClickHouse('rebuild-range', logSpan)
        if (!span) {
          console.log('the raw log is empty: nothing to rebuild')
          return 0
        }
        return runBackfill('rebuild', span.from, span.to, opts.rollup)
      }),
    )

  rollups
    .command('verify')
    .description('compare every tier bucket inside [from, to) with the raw log (exit 1 on any difference)')
    .requiredOption('--from <when>', 'a UTC date (YYYY-MM-DD) or an ISO-8601 instant (inclusive)')
    .requiredOption('--to <when>', 'a UTC date or an ISO-8601 instant (exclusive)')
    .addOption(rollupOption())
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { from: string; to: string; rollup?: string[]; json?: boolean }) => {
        const { from, to } = range(opts)
        return withClickHouse('verify', async (client) => {
          const tiers = selectTiers(opts.rollup)
          const bar = progress('rollups verify', tiers.length)
          const results = []
          for (const [i, tier] of tiers.entries()) {
            results.push(await verifyTier(client, tier, from, to))
            bar.step(i + 1, tier.name)
          }
          bar.end()
          if (opts.json) console.log(JSON.stringify(results))
          else
            for (const result of results) {
              console.log(
                `${result.tier}: ${result.buckets} buckets, ${result.differences} differ from the raw log`,
              )
              for (const example of result.examples) console.log(`  ${JSON.stringify(example)}`)
            }
          return results.some((result) => result.differences > 0) ? 1 : 0
        })
      }),
    )

  return rollups
}
