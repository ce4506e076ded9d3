// The stats writer end to end, in process: events published through the real broker land in the raw
// log in the real ClickHouse engine, each counted once however often it is sent; invalid events are
// dead-lettered with their reason while the valid ones of the same message count; a store outage
// loses nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventLog } from '../../rollups/event-log.js'
import { migrate } from '../../rollups/migrate.js'
import { StatsWriter } from '../../rollups/stats-writer.js'
import { TABLES } from '../../rollups/tables.js'
import { AmqpConnection } from '../../src/amqp/connection.js'
import { DEATH_REASON_HEADER } from '../../src/amqp/consumer.js'
import { ConfirmPublisher } from '../../src/amqp/publisher.js'
import { type ClickHouseClient, createClickHouse } from '../../src/clickhouse/client.js'
import { type StatsEventInput, validateStatsEvent } from '../../src/contracts/stats-events.js'
import { silentLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { StatsEventPublisher } from '../../src/publishing/stats-events.publisher.js'
import { statsWorkload, take } from '../../src/workload/stats-workload.js'
import {
  declareTestTopology,
  eventually,
  removeTestTopology,
  type TestEnv,
  testEnv,
} from '../support/harness.js'

let env: TestEnv
let connection: AmqpConnection
let clickhouse: ClickHouseClient
let checker: ClickHouseClient
let writer: StatsWriter
let events: StatsEventPublisher
const metrics = createMetrics({ defaultMetrics: false })

const from = new Date('2026-01-15T00:00:00Z')
const to = new Date('2026-03-15T00:00:00Z')

beforeAll(async () => {
  env = testEnv('writer')
  connection = new AmqpConnection({ url: env.config.amqp.url, logger: silentLogger })
  await connection.start()
  await declareTestTopology(env.config.amqp.url, env.topology)
  clickhouse = await createClickHouse(env.config.clickhouse)
  await migrate(clickhouse)
  checker = await createClickHouse(env.config.clickhouse)
  const publisher = await ConfirmPublisher.create(connection)
  events = new StatsEventPublisher(publisher, env.topology.exchanges.stats)
  writer = new StatsWriter({
    connection,
    publisher,
    queue: env.topology.queues.statsWriter,
    log: new EventLog(clickhouse, checker),
    logger: silentLogger,
    prefetch: { min: 200, max: 200 },
    metrics,
    maxWaitMs: 20,
  })
  await writer.start()
})

afterAll(async () => {
  await writer.stop()
  await removeTestTopology(env.config.amqp.url, env.topology)
  await connection.close()
  await clickhouse.close()
  await checker.close()
  env.cleanup()
})

async function query<T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' })
  return result.json<T>()
}

async function logged(prefix: string): Promise<{ rows: number; ids: number }> {
  const [row] = await query<{ rows: number; ids: number }>(
    `SELECT count() AS rows, uniqExact(event_id) AS ids FROM ${TABLES.statsEvents} WHERE startsWith(event_id, {p:String})`,
    { p: prefix },
  )
  return row ?? { rows: 0, ids: 0 }
}

async function deadLetters(): Promise<{ body: string; reason: string }[]> {
  const model = await connection.waitForConnection(5_000)
  const channel = await model.createChannel()
  const out: { body: string; reason: string }[] = []
  try {
    for (;;) {
      const message = await channel.get(env.topology.queues.statsWriter.deadLetter, { noAck: true })
      if (!message) return out
      out.push({
        body: message.content.toString(),
        reason: String(message.properties.headers?.[DEATH_REASON_HEADER]),
      })
    }
  } finally {
    await channel.close()
  }
}

describe('stats writer', () => {
  it('logs single-event and batched messages, with every column as sent', async () => {
    const sample = take(statsWorkload({ seed: 11, from, to, idPrefix: 'cols-' }), 300)
    await events.publishAll(sample.slice(0, 100), { perMessage: 1 })
    await events.publishAll(sample.slice(100), { perMessage: 50 })
    await eventually(async () => expect((await logged('cols-')).rows).toBe(300))

    const first = sample[0]!
    const [row] = await query<Record<string, unknown>>(
      `SELECT event_id, type, owner_id, track_id, user_id, anonymous_id, listener, country, city, source,
              referrer, listened_ms, toUnixTimestamp64Milli(occurred_at) AS at
       FROM ${TABLES.statsEvents} WHERE event_id = {id:String}`,
      { id: first.id },
    )
    expect(row).toMatchObject({
      event_id: first.id,
      type: first.type,
      owner_id: first.owner_id,
      track_id: first.track_id,
      user_id: first.user_id ?? 0,
      listener: first.user_id ? `u:${first.user_id}` : `a:${first.anonymous_id}`,
      country: first.country ?? '',
      source: first.source,
      at: typeof first.occurred_at === 'number' ? first.occurred_at : Date.parse(first.occurred_at),
    })
  })

  it('counts each event once, however often it is delivered', async () => {
    const sample = take(statsWorkload({ seed: 12, from, to, idPrefix: 'dup-' }), 400)
    await events.publishAll(sample, { perMessage: 1 })
    // The same events again: as a producer resending, in batches of another shape, and twice in one message.
    await events.publishAll(sample, { perMessage: 37 })
    await events.publishBatch([sample[0]!, sample[0]!, sample[1]!])
    await eventually(async () => {
      expect(writer.counters.duplicates).toBeGreaterThanOrEqual(403)
    })
    const counted = await logged('dup-')
    expect(counted).toEqual({ rows: 400, ids: 400 })
    const exported = await metrics.registry.getSingleMetricAsString('stats_writer_events_total')
    const duplicates = Number(/result="duplicate"\} (\d+)/.exec(exported)?.[1])
    expect(duplicates).toBe(writer.counters.duplicates)

    // Counts by type equal the ground truth.
    const truth = new Map<string, number>()
    for (const e of sample) truth.set(e.type, (truth.get(e.type) ?? 0) + 1)
    const byType = await query<{ type: string; n: number }>(
      `SELECT type, count() AS n FROM ${TABLES.statsEvents} WHERE startsWith(event_id, 'dup-') GROUP BY type`,
    )
    expect(new Map(byType.map((r) => [r.type, r.n]))).toEqual(truth)
  })

  it('dead-letters invalid events with their reason while the valid ones of the batch count', async () => {
    await deadLetters() // start from an empty dead-letter queue
    const [a, b] = take(statsWorkload({ seed: 13, from, to, idPrefix: 'mix-' }), 2) as [
      StatsEventInput,
      StatsEventInput,
    ]
    const badCountry = { ...a, id: 'mix-bad-country', country: 'Germany' }
    const badType = { ...a, id: 'mix-bad-type', type: 'view' }
    await events.publishBatch([a, badCountry, b, badType])
    await eventually(async () => expect((await logged('mix-')).rows).toBe(2))

    const parked = await eventually(async () => {
      const found = await deadLetters()
      expect(found).toHaveLength(2)
      return found
    })
    const byId = new Map(parked.map((p) => [(JSON.parse(p.body) as { id: string }).id, p.reason]))
    expect(byId.get('mix-bad-country')).toMatch(/country: must be an ISO 3166-1 alpha-2 code/)
    expect(byId.get('mix-bad-type')).toMatch(/type:/)
  })

  it('dead-letters a body that is not JSON, and keeps consuming', async () => {
    const publisher = await ConfirmPublisher.create(connection)
    await publisher.publish(env.topology.exchanges.stats, 'play', Buffer.from('{"id": "x", oops'))
    const [event] = take(statsWorkload({ seed: 14, from, to, idPrefix: 'after-bad-' }), 1)
    await events.publishOne(event!)
    await eventually(async () => expect((await logged('after-bad-')).rows).toBe(1))
    const parked = await eventually(async () => {
      const found = await deadLetters()
      expect(found).toHaveLength(1)
      return found
    })
    expect(parked[0]!.reason).toMatch(/^body is not JSON/)
  })

  it('concurrent appends of overlapping events log each id once', async () => {
    const log = new EventLog(clickhouse, checker)
    const sample = take(statsWorkload({ seed: 16, from, to, idPrefix: 'race-' }), 3_000).map((event) => {
      const result = validateStatsEvent(event)
      if (!result.ok) throw new Error(result.reason)
      return result.row
    })
    // Five appends at once, each overlapping its neighbours by half.
    await Promise.all(
      [0, 500, 1_000, 1_500, 2_000].map((start) => log.append(sample.slice(start, start + 1_000))),
    )
    expect(await logged('race-')).toEqual({ rows: 3_000, ids: 3_000 })
  })

  it('loses nothing while ClickHouse refuses writes, and catches up when it is back', async () => {
    // The log table goes away (as a store outage would make it unwritable) ...
    await clickhouse.command({ query: `DETACH TABLE ${TABLES.statsEvents}` })
    const settledBefore = writer.counters.messages
    const sample = take(statsWorkload({ seed: 15, from, to, idPrefix: 'outage-' }), 250)
    await events.publishAll(sample, { perMessage: 10 })
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    // ... and meanwhile not one of the 25 messages was settled (acked): they wait with the writer.
    expect(writer.counters.messages).toBe(settledBefore)
    // ... and once it is back, every event is logged exactly once.
    await clickhouse.command({ query: `ATTACH TABLE ${TABLES.statsEvents}` })
    await eventually(async () => expect(await logged('outage-')).toEqual({ rows: 250, ids: 250 }), {
      timeoutMs: 30_000,
    })
  })
})
