// Acks many deliveries with one frame. A consumer that settles a batch of a thousand messages at once
// would otherwise send a thousand ack frames, and the broker (on the same two cores as everything
// else) spends as much CPU on them as on delivering. Deliveries settled `ok` are collected for one
// turn of the event loop; the longest run of them from the oldest unsettled delivery is acked with
// `multiple` (everything up to the last tag of the run).
//
// An ok delivery behind one still unsettled (batches in flight, a younger one written first) is held
// until the run reaches it, up to `holdMs`, and only then acked alone. Acking it alone at once is what
// RabbitMQ handles worst: measured on this machine (3.10, 4,000 in flight, batches of 2,000; `npm run
// bench -- broker-acks`), a consumer that acked every younger batch message by message before the
// older batch's multiple ack cost the broker 310 to 360 us of CPU per message, against 23 to 45 us
// when each batch was one multiple ack; the indexer ran at half speed in the rounds where that
// happened. The bound keeps a delivery stuck in a retry from holding the others' acks (and their
// prefetch slots) for long.
import type { Channel, Message } from 'amqplib'

export const DEFAULT_ACK_HOLD_MS = 500

export class AckCoalescer {
  /** Delivery tags not yet acked or nacked, oldest first (the broker numbers them in order). */
  private readonly unsettled: number[] = []
  private head = 0
  /** Tags whose handler said ok, not yet acked, with when (oldest first: a Map keeps order). */
  private readonly ready = new Map<number, number>()
  /** Tags acked or nacked one by one while older ones were unsettled. */
  private readonly settledAlone = new Set<number>()
  private scheduled = false
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly channel: Pick<Channel, 'ack'>,
    private readonly holdMs = DEFAULT_ACK_HOLD_MS,
  ) {}

  delivered(message: Message): void {
    this.unsettled.push(message.fields.deliveryTag)
  }

  /** The message may be acked: it will be, within this turn of the event loop or at most holdMs later. */
  ack(message: Message): void {
    this.ready.set(message.fields.deliveryTag, performance.now())
    this.schedule()
  }

  /** The message was settled another way (dead-lettered and acked, or nacked) by the caller. */
  settledElsewhere(message: Message): void {
    this.settledAlone.add(message.fields.deliveryTag)
    // It may have been what held the others.
    if (this.ready.size > 0) this.schedule()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  /** Sends the acks that are due; with `all`, every ok one now (before the channel closes). */
  flush(all = false): void {
    this.scheduled = false
    let upTo: number | undefined
    while (this.head < this.unsettled.length) {
      const tag = this.unsettled[this.head]!
      if (this.ready.delete(tag)) upTo = tag
      else if (!this.settledAlone.delete(tag)) break
      this.head++
    }
    // What is left is held behind an unsettled delivery; the ones held too long are acked alone.
    const now = performance.now()
    const alone: number[] = []
    for (const [tag, since] of this.ready) {
      if (!all && now - since < this.holdMs) break // the rest are younger
      alone.push(tag)
      this.ready.delete(tag)
      // Acked alone, behind an unsettled one: skipped when the run reaches it.
      this.settledAlone.add(tag)
    }
    try {
      // `multiple` acks every outstanding tag up to upTo: all of them are ok or already settled.
      if (upTo !== undefined) this.channel.ack(tagged(upTo), true)
      for (const tag of alone) this.channel.ack(tagged(tag), false)
    } catch {
      // The channel closed: the broker redelivers whatever was not acked. Nothing is lost.
    }
    this.scheduleHeld(now)
    if (this.head > 1_024 && this.head * 2 > this.unsettled.length) {
      this.unsettled.splice(0, this.head)
      this.head = 0
    }
  }

  /** A timer for the oldest held ack's deadline (none while nothing is held). */
  private scheduleHeld(now: number): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const oldest = this.ready.values().next()
    if (oldest.done) return
    this.timer = setTimeout(() => this.flush(), Math.max(0, oldest.value + this.holdMs - now))
    this.timer.unref()
  }
}

/** amqplib acks by `fields.deliveryTag` only. */
function tagged(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message
}
