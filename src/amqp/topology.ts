// Declares exchanges and queues. Idempotent: every process declares what it uses on every connection,
// so a fresh broker (or one that lost its definitions) is brought back to shape without an operator.
import type { Channel } from 'amqplib'
import type { ConsumerQueue, Topology } from '../contracts/topology.js'

export async function declareExchanges(channel: Channel, topology: Topology): Promise<void> {
  await channel.assertExchange(topology.exchanges.models, 'topic', { durable: true })
  await channel.assertExchange(topology.exchanges.stats, 'topic', { durable: true })
}

export async function declareConsumerQueue(channel: Channel, queue: ConsumerQueue): Promise<void> {
  await channel.assertExchange(queue.exchange, 'topic', { durable: true })
  await channel.assertQueue(queue.deadLetter, { durable: true })
  await channel.assertQueue(queue.name, {
    durable: true,
    // A message rejected without requeue (or one the broker drops) lands in the dead-letter queue
    // rather than vanishing; our own dead-lettering publishes there directly, with a reason.
    arguments: {
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue.deadLetter,
      ...queue.arguments,
    },
  })
  for (const pattern of queue.bindings) await channel.bindQueue(queue.name, queue.exchange, pattern)
}

export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  await declareExchanges(channel, topology)
  for (const queue of Object.values(topology.queues)) await declareConsumerQueue(channel, queue)
}
