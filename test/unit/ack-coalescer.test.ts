import type { Message } from 'amqplib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AckCoalescer } from '../../src/amqp/ack-coalescer.js'

/** A channel that keeps the broker's books: which deliveries are outstanding, and what each ack covers. */
class BrokerBooks {
  readonly outstanding = new Set<number>()
  readonly acked: number[] = []
  frames = 0
  /** Tags the handler has released (ok): the only ones an ack may cover. */
  readonly releasable = new Set<number>()

  ack(message: Message, allUpTo?: boolean): void {
    const tag = message.fields.deliveryTag
    this.frames++
    // RabbitMQ closes the channel on an ack for a tag it does not hold.
    if (!this.outstanding.has(tag)) throw new Error(`unknown delivery tag ${tag}`)
    const covered = allUpTo ? [...this.outstanding].filter((t) => t <= tag) : [tag]
    for (const t of covered) {
      if (!this.releasable.has(t)) throw new Error(`tag ${t} acked before its handler said ok`)
      this.outstanding.delete(t)
      this.acked.push(t)
    }
  }

  /** The consumer acked (after a dead-letter publish) or nacked it itself. */
  settleAlone(tag: number): void {
    this.outstanding.delete(tag)
  }
}

const message = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

/** A coalescer over broker books with deliveries 1..count outstanding. */
function delivering(count: number, holdMs?: number): { broker: BrokerBooks; acks: AckCoalescer } {
  const broker = new BrokerBooks()
  const acks = new AckCoalescer(broker, holdMs)
  for (let tag = 1; tag <= count; tag++) {
    broker.outstanding.add(tag)
    acks.delivered(message(tag))
  }
  return { broker, acks }
}

/** The handlers of these deliveries said ok. */
function settleOk(broker: BrokerBooks, acks: AckCoalescer, tags: number[]): void {
  for (const tag of tags) {
    broker.releasable.add(tag)
    acks.ack(message(tag))
  }
}

describe('AckCoalescer', () => {
  it('acks a batch settled in order with one frame', async () => {
    const { broker, acks } = delivering(1_000)
    settleOk(
      broker,
      acks,
      Array.from({ length: 1_000 }, (_, i) => i + 1),
    )
    await nextTurn()
    expect(broker.frames).toBe(1)
    expect(broker.acked).toHaveLength(1_000)
    expect(broker.outstanding.size).toBe(0)
  })

  it('holds ok messages behind an older unsettled one, then acks them with its run in one frame', async () => {
    const { broker, acks } = delivering(3, 10_000)
    settleOk(broker, acks, [2, 3])
    await nextTurn()
    expect(broker.frames).toBe(0)
    settleOk(broker, acks, [1])
    await nextTurn()
    expect(broker.frames).toBe(1)
    expect(broker.acked.sort()).toEqual([1, 2, 3])
    expect(broker.outstanding.size).toBe(0)
  })

  it('acks a held message alone once it has waited holdMs', async () => {
    const { broker, acks } = delivering(3, 20)
    settleOk(broker, acks, [2, 3])
    await nextTurn()
    expect(broker.acked).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(broker.acked.sort()).toEqual([2, 3])
    expect([...broker.outstanding]).toEqual([1])
    settleOk(broker, acks, [1])
    await nextTurn()
    expect(broker.outstanding.size).toBe(0)
  })

  it('releases the held ones at once when the older one is settled another way', async () => {
    const { broker, acks } = delivering(2, 10_000)
    settleOk(broker, acks, [2])
    await nextTurn()
    expect(broker.frames).toBe(0)
    broker.settleAlone(1)
    acks.settledElsewhere(message(1))
    await nextTurn()
    expect(broker.acked).toEqual([2])
    expect(broker.frames).toBe(1)
  })

  it('acks everything ok when flushed for a close, held or not', async () => {
    const { broker, acks } = delivering(3, 10_000)
    settleOk(broker, acks, [3])
    await nextTurn()
    acks.flush(true)
    expect(broker.acked).toEqual([3])
    expect([...broker.outstanding]).toEqual([1, 2])
  })

  it('whatever the order of outcomes, acks exactly the ok messages, each once, none early', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }).chain((n) =>
          fc.tuple(
            fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i + 1),
              { minLength: n, maxLength: n },
            ),
            fc.array(fc.constantFrom('ok', 'ok', 'ok', 'alone'), { minLength: n, maxLength: n }),
            fc.array(fc.boolean(), { minLength: n, maxLength: n }),
          ),
        ),
        async ([order, outcomes, turns]) => {
          const { broker, acks } = delivering(order.length, 2)
          for (const [i, tag] of order.entries()) {
            if (outcomes[i] === 'ok') settleOk(broker, acks, [tag])
            else {
              broker.settleAlone(tag)
              acks.settledElsewhere(message(tag))
            }
            if (turns[i]) await nextTurn()
          }
          await nextTurn()
          await new Promise((resolve) => setTimeout(resolve, 5)) // past holdMs
          const ok = order.filter((_, i) => outcomes[i] === 'ok').sort((a, b) => a - b)
          expect([...broker.acked].sort((a, b) => a - b)).toEqual(ok)
          expect(broker.outstanding.size).toBe(0)
        },
      ),
      { numRuns: 300 },
    )
  })
})
