// Benchmark: events per second from the broker into the ClickHouse log, with one event per message and
// with 500 events per message, each beside its two ceilings measured in the same run on the same
// events: a plain consumer that acks and discards (the broker and client ceiling) and a direct insert of
// the same rows in the same batch sizes (the store ceiling). Every queue is pre-filled before its
// consumer starts, so each figure is a pure drain rate.
import { EventLog, insertLogRows } from '../rollups/event-log.js'
import { migrate } from '../rollups/migrate.js'
import { batchRowsFor, prefetchFor, StatsWriter } from '../rollups/stats-writer.js'
import { TABLES } from '../rollups/tables.js'
import { AmqpConnection } from '../src/amqp/connection.js'
import { QueueConsumer } from '../src/amqp/consumer.js'
import { ok } from '../src/amqp/outcome.js'
import { ConfirmPublisher } from '../src/amqp/publisher.js'
import { declareConsumerQueue, declareTopology } from '../src/amqp/topology.js'
import { type ClickHouseClient, createClickHouse } from '../src/clickhouse/client.js'
import type { Config } from '../src/config.js'
import type { StatsEventInput, StatsLogRow } from '../src/contracts/stats-events.js'
import { type ConsumerQueue, topology } from '../src/contracts/topology.js'
import { silentLogger } from '../src/logger.js'
import { median } from './percentile.js'
import { type CpuPerEvent, cpuPerEvent, describeCpu, ProcessCpu, totalCpu } from './process-cpu.js'
import { logRowOf, timeOrderedEvents } from './workload-rows.js'

type Runs<T> = { writer: T; ackAndDiscard: T; directInsert: T }

export interface IngestScenario {
  perMessage: number
  /** How far back the events' times reach: 30 days (a shipped stretch of the log) or a live minute. */
  spread: string
  events: number
  /** Events per second, and CPU per event of the broker and this process (which holds ClickHouse). */
  rounds: Array<Runs<number> & { cpu: Runs<CpuPerEvent> }>
  /** Medians over the rounds. */
  rates: Runs<number>
  /** Median CPU per event over the rounds, the broker and this process together. */
  cpuUsPerEvent: Runs<number>
  /** The median over the rounds of writer / min(ceilings) */
  shareOfLowerCeiling: number
  target: { eventsPerSecond: number; shareOfLowerCeiling: number }
  met: boolean
}

async function drain(
  connection: AmqpConnection,
  queue: ConsumerQueue,
  messages: number,
  prefetch: number,
): Promise<number> {
  let settled = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  const consumer = new QueueConsumer({
    connection,
    queue,
    logger: silentLogger,
    prefetch,
    handler: async () => ok,
    onSettled: () => {
      if (++settled === messages) done()
    },
  })
  const started = performance.now()
  await consumer.start()
  await finished
  const seconds = (performance.now() - started) / 1000
  await consumer.stop()
  return seconds
}

async function prefill(publisher: ConfirmPublisher, queue: string, bodies: Buffer[]): Promise<void> {
  const inFlight = new Set<Promise<void>>()
  for (const body of bodies) {
    const p = publisher.sendToQueue(queue, body, { contentType: 'application/json' })
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
    if (inFlight.size >= 500) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}

async function directInsert(
  client: ClickHouseClient,
  rows: StatsLogRow[],
  batchRows: number,
): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < rows.length; i += batchRows) {
    await insertLogRows(client, rows.slice(i, i + batchRows))
  }
  return (performance.now() - started) / 1000
}

function rowsOf(bodies: Buffer[]): StatsLogRow[] {
  return bodies.flatMap((body) => {
    const parsed = JSON.parse(body.toString('utf8')) as StatsEventInput | StatsEventInput[]
    return (Array.isArray(parsed) ? parsed : [parsed]).map(logRowOf)
  })
}

/** The workload's events in time order (as a live stream or a shipped stretch of the log arrives),
 * as message bodies and as the log rows a direct insert writes. */
function generate(
  count: number,
  perMessage: number,
  options: { seed: number; from: Date; to: Date; idPrefix: string },
): { bodies: Buffer[]; rows: StatsLogRow[]; total: number } {
  const events = timeOrderedEvents(count, options)
  const bodies: Buffer[] = []
  for (let i = 0; i < events.length; i += perMessage) {
    const group = events.slice(i, i + perMessage)
    bodies.push(Buffer.from(JSON.stringify(perMessage === 1 ? group[0] : group)))
  }
  return { bodies, rows: events.map(logRowOf), total: events.length }
}

export async function benchStatsIngest(
  config: Config,
  options: { singleEvents: number; batchedEvents: number; rounds: number },
  log: (line: string) => void,
): Promise<IngestScenario[]> {
  const runId = `bench-${Date.now().toString(36)}`
  const processCpu = new ProcessCpu(['broker'])
  const names = topology(`${runId}.`)
  const connection = new AmqpConnection({ url: config.amqp.url, logger: silentLogger })
  await connection.start()
  const publisher = await ConfirmPublisher.create(connection)
  const model = await connection.waitForConnection(5_000)
  const setup = await model.createChannel()
  await declareTopology(setup, names)
  const discard: ConsumerQueue = {
    ...names.queues.statsWriter,
    name: `${runId}.discard`,
    deadLetter: `${runId}.discard.dl`,
    arguments: {},
  }
  await declareConsumerQueue(setup, discard)

  const results: IngestScenario[] = []
  // The tiers' views cost an insert by the groups it makes (see log-insert.bench.ts), so the batched
  // messages are sent twice: spread over 30 days, and all from the last minute, as live traffic is.
  const scenarios = [
    { perMessage: 1, events: options.singleEvents, target: 15_000, spread: '30 days', seconds: 30 * 86_400 },
    {
      perMessage: 500,
      events: options.batchedEvents,
      target: 150_000,
      spread: '30 days',
      seconds: 30 * 86_400,
    },
    { perMessage: 500, events: options.batchedEvents, target: 150_000, spread: 'last minute', seconds: 60 },
  ]
  try {
    for (const [index, scenario] of scenarios.entries()) {
      if (scenario.events === 0) continue
      const to = new Date()
      const from = new Date(to.getTime() - scenario.seconds * 1000)
      // In time order, as a live stream or a shipped stretch of the log arrives.
      const generated = generate(scenario.events, scenario.perMessage, {
        seed: 100 + index,
        from,
        to,
        idPrefix: `${runId}-${index}-`,
      })
      const { bodies, total } = generated
      // The prefetch the writer settles on for this message size, and the batches it then writes.
      const prefetch = prefetchFor(scenario.perMessage)
      const batchRows = batchRowsFor(scenario.perMessage)
      log(
        `  ${scenario.perMessage} event(s)/message, times over ${scenario.spread}: ${total} events in ${bodies.length} messages`,
      )
      // Released after each direct insert, so the writer's run does not pay for the benchmark's heap.
      let rows: StatsLogRow[] | undefined = generated.rows
      const rounds: IngestScenario['rounds'] = []
      for (let round = 1; round <= options.rounds; round++) {
        const database = (role: string) => `${runId.replace(/-/g, '_')}_${role}_${index}_${round}`
        await prefill(publisher, discard.name, bodies)
        let cpuBefore = processCpu.read()
        const discardSeconds = await drain(connection, discard, bodies.length, prefetch)
        const discardCpu = cpuPerEvent(cpuBefore, processCpu.read(), total)

        rows ??= rowsOf(bodies)
        const direct = await createClickHouse({ ...config.clickhouse, database: database('direct') })
        await migrate(direct)
        cpuBefore = processCpu.read()
        const directSeconds = await directInsert(direct, rows, batchRows)
        const directCpu = cpuPerEvent(cpuBefore, processCpu.read(), total)
        rows = undefined
        await direct.command({ query: `DROP DATABASE IF EXISTS ${database('direct')}` })
        await direct.close()

        const store = await createClickHouse({ ...config.clickhouse, database: database('writer') })
        await migrate(store)
        const checker = await createClickHouse({ ...config.clickhouse, database: database('writer') })
        await prefill(publisher, names.queues.statsWriter.name, bodies)
        const writer = new StatsWriter({
          connection,
          publisher,
          queue: names.queues.statsWriter,
          log: new EventLog(store, checker),
          logger: silentLogger,
        })
        cpuBefore = processCpu.read()
        const started = performance.now()
        await writer.start()
        while (writer.counters.messages < bodies.length) await new Promise((r) => setTimeout(r, 5))
        const writerSeconds = (performance.now() - started) / 1000
        const writerCpu = cpuPerEvent(cpuBefore, processCpu.read(), total)
        await writer.stop()
        const [count] = await (
          await store.query({
            query: `SELECT count() AS n FROM ${TABLES.statsEvents}`,
            format: 'JSONEachRow',
          })
        ).json<{ n: number }>()
        if (count?.n !== total) throw new Error(`writer logged ${count?.n} of ${total} events`)
        await store.command({ query: `DROP DATABASE IF EXISTS ${database('writer')}` })
        await store.close()
        await checker.close()
        const measured = {
          writer: total / writerSeconds,
          ackAndDiscard: total / discardSeconds,
          directInsert: total / directSeconds,
          cpu: { writer: writerCpu, ackAndDiscard: discardCpu, directInsert: directCpu },
        }
        rounds.push(measured)
        log(
          `    round ${round}: writer ${measured.writer.toFixed(0)}/s; ack-and-discard ` +
            `${measured.ackAndDiscard.toFixed(0)}/s; direct insert ${measured.directInsert.toFixed(0)}/s ` +
            `(batches of ${batchRows})\n` +
            `      CPU: writer ${describeCpu(writerCpu)}; ack-and-discard ${describeCpu(discardCpu)}; ` +
            `direct insert ${describeCpu(directCpu)}`,
        )
      }

      const rates = {
        writer: median(rounds.map((r) => r.writer)),
        ackAndDiscard: median(rounds.map((r) => r.ackAndDiscard)),
        directInsert: median(rounds.map((r) => r.directInsert)),
      }
      const cpuUsPerEvent = {
        writer: median(rounds.map((r) => totalCpu(r.cpu.writer))),
        ackAndDiscard: median(rounds.map((r) => totalCpu(r.cpu.ackAndDiscard))),
        directInsert: median(rounds.map((r) => totalCpu(r.cpu.directInsert))),
      }
      // Each round's writer against that round's lower ceiling, then the median of those shares.
      const share = median(rounds.map((r) => r.writer / Math.min(r.ackAndDiscard, r.directInsert)))
      results.push({
        perMessage: scenario.perMessage,
        spread: scenario.spread,
        events: total,
        rounds,
        rates,
        cpuUsPerEvent,
        shareOfLowerCeiling: share,
        target: { eventsPerSecond: scenario.target, shareOfLowerCeiling: 0.6 },
        met: rates.writer >= scenario.target && share >= 0.6,
      })
    }
  } finally {
    for (const queue of [discard, ...Object.values(names.queues)]) {
      await setup.deleteQueue(queue.name).catch(() => undefined)
      await setup.deleteQueue(queue.deadLetter).catch(() => undefined)
    }
    await setup.deleteExchange(names.exchanges.models).catch(() => undefined)
    await setup.deleteExchange(names.exchanges.stats).catch(() => undefined)
    await setup.close().catch(() => undefined)
    await connection.close()
  }
  return results
}
