// Benchmark: what acking out of order costs the broker. Two batches in flight often finish out of
// order; this drains a pre-filled queue in batches of 2,000 (prefetch 4,000) three ways, side by side:
// one `multiple` ack per batch in order; the younger batch acked message by message before the older
// batch's `multiple` ack (what the consumer did before AckCoalescer held such acks); and through
// AckCoalescer itself with the same out-of-order completion; and the in-order and coalescer modes again
// with the prefetch limit set per consumer instead of per channel (QueueConsumer's prefetchScope).
// Reported: drain rate, and the broker's CPU per message when the broker runs on this machine (read
// from /proc; otherwise left out).
import amqp, { type Channel, type ConsumeMessage } from 'amqplib'
import { AckCoalescer, DEFAULT_ACK_HOLD_MS } from '../src/amqp/ack-coalescer.js'
import type { Config } from '../src/config.js'
import { cpuPerEvent, ProcessCpu } from './process-cpu.js'

export type AckMode = 'multiple-in-order' | 'single-out-of-order' | 'coalescer-out-of-order'
export type PrefetchScope = 'channel' | 'consumer'
export interface BrokerAcksResult {
  messages: number
  modes: Array<{
    mode: AckMode
    prefetchScope: PrefetchScope
    messagesPerSecond: number
    brokerCpuUsPerMessage: number | null
  }>
}

const CASES: Array<{ mode: AckMode; prefetchScope: PrefetchScope }> = [
  { mode: 'multiple-in-order', prefetchScope: 'channel' },
  { mode: 'single-out-of-order', prefetchScope: 'channel' },
  { mode: 'coalescer-out-of-order', prefetchScope: 'channel' },
  { mode: 'multiple-in-order', prefetchScope: 'consumer' },
  { mode: 'coalescer-out-of-order', prefetchScope: 'consumer' },
]

const BATCH = 2_000
const WRITE_MS = 150
/** The wait after the last batch, past AckCoalescer's hold, so its acks are sent; not counted. */
const SETTLE_MS = DEFAULT_ACK_HOLD_MS + 100

async function drain(
  channel: Channel,
  queue: string,
  messages: number,
  { mode, prefetchScope }: (typeof CASES)[number],
): Promise<void> {
  await channel.prefetch(2 * BATCH, prefetchScope === 'channel')
  const coalescer = new AckCoalescer(channel)
  let received = 0
  let batch: ConsumeMessage[] = []
  let younger: ConsumeMessage[] | undefined
  await new Promise<void>((resolve) => {
    const settle = (messagesOf: ConsumeMessage[], last: boolean) => {
      if (mode === 'multiple-in-order') channel.ack(messagesOf.at(-1)!, true)
      else if (mode === 'coalescer-out-of-order') for (const m of messagesOf) coalescer.ack(m)
      else if (last) channel.ack(messagesOf.at(-1)!, true)
      else for (const m of messagesOf) channel.ack(m)
    }
    void channel.consume(queue, (message) => {
      if (!message) return
      received++
      coalescer.delivered(message)
      batch.push(message)
      if (batch.length < BATCH && received < messages) return
      const full = batch
      batch = []
      // A write's wait; in the out-of-order modes every second batch finishes before the one before it.
      setTimeout(() => {
        if (mode === 'multiple-in-order' || received === messages) {
          if (younger) settle(younger, false)
          settle(full, true)
          younger = undefined
        } else if (!younger) {
          younger = full
          return
        } else {
          settle(full, false)
          settle(younger, true)
          younger = undefined
        }
        if (received === messages) setTimeout(resolve, SETTLE_MS)
      }, WRITE_MS)
    })
  })
}

export async function benchBrokerAcks(
  config: Config,
  options: { messages: number },
  log: (line: string) => void,
): Promise<BrokerAcksResult> {
  const connection = await amqp.connect(config.amqp.url)
  const publisher = await connection.createConfirmChannel()
  const body = Buffer.from(
    JSON.stringify({ id: 1, title: 'x'.repeat(600), updated_at: '2026-01-01T00:00:00Z' }),
  )
  const modes: BrokerAcksResult['modes'] = []
  const processCpu = new ProcessCpu(['broker'])
  try {
    for (const testCase of CASES) {
      const { mode, prefetchScope } = testCase
      const queue = `bench-acks-${Date.now().toString(36)}-${mode}-${prefetchScope}`
      await publisher.assertQueue(queue, { durable: true })
      for (let i = 0; i < options.messages; i++) {
        publisher.sendToQueue(queue, body, { persistent: true })
        if (i % 500 === 499) await publisher.waitForConfirms()
      }
      await publisher.waitForConfirms()
      const channel = await connection.createChannel()
      const cpuBefore = processCpu.read()
      const started = performance.now()
      await drain(channel, queue, options.messages, testCase)
      const seconds = (performance.now() - started - SETTLE_MS) / 1000
      const cpu = cpuPerEvent(cpuBefore, processCpu.read(), options.messages)
      const result = {
        mode,
        prefetchScope,
        messagesPerSecond: Math.round(options.messages / seconds),
        brokerCpuUsPerMessage: cpu.broker ?? null,
      }
      modes.push(result)
      log(
        `  ${mode}, ${prefetchScope} prefetch: ${result.messagesPerSecond} messages/s, broker ${result.brokerCpuUsPerMessage ?? '?'} us CPU/message`,
      )
      await channel.close()
      await publisher.deleteQueue(queue)
    }
  } finally {
    await connection.close()
  }
  return { messages: options.messages, modes }
}
