// Acks many deliveries with one frame. A consumer that settles a batch of a thousand messages at once
// would otherwise send a thousand ack frames, and the broker (on the same two cores as everything
// else) spends as much CPU on them as on delivering. Deliveries settled `ok` are collected for one
// turn of the event loop; the longest run of them from the oldest unsettled delivery is acked with
// `multiple` (everything up to the last tag of the run), and the ones after a still-unsettled delivery
// are acked one by one, so no message waits on another and none is acked before its handler says so.
import type { Channel, Message } from 'amqplib'

export class AckCoalescer {
  /** Delivery tags not yet acked or nacked, oldest first (the broker numbers them in order). */
  private readonly unsettled: number[] = []
  private head = 0
  /** Tags whose handler said ok, not yet acked. */
  private readonly ready = new Set<number>()
  /** Tags acked or nacked one by one while older ones were unsettled. */
  private readonly settledAlone = new Set<number>()
  private scheduled = false

  constructor(private readonly channel: Pick<Channel, 'ack'>) {}

  delivered(message: Message): void {
    this.unsettled.push(message.fields.deliveryTag)
  }

  /** The message may be acked: it will be, within this turn of the event loop. */
  ack(message: Message): void {
    this.ready.add(message.fields.deliveryTag)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
  }

  /** The message was settled another way (dead-lettered and acked, or nacked) by the caller. */
  settledElsewhere(message: Message): void {
    this.settledAlone.add(message.fields.deliveryTag)
  }

  /** Sends the acks now (before the channel closes). */
  flush(): void {
    this.scheduled = false
    let upTo: number | undefined
    while (this.head < this.unsettled.length) {
      const tag = this.unsettled[this.head]!
      if (this.ready.delete(tag)) upTo = tag
      else if (!this.settledAlone.delete(tag)) break
      this.head++
    }
    try {
      // `multiple` acks every outstanding tag up to upTo: all of them are ready or already settled.
      if (upTo !== undefined) this.channel.ack(tagged(upTo), true)
      for (const tag of this.ready) this.channel.ack(tagged(tag), false)
    } catch {
      // The channel closed: the broker redelivers whatever was not acked. Nothing is lost.
    }
    if (this.ready.size > 0) {
      // Acked alone, behind an unsettled one: skipped when the run reaches them.
      for (const tag of this.ready) this.settledAlone.add(tag)
      this.ready.clear()
    }
    if (this.head > 1_024 && this.head * 2 > this.unsettled.length) {
      this.unsettled.splice(0, this.head)
      this.head = 0
    }
  }
}

/** amqplib acks by `fields.deliveryTag` only. */
function tagged(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message
}
