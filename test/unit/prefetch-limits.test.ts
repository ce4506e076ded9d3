import { describe, expect, it } from 'vitest'
import type { EventLog } from '../../rollups/event-log.js'
import { StatsWriter } from '../../rollups/stats-writer.js'
import type { AmqpConnection } from '../../src/amqp/connection.js'
import { MAX_PREFETCH, QueueConsumer } from '../../src/amqp/consumer.js'
import { ok } from '../../src/amqp/outcome.js'
import type { ConfirmPublisher } from '../../src/amqp/publisher.js'
import { silentLogger } from '../../src/logger.js'

// The limits are checked before any channel exists, so no broker is needed here.
const consumer = (prefetch: number) =>
  new QueueConsumer({
    connection: {} as AmqpConnection,
    queue: { name: 'q', deadLetter: 'q.dl', exchange: 'x', bindings: [] },
    handler: async () => ok,
    logger: silentLogger,
    prefetch,
    prefetchScope: 'channel',
  })

describe('QueueConsumer prefetch limits', () => {
  it('accepts counts up to what AMQP carries in 16 bits', () => {
    expect(consumer(MAX_PREFETCH).currentPrefetch).toBe(65_535)
  })

  it('refuses a count that does not fit, or none', () => {
    expect(() => consumer(65_536)).toThrow(/prefetch must be a whole number from 1 to 65535, not 65536/)
    expect(() => consumer(0)).toThrow(RangeError)
    expect(() => consumer(2.5)).toThrow(RangeError)
  })

  it('keeps its prefetch when asked for one that does not fit', async () => {
    const c = consumer(500)
    await expect(c.setPrefetch(80_000)).rejects.toThrow(/not 80000/)
    expect(c.currentPrefetch).toBe(500)
  })
})

describe('StatsWriter prefetch bounds', () => {
  const writer = (prefetch: { min: number; max: number }) =>
    new StatsWriter({
      connection: {} as AmqpConnection,
      publisher: {} as ConfirmPublisher,
      queue: { name: 'q', deadLetter: 'q.dl', exchange: 'x', bindings: [] },
      log: {} as EventLog,
      logger: silentLogger,
      prefetch,
    })

  it('refuses a bound the broker cannot take, when it is built rather than at every message', () => {
    expect(() => writer({ min: 50, max: 80_000 })).toThrow(/not 80000/)
    expect(() => writer({ min: 0, max: 1_000 })).toThrow(RangeError)
    expect(writer({ min: 50, max: 65_535 })).toBeInstanceOf(StatsWriter)
  })
})
