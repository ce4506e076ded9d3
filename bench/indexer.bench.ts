// Benchmark: model events indexed per second through the search indexer (queue pre-filled), beside the
// raw bulk-index rate of the same documents through the client's bulk helper, in the same run; and
// event-to-searchable latency (p50, p99) at a steady publishing rate, measured by polling search.
import type { Client } from '@elastic/elasticsearch'
import { trackDocument } from '../indexers/documents.js'
import { ensureIndex } from '../indexers/index-store.js'
import { trackIndex, userIndex } from '../indexers/mappings.js'
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
import { median, percentile } from './percentile.js'
import { type CpuPerEvent, cpuPerEvent, describeCpu, ProcessCpu, totalCpu } from './process-cpu.js'

export interface IndexerBenchResult {
  events: number
  rounds: Array<{
    indexerEventsPerSecond: number
    rawBulkDocsPerSecond: number
    savesPerSecond: number
    /** CPU per event of the broker, Elasticsearch and this process (the indexer, the bulk helper). */
    cpu: { indexer: CpuPerEvent; rawBulk: CpuPerEvent }
  }>
  /** Medians over the rounds. */
  indexerEventsPerSecond: number
  rawBulkDocsPerSecond: number
  shareOfRawBulk: number
  /**
   * Median CPU per event over the rounds, all processes together (broker, Elasticsearch, this one), and
   * their ratio: the share both runs would reach if each kept the machine's cores equally busy.
   */
  cpuUsPerEvent: { indexer: number; rawBulk: number; shareAllowed: number }
  /** Partial saves of the same tracks: each is read, merged and written back (no target; for scale). */
  savesPerSecond: number
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

/**
 * A warm-up round (not counted: the first bulk requests after a start run on a cold JIT, which would
 * favour whichever path runs second), then `rounds` rounds of: the indexer draining a pre-filled
 * queue of creates, partial saves of the same tracks, and the same documents through the bulk helper.
 */
export async function benchIndexer(
  config: Config,
  options: { events: number; rounds: number; latencyEvents: number; latencyRate: number },
  log: (line: string) => void,
): Promise<IndexerBenchResult> {
  const runId = `bench-idx-${Date.now().toString(36)}`
  const processCpu = new ProcessCpu(['broker', 'elasticsearch'])
  const names = topology(`${runId}.`)
  const es = createElasticsearchClient({ url: config.elasticsearch.url })
  const connection = new AmqpConnection({ url: config.amqp.url, logger: silentLogger })
  await connection.start()
  const model = await connection.waitForConnection(5_000)
  const setup = await model.createChannel()
  await declareTopology(setup, names)
  const publisher = await ConfirmPublisher.create(connection)
  const models = new ModelEventPublisher(publisher, names.exchanges.models)
  const documents = Array.from({ length: options.events }, (_, i) => {
    const parsed = parseModelEvent('create.Track', JSON.stringify(track(i + 1)))
    if (parsed.kind !== 'change') throw new Error(parsed.reason)
    return trackDocument(stateOfChange(parsed.change), undefined)
  })
  const round = async (name: string, events: number) => {
    const aliases = { tracks: `${runId}-${name}-tracks`, users: `${runId}-${name}-users` }
    const indexer = new ModelIndexer({
      connection,
      queue: names.queues.searchIndexer,
      es,
      aliases,
      logger: silentLogger,
    })
    // 1. The indexer draining a pre-filled queue of creates, then one of partial saves.
    await publishAll(events, (id) => models.create('Track', track(id)))
    // The indexes exist before the clock starts, as the bulk helper's does below (creating two took
    // 130-230 ms, some 5% of a round).
    await ensureIndex(es, userIndex, aliases.users)
    await ensureIndex(es, trackIndex, aliases.tracks)
    let cpuBefore = processCpu.read()
    let started = performance.now()
    await indexer.start()
    while (indexer.counters.messages < events) await new Promise((r) => setTimeout(r, 5))
    const indexerSeconds = (performance.now() - started) / 1000
    const indexerCpu = cpuPerEvent(cpuBefore, processCpu.read(), events)
    await indexer.stop()
    await publishAll(events, (id) =>
      models.save('Track', id, {
        title: [null, `Benchmark Track ${id} (Remastered)`],
        updated_at: [null, '2026-02-01T00:00:00Z'],
      }),
    )
    const saver = new ModelIndexer({
      connection,
      queue: names.queues.searchIndexer,
      es,
      aliases,
      logger: silentLogger,
    })
    started = performance.now()
    await saver.start()
    while (saver.counters.messages < events) await new Promise((r) => setTimeout(r, 5))
    const savesSeconds = (performance.now() - started) / 1000
    await saver.stop()

    // 2. The same documents through the bulk helper into a fresh index with the same mapping.
    const rawIndex = `${runId}-${name}-raw`
    await es.indices.create({ index: rawIndex, settings: trackIndex.settings, mappings: trackIndex.mappings })
    cpuBefore = processCpu.read()
    const rawStarted = performance.now()
    await es.helpers.bulk({
      datasource: documents.slice(0, events),
      onDocument: (doc) => ({ index: { _index: rawIndex, _id: String(doc.id) } }),
      flushBytes: 5_000_000,
      concurrency: 2,
    })
    const rawSeconds = (performance.now() - rawStarted) / 1000
    const rawCpu = cpuPerEvent(cpuBefore, processCpu.read(), events)
    await es.indices.delete({ index: `${runId}-${name}-*` })
    return {
      indexerEventsPerSecond: events / indexerSeconds,
      rawBulkDocsPerSecond: events / rawSeconds,
      savesPerSecond: events / savesSeconds,
      cpu: { indexer: indexerCpu, rawBulk: rawCpu },
    }
  }
  try {
    await round('warmup', Math.ceil(options.events / 5))
    const rounds: IndexerBenchResult['rounds'] = []
    for (let i = 1; i <= options.rounds; i++) {
      const result = await round(`r${i}`, options.events)
      rounds.push(result)
      log(
        `  round ${i}: indexer ${Math.round(result.indexerEventsPerSecond)} creates/s, ` +
          `${Math.round(result.savesPerSecond)} saves/s; raw bulk ${Math.round(result.rawBulkDocsPerSecond)} docs/s\n` +
          `           CPU: indexer ${describeCpu(result.cpu.indexer)}; bulk helper ${describeCpu(result.cpu.rawBulk)}`,
      )
    }

    // 3. Event-to-searchable latency at a steady rate.
    const aliases = { tracks: `${runId}-latency-tracks`, users: `${runId}-latency-users` }
    const indexer = new ModelIndexer({
      connection,
      queue: names.queues.searchIndexer,
      es,
      aliases,
      logger: silentLogger,
    })
    await indexer.start()
    const latency = await measureLatency(
      es,
      models,
      aliases.tracks,
      options.latencyEvents,
      options.latencyRate,
    )
    log(`  latency:  p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms at ${options.latencyRate} events/s`)
    await indexer.stop()

    const eventsPerSecond = median(rounds.map((r) => r.indexerEventsPerSecond))
    const rawPerSecond = median(rounds.map((r) => r.rawBulkDocsPerSecond))
    const share = median(rounds.map((r) => r.indexerEventsPerSecond / r.rawBulkDocsPerSecond))
    const targets = { eventsPerSecond: 5_000, shareOfRawBulk: 0.7, p99Ms: 2_000 }
    const indexerCpu = median(rounds.map((r) => totalCpu(r.cpu.indexer)))
    const rawCpu = median(rounds.map((r) => totalCpu(r.cpu.rawBulk)))
    return {
      events: options.events,
      rounds,
      indexerEventsPerSecond: eventsPerSecond,
      rawBulkDocsPerSecond: rawPerSecond,
      shareOfRawBulk: share,
      savesPerSecond: median(rounds.map((r) => r.savesPerSecond)),
      cpuUsPerEvent: { indexer: indexerCpu, rawBulk: rawCpu, shareAllowed: rawCpu / indexerCpu },
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

/** Publishes events 1..count with confirms, 500 in flight. */
async function publishAll(count: number, publish: (id: number) => Promise<void>): Promise<void> {
  const pending = new Set<Promise<void>>()
  for (let id = 1; id <= count; id++) {
    const p = publish(id)
    pending.add(p)
    void p.finally(() => pending.delete(p))
    if (pending.size >= 500) await Promise.race(pending)
  }
  await Promise.all(pending)
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
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    maxMs: Math.round(latencies.at(-1) ?? 0),
  }
}
