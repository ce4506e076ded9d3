// The real broker: confirmed publishing, consuming with manual acks, dead-lettering with a reason, and
// a connection that comes back by itself after it is cut.
import type { ConsumeMessage } from 'amqplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AmqpConnection } from '../../src/amqp/connection.js'
import { DEATH_REASON_HEADER, QueueConsumer } from '../../src/amqp/consumer.js'
import { deadLetter, ok, retry } from '../../src/amqp/outcome.js'
import { ConfirmPublisher } from '../../src/amqp/publisher.js'
import { silentLogger } from '../../src/logger.js'
import {
  declareTestTopology,
  eventually,
  removeTestTopology,
  type TestEnv,
  testEnv,
} from '../support/harness.js'

let env: TestEnv
let connection: AmqpConnection
let publisher: ConfirmPublisher

beforeAll(async () => {
  env = testEnv('amqp')
  connection = new AmqpConnection({
    url: env.config.amqp.url,
    logger: silentLogger,
    reconnectDelayMs: { min: 50, max: 500 },
  })
  await connection.start()
  publisher = await ConfirmPublisher.create(connection)
  await declareTestTopology(env.config.amqp.url, env.topology)
})

afterAll(async () => {
  await removeTestTopology(env.config.amqp.url, env.topology)
  await connection.close()
  env.cleanup()
})

async function messageCount(queue: string): Promise<number> {
  const model = await connection.waitForConnection(5_000)
  const channel = await model.createChannel()
  try {
    return (await channel.checkQueue(queue)).messageCount
  } finally {
    await channel.close()
  }
}

describe('AMQP', () => {
  const searchIndexer = () => env.topology.queues.searchIndexer

  it('declares the contract exchanges as durable topics that route Track and User keys only', async () => {
    const queue = searchIndexer()
    await publisher.publish(env.topology.exchanges.models, 'save.Track', { title: ['a', 'b'] })
    await publisher.publish(env.topology.exchanges.models, 'save.Comment', { body: ['x', 'y'] })
    await publisher.publish(env.topology.exchanges.models, 'create.User', { id: 1 })
    // A confirmed publish is in the queue by the time publish() resolves: no polling needed.
    expect(await messageCount(queue.name)).toBe(2)
  })

  it('consumes with manual acks and dead-letters a bad message with its reason, good ones keep flowing', async () => {
    const queue = searchIndexer()
    const seen: string[] = []
    const consumer = new QueueConsumer({
      connection,
      queue,
      logger: silentLogger,
      prefetch: 10,
      handler: async (message: ConsumeMessage) => {
        try {
          seen.push(JSON.stringify(JSON.parse(message.content.toString())))
          return ok
        } catch (err) {
          return deadLetter(`body is not JSON: ${(err as Error).message}`)
        }
      },
    })
    await consumer.start()
    await publisher.publish(env.topology.exchanges.models, 'save.Track', Buffer.from('{not json'), {
      messageId: 'bad-1',
    })
    await publisher.publish(env.topology.exchanges.models, 'destroy.Track', { id: 7 })
    try {
      await eventually(() => expect(seen).toHaveLength(3))
    } finally {
      await consumer.stop()
    }

    expect(await messageCount(queue.name)).toBe(0)
    const model = await connection.waitForConnection(5_000)
    const channel = await model.createChannel()
    const parked = await channel.get(queue.deadLetter, { noAck: true })
    await channel.close()
    expect(parked).not.toBe(false)
    if (!parked) return
    expect(parked.content.toString()).toBe('{not json')
    expect(parked.properties.messageId).toBe('bad-1')
    expect(String(parked.properties.headers?.[DEATH_REASON_HEADER])).toMatch(/^body is not JSON/)
    expect(parked.properties.headers?.['x-original-routing-key']).toBe('save.Track')
  })

  it('retries a message whose handler asks for it, and it is not lost', async () => {
    const queue = searchIndexer()
    let attempts = 0
    const consumer = new QueueConsumer({
      connection,
      queue,
      logger: silentLogger,
      prefetch: 1,
      retryDelayMs: { first: 20, redelivered: 20 },
      handler: async () => (++attempts < 3 ? retry('store is down') : ok),
    })
    await consumer.start()
    await publisher.publish(env.topology.exchanges.models, 'save.User', { id: 3 })
    try {
      await eventually(() => expect(attempts).toBe(3))
    } finally {
      await consumer.stop()
    }
    expect(await messageCount(queue.name)).toBe(0)
  })

  it('changes its prefetch while consuming (channel scope): more in flight at once, each acked once, none lost', async () => {
    const queue = searchIndexer()
    for (let id = 1; id <= 60; id++)
      await publisher.publish(env.topology.exchanges.models, 'save.User', { id })
    const seen: number[] = []
    const held: Array<() => void> = []
    const consumer: QueueConsumer = new QueueConsumer({
      connection,
      queue,
      logger: silentLogger,
      prefetch: 5,
      prefetchScope: 'channel',
      handler: async (message) => {
        // As the stats writer does: the first delivery asks for another limit.
        if (seen.length === 0) consumer.setPrefetch(20).catch(() => undefined)
        seen.push((JSON.parse(message.content.toString()) as { id: number }).id)
        await new Promise<void>((resolve) => held.push(resolve))
        return ok
      },
    })
    await consumer.start()
    const settle = async (count: number) => {
      await eventually(() => expect(seen).toHaveLength(count))
      // The broker holds the rest back.
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(seen).toHaveLength(count)
    }
    try {
      // The channel's limit applies at once to the messages in flight: twenty, then thirty.
      await settle(20)
      expect(consumer.currentPrefetch).toBe(20)
      await consumer.setPrefetch(30)
      await settle(30)

      // Released, the rest flow at the new limit, and every message is settled once.
      while (seen.length < 60 || held.length > 0) {
        for (const release of held.splice(0)) release()
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await eventually(() => expect(consumer.inFlightCount).toBe(0))
    } finally {
      for (const release of held.splice(0)) release()
      await consumer.stop()
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
    expect(await messageCount(queue.name)).toBe(0)
  })

  it('reconnects by itself after the connection is cut, and consuming resumes', async () => {
    const queue = searchIndexer()
    const seen: number[] = []
    const consumer = new QueueConsumer({
      connection,
      queue,
      logger: silentLogger,
      prefetch: 5,
      handler: async (message) => {
        seen.push((JSON.parse(message.content.toString()) as { id: number }).id)
        return ok
      },
    })
    await consumer.start()
    try {
      await publisher.publish(env.topology.exchanges.models, 'save.User', { id: 1 })
      await eventually(() => expect(seen).toContain(1))

      // Cut the TCP connection under the client, as a broker restart or a network fault would.
      const model = await connection.waitForConnection(5_000)
      const before = connection.connectCount
      ;(model.connection as unknown as { stream: { destroy(err: Error): void } }).stream.destroy(
        new Error('network fault'),
      )
      await eventually(() => expect(connection.connectCount).toBe(before + 1))
      expect(connection.connected).toBe(true)

      await publisher.publish(env.topology.exchanges.models, 'save.User', { id: 2 })
      await eventually(() => expect(seen).toContain(2))
    } finally {
      await consumer.stop()
    }
  })
})
