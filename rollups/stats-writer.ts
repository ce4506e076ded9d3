// The stats writer: consumes exchange `stats` (queue batch.stats-writer) into the raw log.
// A message holds one event or an array of them. Invalid events go to the dead-letter queue with their
// reason; the valid events of the same message are still counted. Messages are acked only after the
// batch holding their events is in ClickHouse (see event-log.ts for why each event counts once).
import type { ConsumeMessage } from 'amqplib'
import type { AmqpConnection } from '../src/amqp/connection.js'
import { checkedPrefetch, DEATH_REASON_HEADER, QueueConsumer } from '../src/amqp/consumer.js'
import { deadLetter, drop, type Outcome, ok, retry } from '../src/amqp/outcome.js'
import type { ConfirmPublisher } from '../src/amqp/publisher.js'
import { Batcher } from '../src/batcher.js'
import { eventsOfBody, type StatsLogRow, validateStatsEvent } from '../src/contracts/stats-events.js'
import type { ConsumerQueue } from '../src/contracts/topology.js'
import type { Logger } from '../src/logger.js'
import type { Metrics } from '../src/metrics.js'
import type { EventLog } from './event-log.js'

export interface StatsWriterOptions {
  connection: AmqpConnection
  publisher: ConfirmPublisher
  queue: ConsumerQueue
  log: EventLog
  logger: Logger
  /**
   * Events to keep in flight. The broker's prefetch counts messages, not events, so the writer adapts
   * it to the messages' observed size: up to 40,000 single-event messages, but only ~200 messages of
   * 500 events, so memory stays bounded either way. Large batches amortize each insert's fixed cost,
   * and above all the views' (every insert feeds each tier): measured side by side, three interleaved
   * rounds of 150,000 single events, 13.1k events/s and 138-142 us of CPU an event (the broker's and
   * this process's, ClickHouse included) at prefetch 10,000 (5,000-row inserts), 14.9k-17.3k/s and
   * 106-123 us at 40,000 (20,000-row inserts, with a one-second wait). Before, 10,000 had given
   * 12.3k/s where 4,000 gave 10.2k and 2,000 gave 9.4k.
   */
  eventsInFlight?: number
  /** Bounds for the adaptive prefetch; a fixed prefetch when both are equal. */
  prefetch?: { min: number; max: number }
  maxBatchRows?: number
  maxBatchBytes?: number
  maxWaitMs?: number
  metrics?: Metrics
}

/** The adaptive prefetch's bounds, in messages (see StatsWriterOptions.eventsInFlight). */
const DEFAULT_PREFETCH = { min: 50, max: 40_000 } as const
/** Events the writer keeps in flight by default. */
const DEFAULT_EVENTS_IN_FLIGHT = 100_000
/** Rows at most in one insert, by default. */
const DEFAULT_MAX_BATCH_ROWS = 50_000

/** The prefetch (messages) that keeps about `eventsInFlight` events in flight, within the bounds. */
export function prefetchFor(
  eventsPerMessage: number,
  bounds: { min: number; max: number } = DEFAULT_PREFETCH,
  eventsInFlight: number = DEFAULT_EVENTS_IN_FLIGHT,
): number {
  return Math.round(Math.min(bounds.max, Math.max(bounds.min, eventsInFlight / eventsPerMessage)))
}

/**
 * The rows of a full batch when every message holds `eventsPerMessage` events, with the defaults: a
 * batch is cut at half the prefetch's messages (maxAdds below) or at DEFAULT_MAX_BATCH_ROWS rows.
 */
export function batchRowsFor(eventsPerMessage: number): number {
  return Math.min(DEFAULT_MAX_BATCH_ROWS, Math.floor(prefetchFor(eventsPerMessage) / 2) * eventsPerMessage)
}

export interface StatsWriterCounters {
  messages: number
  inserted: number
  duplicates: number
  deadLettered: number
}

export class StatsWriter {
  readonly counters: StatsWriterCounters = { messages: 0, inserted: 0, duplicates: 0, deadLettered: 0 }
  private readonly batcher: Batcher<StatsLogRow>
  private readonly consumer: QueueConsumer
  private eventsPerMessage = 1
  private readonly prefetchBounds: { min: number; max: number }

  constructor(private readonly options: StatsWriterOptions) {
    const bounds = options.prefetch ?? DEFAULT_PREFETCH
    // Checked here, once: a bound the broker cannot take would otherwise fail every adaptation, silently.
    this.prefetchBounds = { min: checkedPrefetch(bounds.min), max: checkedPrefetch(bounds.max) }
    this.batcher = new Batcher<StatsLogRow>({
      write: async (rows) => {
        const timer = options.metrics?.statsBatchSeconds.startTimer()
        const result = await options.log.append(rows)
        timer?.()
        this.counters.inserted += result.inserted
        this.counters.duplicates += result.duplicates
        options.metrics?.statsEvents.inc({ result: 'inserted' }, result.inserted)
        options.metrics?.statsEvents.inc({ result: 'duplicate' }, result.duplicates)
        options.logger.debug({ rows: rows.length, ...result }, 'batch written')
      },
      maxItems: options.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS,
      maxBytes: options.maxBatchBytes ?? 32 * 1024 * 1024,
      // Half the prefetch: the broker keeps delivering the other half while a batch is written.
      maxAdds: () => Math.max(1, Math.floor(this.consumer.currentPrefetch / 2)),
      // A second: the timer must not cut the batches the prefetch allows (see eventsInFlight). At 100
      // ms it had cut most single-event batches to 3,500 rows, and at 500 ms, with prefetch 40,000,
      // to 13,000-15,000 rows, in runs slower than those at one second. An event still reaches the log
      // within about a second and a half at any rate.
      maxWaitMs: options.maxWaitMs ?? 1_000,
      logger: options.logger,
      // The next batch's duplicate check overlaps the previous batch's insert (EventLog allows it).
      concurrency: 2,
    })
    this.consumer = new QueueConsumer({
      connection: options.connection,
      queue: options.queue,
      logger: options.logger,
      // Message sizes are unknown until the first arrive: start in the middle, then adapt.
      prefetch: Math.min(this.prefetchBounds.max, Math.max(this.prefetchBounds.min, 500)),
      prefetchScope: 'channel',
      handler: (message) => this.handle(message),
      onSettled: (outcome) => {
        this.counters.messages++
        options.metrics?.statsMessages.inc({ outcome: outcome.kind })
      },
    })
  }

  start(): Promise<void> {
    return this.consumer.start()
  }

  async stop(deadlineMs = 10_000): Promise<void> {
    await this.consumer.stop(deadlineMs)
    await this.batcher.stop()
  }

  private async handle(message: ConsumeMessage): Promise<Outcome> {
    let body: unknown
    try {
      body = JSON.parse(message.content.toString('utf8'))
    } catch (err) {
      return deadLetter(`body is not JSON: ${(err as Error).message}`)
    }
    const events = eventsOfBody(body)
    this.adaptPrefetch(events.length)
    if (events.length === 0) return drop('empty batch')
    const rows: StatsLogRow[] = []
    const invalid: { index: number; event: unknown; reason: string }[] = []
    for (const [index, event] of events.entries()) {
      const result = validateStatsEvent(event)
      if (result.ok) rows.push(result.row)
      else invalid.push({ index, event, reason: result.reason })
    }
    if (invalid.length > 0) {
      if (!Array.isArray(body)) return deadLetter(`invalid event: ${invalid[0]!.reason}`)
      try {
        await Promise.all(invalid.map((bad) => this.deadLetterEvent(message, bad)))
      } catch (err) {
        return retry(`could not dead-letter invalid events: ${(err as Error).message}`)
      }
      this.counters.deadLettered += invalid.length
      this.options.metrics?.statsEvents.inc({ result: 'dead-lettered' }, invalid.length)
    }
    try {
      await this.batcher.add(rows, message.content.length)
    } catch (err) {
      return retry((err as Error).message)
    }
    return ok
  }

  /** Keeps about `eventsInFlight` events in flight, whatever the messages' size. */
  private adaptPrefetch(events: number): void {
    this.eventsPerMessage = 0.9 * this.eventsPerMessage + 0.1 * Math.max(1, events)
    const wanted = prefetchFor(this.eventsPerMessage, this.prefetchBounds, this.options.eventsInFlight)
    const current = this.consumer.currentPrefetch
    if (wanted > current * 1.5 || wanted < current / 1.5) {
      this.consumer.setPrefetch(wanted).catch(() => undefined) // a closed channel: the next one starts fresh
    }
  }

  /** One dead-letter message per invalid event of an array, so each carries its own reason. */
  private deadLetterEvent(
    message: ConsumeMessage,
    bad: { index: number; event: unknown; reason: string },
  ): Promise<void> {
    return this.options.publisher.sendToQueue(
      this.options.queue.deadLetter,
      Buffer.from(JSON.stringify(bad.event) ?? 'null'),
      {
        contentType: 'application/json',
        messageId: message.properties.messageId ? `${message.properties.messageId}#${bad.index}` : undefined,
        headers: {
          [DEATH_REASON_HEADER]: `invalid event: ${bad.reason}`.slice(0, 4_000),
          'x-original-exchange': message.fields.exchange,
          'x-original-routing-key': message.fields.routingKey,
          'x-batch-index': bad.index,
          'x-dead-lettered-at': new Date().toISOString(),
        },
      },
    )
  }
}
