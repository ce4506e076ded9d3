// Benchmark: model events indexed per second through the search indexer (queue pre-filled), beside the
// raw bulk-index rate of the same documents through the client's bulk helper, in the same run; and
// event-to-searchable latency (p50, p99) at a steady publishing rate, measured by polling search.
import type { Client } from '@elastic/elasticsearch'
import { trackDocument } from '../indexers/documents.js'
import { trackIndex } from '../indexers/mappings.js'
import { ModelIndexer } from '../indexers/model-indexer.js'
import { stateOfChange } from '../indexers/record-state.js'
import { AmqpConnection } from '../src/amqp/connection.js'
import { ConfirmPublisher } from '../src/amqp/publisher.js'
import { declareTopology } from '../src/amqp/topology.js'
import type { Config } from '../src/config.js'
import { parseModelEvent } from '../src/contracts/model-events.js'
import { topology } from '../src/contracts/topology.js'
import { createElasticsearchClient } from '../src/elasticsearch/client.js'
import { silentLogger } from '../src/logger.js'
import { ModelEventPublisher } from '../src/publishing/model-events.publisher.js'

export interface IndexerBenchResult {
  events: number
  indexerEventsPerSecond: number
  rawBulkDocsPerSecond: number
  shareOfRawBulk: number
  latency: { events: number; ratePerSecond: number; p50Ms: number; p99Ms: number; maxMs: number }
  targets: { eventsPerSecond: number; shareOfRawBulk: number; p99Ms: number }
  met: boolean
}

function track(id: number): Record<string, unknown> {
  return {
    id,
    user_id: 1 + (id % 200),
    title: `Benchmark Track ${id} ${['Midnight', 'Sunrise', 'Ocean', 'Neon'][id % 4]}`,
    permalink: `benchmark-track-${id}`,
    description: 'generated for the indexer benchmark',
    genre: ['Electronic', 'Hip Hop', 'Rock', 'Jazz'][id % 4],
    tag_list: 'bench "hip hop" synth',
    duration: 120_000 + (id % 180_000),
    sharing: 'public',
    state: 'finished',
    streamable: true,
    downloadable: false,
    license: 'all-rights-reserved',
    label_name: null,
    release_date: null,
    bpm: 90 + (id % 60),
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0

export async function benchIndexer(
  config: Config,
  options: { events: number; latencyEvents: number; latencyRate: number },
  log: (line: string) => void,
): Promise<IndexerBenchResult> {
  const runId = `bench-idx-${Date.now().toString(36)}`
  const names = topology(`${runId}.`)
  const es = createElasticsearchClient({ url: config.elasticsearch.url })
  const connection = new AmqpConnection({ url: config.amqp.url, logger: silentLogger })
  await connection.start()
  const model = await connection.waitForConnection(5_000)
  const setup = await model.createChannel()
  await declareTopology(setup, names)
  const publisher = await ConfirmPublisher.create(connection)
  const models = new ModelEventPublisher(publisher, names.exchanges.models)
  const aliases = { tracks: `${runId}-tracks`, users: `${runId}-users` }
  try {
    // 1. The indexer draining a pre-filled queue.
    const pending = new Set<Promise<void>>()
    for (let id = 1; id <= options.events; id++) {
      const p = models.create('Track', track(id))
      pending.add(p)
      void p.finally(() => pending.delete(p))
      if (pending.size >= 500) await Promise.race(pending)
    }
    await Promise.all(pending)
    const indexer = new ModelIndexer({
      connection,
      queue: names.queues.searchIndexer,
      es,
      aliases,
      logger: silentLogger,
    })
    const started = performance.now()
    await indexer.start()
    while (indexer.counters.messages < options.events) await new Promise((r) => setTimeout(r, 5))
    const indexerSeconds = (performance.now() - started) / 1000
    log(`  indexer:  ${Math.round(options.events / indexerSeconds)} events/s (${options.events} creates)`)

    // 2. The same documents through the bulk helper into a fresh index with the same mapping.
    const rawIndex = `${runId}-raw`
    await es.indices.create({ index: rawIndex, settings: trackIndex.settings, mappings: trackIndex.mappings })
    const documents = Array.from({ length: options.events }, (_, i) => {
      const parsed = parseModelEvent('create.Track', JSON.stringify(track(i + 1)))
      if (parsed.kind !== 'change') throw new Error(parsed.reason)
      return trackDocument(stateOfChange(parsed.change), undefined)
    })
    const rawStarted = performance.now()
    await es.helpers.bulk({
      datasource: documents,
      onDocument: (doc) => ({ index: { _index: rawIndex, _id: String(doc.id) } }),
      flushBytes: 5_000_000,
      concurrency: 2,
    })
    const rawSeconds = (performance.now() - rawStarted) / 1000
    log(`  raw bulk: ${Math.round(options.events / rawSeconds)} docs/s`)

    // 3. Event-to-searchable latency at a steady rate.
    const latency = await measureLatency(
      es,
      models,
      aliases.tracks,
      options.latencyEvents,
      options.latencyRate,
    )
    log(`  latency:  p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms at ${options.latencyRate} events/s`)
    await indexer.stop()

    const eventsPerSecond = options.events / indexerSeconds
    const share = eventsPerSecond / (options.events / rawSeconds)
    const targets = { eventsPerSecond: 5_000, shareOfRawBulk: 0.7, p99Ms: 2_000 }
    return {
      events: options.events,
      indexerEventsPerSecond: eventsPerSecond,
      rawBulkDocsPerSecond: options.events / rawSeconds,
      shareOfRawBulk: share,
      latency,
      targets,
      met:
        eventsPerSecond >= targets.eventsPerSecond &&
        share >= targets.shareOfRawBulk &&
        latency.p99Ms <= targets.p99Ms,
    }
  } finally {
    await es.indices.delete({ index: `${runId}-*`, ignore_unavailable: true }).catch(() => undefined)
    for (const queue of Object.values(names.queues)) {
      await setup.deleteQueue(queue.name).catch(() => undefined)
      await setup.deleteQueue(queue.deadLetter).catch(() => undefined)
    }
    await setup.deleteExchange(names.exchanges.models).catch(() => undefined)
    await setup.deleteExchange(names.exchanges.stats).catch(() => undefined)
    await connection.close()
    await es.close()
  }
}

async function measureLatency(
  es: Client,
  models: ModelEventPublisher,
  alias: string,
  count: number,
  ratePerSecond: number,
): Promise<IndexerBenchResult['latency']> {
  const published = new Map<number, number>()
  const latencies: number[] = []
  let done = false
  let giveUpAt = Number.POSITIVE_INFINITY
  const poller = (async () => {
    // Until every event is seen, or 30 s after the last was published (the rest count as lost).
    while ((!done || published.size > 0) && performance.now() < giveUpAt) {
      const ids = [...published.keys()].slice(0, 1_000)
      if (ids.length > 0) {
        const result = await es.search({
          index: alias,
          size: ids.length,
          _source: false,
          query: { ids: { values: ids.map(String) } },
        })
        const now = performance.now()
        for (const hit of result.hits.hits) {
          const id = Number(hit._id)
          const at = published.get(id)
          if (at !== undefined) {
            latencies.push(now - at)
            published.delete(id)
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  const first = 10_000_000
  const interval = 1_000 / ratePerSecond
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const due = start + i * interval
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const id = first + i
    published.set(id, performance.now())
    void models.create('Track', track(id))
  }
  done = true
  giveUpAt = performance.now() + 30_000
  await poller
  if (published.size > 0) throw new Error(`${published.size} events never became searchable`)
  latencies.sort((a, b) => a - b)
  return {
    events: latencies.length,
    ratePerSecond,
    p50Ms: Math.round(percentile(latencies, 0.5)),
    p99Ms: Math.round(percentile(latencies, 0.99)),
    maxMs: Math.round(latencies.at(-1) ?? 0),
  }
}
