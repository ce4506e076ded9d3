// npm run bench: starts what is missing (as `services up` does), runs the benchmarks on a scratch data
// directory, prints the figures and writes them to bench/results/<name>.json (machine-readable, with
// the machine it ran on). Sizes can be scaled down for a quick look: BENCH_SCALE=0.1 npm run bench.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/logger.js'
import { projectRoot } from '../src/paths.js'
import { servicesUp } from '../src/services/local-services.js'
import { benchBrokerAcks } from './broker-acks.bench.js'
import { benchIndexer } from './indexer.bench.js'
import { benchLogInsert } from './log-insert.bench.js'
import { benchRollups } from './rollups.bench.js'
import { benchSearch } from './search.bench.js'
import { benchStatsIngest } from './stats-ingest.bench.js'
import { benchOverload, benchStatsPage } from './stats-page.bench.js'

const scale = Number(process.env.BENCH_SCALE ?? '1')
const only = process.argv[2]
// BENCH_DATA_DIR keeps the data directory (and the rollups data set loaded into it) for the next run.
const keptDir = process.env.BENCH_DATA_DIR
const dataDir = keptDir ?? mkdtempSync(path.join(os.tmpdir(), 'search-stats-bench-'))
const config = loadConfig({ ...process.env, DATA_DIR: dataDir })
const logger = createLogger({ level: 'warn', destination: 2 })
const resultsDir = path.join(projectRoot(), 'bench', 'results')
mkdirSync(resultsDir, { recursive: true })

const machine = {
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.versions.node,
  at: new Date().toISOString(),
}

function save(name: string, results: unknown): void {
  const file = path.join(resultsDir, `${name}.json`)
  writeFileSync(file, `${JSON.stringify({ machine, scale, results }, null, 2)}\n`)
  console.log(`  -> ${path.relative(projectRoot(), file)}`)
}

try {
  await servicesUp(config, logger)
  if (!only || only === 'stats-ingest') {
    console.log('stats ingest (broker -> ClickHouse log)')
    const results = await benchStatsIngest(
      config,
      { singleEvents: Math.round(100_000 * scale), batchedEvents: Math.round(1_000_000 * scale), rounds: 3 },
      (line) => console.log(line),
    )
    for (const r of results) {
      console.log(
        `  ${r.perMessage}/msg over ${r.spread}: writer ${Math.round(r.rates.writer)}/s = ${(100 * r.shareOfLowerCeiling).toFixed(0)}% of the ` +
          `lower ceiling (target ${r.target.eventsPerSecond}/s and 60%): ${r.met ? 'met' : 'NOT met'}; ` +
          `CPU per event: writer ${r.cpuUsPerEvent.writer} us, ack-and-discard ${r.cpuUsPerEvent.ackAndDiscard} us, ` +
          `direct insert ${r.cpuUsPerEvent.directInsert} us`,
      )
    }
    save('stats-ingest', results)
  }
  if (!only || only === 'log-insert') {
    console.log("log inserts (direct, 50,000 rows each): what each tier's view costs")
    const result = await benchLogInsert(
      config,
      { events: Math.round(300_000 * scale), batchRows: 50_000, rounds: 3 },
      (line) => console.log(line),
    )
    for (const spread of result.spreads) {
      const rates = Object.entries(spread.rates)
        .map(([name, rate]) => `${name} ${Math.round(rate)}/s`)
        .join(', ')
      const costs = Object.entries(spread.viewCostUs)
        .map(([name, us]) => `${name} ${us} us`)
        .join(', ')
      console.log(`  ${spread.spread}: ${rates}\n    per event, each view: ${costs}`)
    }
    save('log-insert', result)
  }
  if (!only || only === 'broker-acks') {
    console.log(
      'broker acks (one multiple ack per batch, out of order one by one, through AckCoalescer; channel or consumer prefetch)',
    )
    save(
      'broker-acks',
      await benchBrokerAcks(config, { messages: Math.round(30_000 * scale) }, (line) => console.log(line)),
    )
  }
  if (!only || only === 'indexer') {
    console.log('search indexer (broker -> Elasticsearch)')
    const result = await benchIndexer(
      config,
      {
        events: Math.round(30_000 * scale),
        // Five: a round's share of the bulk rate ranged from 0.44 to 0.78 on one day, so three left
        // the median to chance.
        rounds: 5,
        latencyEvents: Math.round(3_000 * scale),
        latencyRate: 300,
      },
      (line) => console.log(line),
    )
    console.log(
      `  median ${Math.round(result.indexerEventsPerSecond)} events/s = ${(100 * result.shareOfRawBulk).toFixed(0)}% of raw bulk, ` +
        `p99 ${result.latency.p99Ms} ms (targets 5000/s, 70%, 2000 ms): ${result.met ? 'met' : 'NOT met'}`,
    )
    const cpu = result.cpuUsPerEvent
    console.log(
      `  CPU per event, all processes: indexer ${cpu.indexer} us, bulk helper ${cpu.rawBulk} us ` +
        `(a share of ${(100 * cpu.shareAllowed).toFixed(0)}% if both kept the cores equally busy)`,
    )
    save('indexer', result)
  }
  if (!only || only === 'rollups') {
    console.log('rollups (range planner against raw-log scans)')
    const result = await benchRollups(
      config,
      {
        headPlays: Math.round(100_000_000 * scale),
        tailEvents: Math.round(20_000_000 * scale),
        tailArtists: 10_000,
        // A hundred: the nearest-rank p99 of 30 timings is their slowest, which one stall decides.
        iterations: 100,
      },
      (line) => console.log(line),
      async (clients, rollups) => {
        save('rollups', rollups)
        console.log('stats page (one round trip, HTTP, concurrent) for the head artist in its zone')
        const page = []
        for (const concurrency of [1, 2, 4]) {
          page.push(
            await benchStatsPage(
              clients,
              { artist: 1, zone: 'Europe/Berlin', requests: 100, concurrency },
              (line) => console.log(line),
            ),
          )
        }
        save('stats-page', page)
        // Twice the 30-day pages a second that four concurrent clients got answered, offered open loop.
        const answeredPerSecond =
          page.at(-1)?.figures.find((f) => f.preset === '30d')?.requestsPerSecond ?? 10
        console.log('stats page over capacity (open loop), with and without admission limits')
        save(
          'stats-page-overload',
          await benchOverload(
            clients,
            {
              artist: 1,
              zone: 'Europe/Berlin',
              preset: '30d',
              perSecond: Math.round(2 * answeredPerSecond),
              seconds: 20,
            },
            (line) => console.log(line),
          ),
        )
        return page
      },
    )
    const { after: _page, ...rollups } = result
    const s = rollups.summary
    console.log(
      `  worst planner p99 ${s.worstPlannerP99Ms} ms (${s.withinP99Target} of ${rollups.figures.length} within 25 ms; ` +
        `${s.withinTargetAtP50} at p50), slowest head 12m/all speedup ${s.minSpeedupHead12mAndAll}x, ` +
        `answers ${s.allEqual ? 'all equal to' : 'DIFFERENT from'} the raw log; rollups ${rollups.bytes.rollupShareOfRaw}x raw bytes ` +
        `(targets 25 ms, 50x): ${s.met ? 'met' : 'NOT met'}`,
    )
  }
  if (!only || only === 'search') {
    console.log('search latency (API beside Elasticsearch alone, 200 requests/s)')
    const result = await benchSearch(
      config,
      {
        tracks: Math.max(3_000, Math.round(100_000 * scale)),
        ratePerSecond: 200,
        secondsPerRound: 15,
        rounds: 4,
      },
      (line) => console.log(line),
    )
    console.log(
      `  API p50 ${result.api.p50Ms} ms p99 ${result.api.p99Ms} ms; Elasticsearch alone p50 ${result.elasticsearch.p50Ms} ms ` +
        `p99 ${result.elasticsearch.p99Ms} ms; p99 ratio ${result.ratioP99} (targets 30 ms, 1.3x): ${result.met ? 'met' : 'NOT met'}`,
    )
    save('search', result)
  }
} finally {
  if (!keptDir) rmSync(dataDir, { recursive: true, force: true })
}
process.exit(0)
