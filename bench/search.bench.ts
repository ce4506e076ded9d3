// Benchmark: search latency p50/p99 and throughput at a steady 200 requests/s on an index of 100,000+
// tracks, through the API over HTTP beside the very same Elasticsearch requests sent straight from
// this process, alternated in one run. Targets: API p99 at most 30 ms, and at most 1.3x Elasticsearch's.
// The API runs as it does in production: the compiled command line (built first, as `npm install`
// builds it), in its own process (`serve --role api`), so the load generator and the server do not
// share one event loop. Both paths are sent with the same HTTP client, undici's (the Elasticsearch
// client's own), so the difference is the API's.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Client } from '@elastic/elasticsearch'
import { Pool } from 'undici'
import { trackParams, trackSearchRequest } from '../api/search.routes.js'
import type { Config } from '../src/config.js'
import { createElasticsearchClient } from '../src/elasticsearch/client.js'
import { projectRoot } from '../src/paths.js'
import { random } from '../src/workload/stats-workload.js'
import { indexCatalog } from '../test/support/catalog-index.js'
import { JUDGEMENTS, relevanceCatalog, WORDS } from '../test/support/relevance-catalog.js'
import { percentile } from './percentile.js'

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

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** `search-stats serve --role api` over the benchmark's aliases, once it answers /healthz. */
async function startApi(
  config: Config,
  indexPrefix: string,
): Promise<{ port: number; stop: () => Promise<void> }> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot(), stdio: 'inherit' })
  const port = await freePort()
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'search-stats-bench-api-'))
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'search-stats.js'), 'serve', '--role', 'api'],
    {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        ELASTICSEARCH_URL: config.elasticsearch.url,
        ELASTICSEARCH_INDEX_PREFIX: indexPrefix,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    child.kill('SIGTERM')
    await exited
    rmSync(dataDir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode}`)
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) return { port, stop }
    if (Date.now() > deadline) {
      await stop()
      throw new Error('the API process did not answer /healthz within 60 s')
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
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
): Promise<Round> {
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
  return { times, seconds: (performance.now() - started) / 1000, errors }
}

interface Round {
  times: number[]
  seconds: number
  errors: number
}

/** Percentiles over every request of the given rounds together. */
function summarize(rounds: Round[]): Latencies {
  const times = rounds.flatMap((r) => r.times).sort((a, b) => a - b)
  const at = (p: number) => Math.round(percentile(times, p) * 10) / 10
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0)
  return {
    p50Ms: at(50),
    p99Ms: at(99),
    requests: times.length,
    achievedPerSecond: Math.round(times.length / seconds),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  }
}

export async function benchSearch(config: Config, options: SearchBenchOptions, log: (line: string) => void) {
  const es = createElasticsearchClient({ url: config.elasticsearch.url })
  const base = `bench-search-${Date.now().toString(36)}`
  const aliases = { tracks: `${base}-tracks`, users: `${base}-users` }
  try {
    const indexed = await load(es, aliases, options.tracks, log)
    const server = await startApi(config, `${base}-`)
    const inputs = queries(5_000)
    const pool = new Pool(`http://127.0.0.1:${server.port}`, { connections: 256 })
    const viaApi = async (q: string) => {
      const response = await pool.request({
        method: 'GET',
        path: `/v1/search/tracks?q=${encodeURIComponent(q)}&limit=20`,
      })
      await response.body.arrayBuffer()
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`)
    }
    const direct = async (q: string) => {
      await es.search(trackSearchRequest(trackParams.parse({ q, limit: '20' }), aliases.tracks))
    }
    // Warm both paths, then alternate rounds so drift on this noisy machine hits both alike.
    for (const q of inputs.slice(0, 300)) await Promise.all([viaApi(q), direct(q)])
    const api: Round[] = []
    const alone: Round[] = []
    try {
      for (let round = 0; round < options.rounds; round++) {
        alone.push(await steady(options.ratePerSecond, options.secondsPerRound, inputs, direct))
        log(`    Elasticsearch alone: ${JSON.stringify(summarize(alone.slice(-1)))}`)
        api.push(await steady(options.ratePerSecond, options.secondsPerRound, inputs, viaApi))
        log(`    through the API:     ${JSON.stringify(summarize(api.slice(-1)))}`)
      }
    } finally {
      await pool.close()
      await server.stop()
    }
    const viaApiFigures = summarize(api)
    const esFigures = summarize(alone)
    const ratioP99 = Math.round((viaApiFigures.p99Ms / Math.max(esFigures.p99Ms, 0.1)) * 100) / 100
    const ratioP50 = Math.round((viaApiFigures.p50Ms / Math.max(esFigures.p50Ms, 0.1)) * 100) / 100
    return {
      tracks: indexed,
      ratePerSecond: options.ratePerSecond,
      api: viaApiFigures,
      elasticsearch: esFigures,
      ratioP50,
      ratioP99,
      rounds: { api: api.map((r) => summarize([r])), elasticsearch: alone.map((r) => summarize([r])) },
      target: { p99Ms: 30, ratio: 1.3 },
      met: viaApiFigures.p99Ms <= 30 && ratioP99 <= 1.3,
    }
  } finally {
    await es.indices.delete({ index: `${base}-*`, ignore_unavailable: true })
    await es.close()
  }
}
