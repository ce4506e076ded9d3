// A small producer library for stats events: one event per message (routing key = its type) or a
// batch (routing key `batch`), each publish confirmed by the broker. Used by the command line, tests,
// demos and benchmarks.
import { randomUUID } from 'node:crypto'
import type { ConfirmPublisher } from '../amqp/publisher.js'
import type { StatsEventInput } from '../contracts/stats-events.js'

export class StatsEventPublisher {
  constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly exchange: string,
  ) {}

  /** One event, routed by its type. The event id doubles as the message id. */
  publishOne(event: StatsEventInput | Record<string, unknown>): Promise<void> {
    const type = typeof event.type === 'string' ? event.type : 'unknown'
    return this.publisher.publish(this.exchange, type, event, {
      messageId: typeof event.id === 'string' ? event.id : randomUUID(),
    })
  }

  /** Several events in one message, types mixed. */
  publishBatch(events: (StatsEventInput | Record<string, unknown>)[]): Promise<void> {
    return this.publisher.publish(this.exchange, 'batch', events, { messageId: randomUUID() })
  }

  /**
   * Publishes many events, `perMessage` to a message (1: one event per message), keeping up to
   * `inFlight` publishes awaiting their confirms. Calls `onProgress` with the number published.
   */
  async publishAll(
    events: Iterable<StatsEventInput>,
    options: { perMessage: number; inFlight?: number; onProgress?: (published: number) => void },
  ): Promise<number> {
    const limit = options.inFlight ?? 256
    const pending = new Set<Promise<void>>()
    let published = 0
    let chunk: StatsEventInput[] = []
    const send = async (group: StatsEventInput[]) => {
      const work =
        group.length === 1 && options.perMessage === 1 ? this.publishOne(group[0]!) : this.publishBatch(group)
      pending.add(work)
      void work.finally(() => pending.delete(work)).catch(() => undefined)
      if (pending.size >= limit) await Promise.race(pending)
      published += group.length
      options.onProgress?.(published)
    }
    for (const event of events) {
      chunk.push(event)
      if (chunk.length >= options.perMessage) {
        await send(chunk)
        chunk = []
      }
    }
    if (chunk.length > 0) await send(chunk)
    await Promise.all(pending)
    return published
  }
}
