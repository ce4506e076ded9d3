// Benchmark: the stats page's one-round-trip endpoint over HTTP, under concurrent load, for the head
// artist of the rollups benchmark (same data directory, same run), over each preset, in its own zone.
// Target: p99 at most 50 ms.
import type { AdmissionLimits } from '../api/admission.js'
import { createApp } from '../api/app.js'
import { listen } from '../api/server.js'
import { PRESETS } from '../rollups/calendar.js'
import { StatsReader } from '../rollups/stats-reader.js'
import { mintToken, TokenVerifier } from '../src/auth/tokens.js'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { silentLogger } from '../src/logger.js'
import { percentile } from './percentile.js'

export interface PageFigure {
  preset: string
  requests: number
  concurrency: number
  p50Ms: number
  p99Ms: number
  requestsPerSecond: number
}

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'

/** The API's stats routes on a port of their own (admission: STATS_ADMISSION unless given). */
async function serveStats(reader: StatsReader, admission?: AdmissionLimits) {
  const verifier = new TokenVerifier({ secret: SECRET })
  const app = createApp({ logger: silentLogger, readiness: {}, stats: { reader, verifier, admission } })
  return listen(app, { port: 0, host: '127.0.0.1' })
}

const pageUrl = (port: number, artist: number, preset: string, zone: string) =>
  `http://127.0.0.1:${port}/v1/stats/artists/${artist}/page?preset=${preset}&tz=${encodeURIComponent(zone)}`

export async function benchStatsPage(
  clients: ClickHouseClient[],
  options: { artist: number; zone: string; requests: number; concurrency: number },
  log: (line: string) => void,
) {
  const server = await serveStats(new StatsReader(clients))
  const token = await mintToken(SECRET, { userId: options.artist })
  const figures: PageFigure[] = []
  try {
    for (const preset of PRESETS) {
      const url = pageUrl(server.port, options.artist, preset, options.zone)
      const ask = async () => {
        const started = performance.now()
        const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } })
        await response.arrayBuffer()
        if (response.status !== 200) throw new Error(`${preset}: HTTP ${response.status}`)
        return performance.now() - started
      }
      for (let i = 0; i < 3; i++) await ask()
      const times: number[] = []
      let next = 0
      const started = performance.now()
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (next++ < options.requests) times.push(await ask())
        }),
      )
      const seconds = (performance.now() - started) / 1000
      times.sort((a, b) => a - b)
      const figure = {
        preset,
        requests: times.length,
        concurrency: options.concurrency,
        p50Ms: Math.round(percentile(times, 50) * 10) / 10,
        p99Ms: Math.round(percentile(times, 99) * 10) / 10,
        requestsPerSecond: Math.round((times.length / seconds) * 10) / 10,
      }
      figures.push(figure)
      log(
        `  page ${preset.padEnd(3)} ${options.zone}: p50 ${figure.p50Ms} ms, p99 ${figure.p99Ms} ms, ` +
          `${figure.requestsPerSecond} req/s at concurrency ${options.concurrency}`,
      )
    }
  } finally {
    await server.close()
  }
  const worst = Math.max(...figures.map((figure) => figure.p99Ms))
  return {
    artist: options.artist,
    zone: options.zone,
    figures,
    worstP99Ms: worst,
    target: { p99Ms: 50 },
    met: worst <= 50,
  }
}

export interface OverloadFigure {
  /** Whether the API's admission limits were on (STATS_ADMISSION) or lifted. */
  admission: 'on' | 'off'
  offeredPerSecond: number
  seconds: number
  answered: number
  answeredP50Ms: number
  answeredP99Ms: number
  shed: number
  shedP50Ms: number
}

/**
 * The page under more load than it can answer: requests arrive at a fixed rate (open loop, as
 * people do, not waiting for each other), once with the API's admission limits and once without.
 * With them, what is answered stays quick and the rest is shed at once; without, every answer waits
 * behind all that arrived before it.
 */
export async function benchOverload(
  clients: ClickHouseClient[],
  options: { artist: number; zone: string; preset: string; perSecond: number; seconds: number },
  log: (line: string) => void,
): Promise<OverloadFigure[]> {
  const token = await mintToken(SECRET, { userId: options.artist })
  const reader = new StatsReader(clients)
  const figures: OverloadFigure[] = []
  for (const admission of ['on', 'off'] as const) {
    const server = await serveStats(
      reader,
      admission === 'off' ? { maxInFlight: Number.MAX_SAFE_INTEGER, maxQueued: 0, maxWaitMs: 0 } : undefined,
    )
    try {
      const url = pageUrl(server.port, options.artist, options.preset, options.zone)
      const answered: number[] = []
      const shed: number[] = []
      const ask = async () => {
        const started = performance.now()
        const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } })
        await response.arrayBuffer()
        const ms = performance.now() - started
        if (response.status === 200) answered.push(ms)
        else if (response.status === 503) shed.push(ms)
        else throw new Error(`overload: HTTP ${response.status}`)
      }
      const total = Math.round(options.perSecond * options.seconds)
      const started = performance.now()
      const asked: Promise<void>[] = []
      for (let i = 0; i < total; i++) {
        const wait = started + (i * 1000) / options.perSecond - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        asked.push(ask())
      }
      await Promise.all(asked)
      answered.sort((a, b) => a - b)
      shed.sort((a, b) => a - b)
      const figure: OverloadFigure = {
        admission,
        offeredPerSecond: options.perSecond,
        seconds: options.seconds,
        answered: answered.length,
        answeredP50Ms: Math.round(percentile(answered, 50)),
        answeredP99Ms: Math.round(percentile(answered, 99)),
        shed: shed.length,
        shedP50Ms: Math.round(percentile(shed, 50)),
      }
      figures.push(figure)
      log(
        `  overload ${options.preset} at ${options.perSecond}/s for ${options.seconds} s, admission ${admission}: ` +
          `${figure.answered} answered (p50 ${figure.answeredP50Ms} ms, p99 ${figure.answeredP99Ms} ms), ` +
          `${figure.shed} shed (p50 ${figure.shedP50Ms} ms)`,
      )
    } finally {
      await server.close()
    }
  }
  return figures
}
