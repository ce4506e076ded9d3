// Benchmark: search latency p50/p99 and throughput at a steady 200 requests/s on an index of 100,000+
// tracks, through the API over HTTP beside the very same Elasticsearch requests sent straight from
// this process, alternated in one run. Targets: API p99 at most 30 ms, and at most 1.3x Elasticsearch's.
import type { Client } from '@elastic/elasticsearch'
import { createApp } from '../api/app.js'
import { trackParams, trackSearchRequest } from '../api/search.routes.js'
import { listen } from '../api/server.js'
import type { Config } from '../src/config.js'
import { createElasticsearchClient } from '../src/elasticsearch/client.js'
import { silentLogger } from '../src/logger.js'
import { random } from '../src/workload/stats-workload.js'
import { indexCatalog } from '../test/support/catalog-index.js'
import { JUDGEMENTS, relevanceCatalog, WORDS } from '../test/support/relevance-catalog.js'

export interface SearchBenchOptions {
  tracks: number
  ratePerSecond: number
  secondsPerRound: number
  rounds: number
}

interface Latencies {
  p50Ms: number
  p99Ms: number
  requests: number
  achievedPerSecond: number
  errors: number
}

async function load(
  es: Client,
  aliases: { tracks: string; users: string },
  count: number,
  log: (l: string) => void,
) {
  const catalog = relevanceCatalog(count)
  await indexCatalog(es, aliases, catalog, (indexed) => log(`    indexed ${indexed} tracks`))
  await es.indices.forcemerge({ index: aliases.tracks, max_num_segments: 1 })
  return catalog.tracks.length
}

/** Search boxes' inputs: the judged queries, one to three catalog words, and prefixes of them. */
function queries(count: number): string[] {
  const rand = random(7)
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)] as T
  return Array.from({ length: count }, () => {
    const kind = rand()
    if (kind < 0.4) return pick(JUDGEMENTS).q
    const words = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(WORDS).toLowerCase()).join(
      ' ',
    )
    return kind < 0.8 ? words : words.slice(0, Math.max(2, Math.floor(words.length * rand())))
  })
}

/** Sends `ask(q)` at a steady rate (open loop: a slow answer does not delay the next request). */
async function steady(
  rate: number,
  seconds: number,
  inputs: string[],
  ask: (q: string) => Promise<void>,
): Promise<Latencies> {
  const total = rate * seconds
  const times: number[] = []
  let errors = 0
  const started = performance.now()
  const pending: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const q = inputs[i % inputs.length] as string
    const sent = performance.now()
    pending.push(
      ask(q).then(
        () => {
          times.push(performance.now() - sent)
        },
        () => {
          errors++
        },
      ),
    )
  }
  await Promise.all(pending)
  const elapsed = (performance.now() - started) / 1000
  times.sort((a, b) => a - b)
  const at = (p: number) =>
    Math.round((times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] ?? 0) * 10) / 10
  return {
    p50Ms: at(50),
    p99Ms: at(99),
    requests: times.length,
    achievedPerSecond: Math.round(times.length / elapsed),
    errors,
  }
}

function merge(rounds: Latencies[]): Latencies {
  return {
    p50Ms: Math.max(...rounds.map((r) => r.p50Ms)),
    p99Ms: Math.max(...rounds.map((r) => r.p99Ms)),
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    achievedPerSecond: Math.min(...rounds.map((r) => r.achievedPerSecond)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  }
}

export async function benchSearch(config: Config, options: SearchBenchOptions, log: (line: string) => void) {
  const es = createElasticsearchClient({ url: config.elasticsearch.url })
  const base = `bench-search-${Date.now().toString(36)}`
  const aliases = { tracks: `${base}-tracks`, users: `${base}-users` }
  try {
    const indexed = await load(es, aliases, options.tracks, log)
    const app = createApp({ logger: silentLogger, readiness: {}, search: { es, aliases } })
    const server = await listen(app, { port: 0, host: '127.0.0.1' })
    const inputs = queries(5_000)
    const viaApi = async (q: string) => {
      const response = await fetch(
        `http://127.0.0.1:${server.port}/v1/search/tracks?q=${encodeURIComponent(q)}&limit=20`,
      )
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
    }
    const direct = async (q: string) => {
      await es.search(trackSearchRequest(trackParams.parse({ q, limit: '20' }), aliases.tracks))
    }
    // Warm both paths, then alternate rounds so drift on this noisy machine hits both alike.
    for (const q of inputs.slice(0, 300)) await Promise.all([viaApi(q), direct(q)])
    const api: Latencies[] = []
    const alone: Latencies[] = []
    try {
      for (let round = 0; round < options.rounds; round++) {
        alone.push(await steady(options.ratePerSecond, options.secondsPerRound, inputs, direct))
        log(`    Elasticsearch alone: ${JSON.stringify(alone.at(-1))}`)
        api.push(await steady(options.ratePerSecond, options.secondsPerRound, inputs, viaApi))
        log(`    through the API:     ${JSON.stringify(api.at(-1))}`)
      }
    } finally {
      await server.close()
    }
    const viaApiFigures = merge(api)
    const esFigures = merge(alone)
    const ratioP99 = Math.round((viaApiFigures.p99Ms / Math.max(esFigures.p99Ms, 0.1)) * 100) / 100
    const ratioP50 = Math.round((viaApiFigures.p50Ms / Math.max(esFigures.p50Ms, 0.1)) * 100) / 100
    return {
      tracks: indexed,
      ratePerSecond: options.ratePerSecond,
      api: viaApiFigures,
      elasticsearch: esFigures,
      ratioP50,
      ratioP99,
      rounds: { api, elasticsearch: alone },
      target: { p99Ms: 30, ratio: 1.3 },
      met: viaApiFigures.p99Ms <= 30 && ratioP99 <= 1.3,
    }
  } finally {
    await es.indices.delete({ index: `${base}-*`, ignore_unavailable: true })
    await es.close()
  }
}
