// Collects items from many messages into batches for one store write, flushed one at a time. `add`
// resolves only once the batch holding its items is durably written, so the caller acks after the
// write. A failed write is retried with backoff (nothing is dropped; the messages stay unacked and the
// broker's prefetch stops further intake: that is the backpressure).
import type { Logger } from './logger.js'

export interface BatcherOptions<T> {
  /** Writes one batch; throws to have it retried. */
  write: (items: T[]) => Promise<void>
  /** Flush when this many items are waiting. */
  maxItems: number
  /** Flush when this many `add` calls are waiting (below the consumer's prefetch; read at each add). */
  maxAdds: number | (() => number)
  /** Flush at the latest this long after the first waiting item arrived. */
  maxWaitMs: number
  /** Flush when the waiting items' approximate size reaches this. */
  maxBytes?: number
  logger: Logger
  retryDelayMs?: { min: number; max: number }
  /**
   * Batches written at once (default 1). With 2, the next batch's preparation overlaps the previous
   * write; the writer must then keep two concurrent writes from claiming the same item.
   */
  concurrency?: number
}

interface Pending<T> {
  items: T[]
  bytes: number
  resolve: () => void
  reject: (err: Error) => void
}

export class Batcher<T> {
  private waiting: Pending<T>[] = []
  private waitingItems = 0
  private waitingBytes = 0
  private timer: NodeJS.Timeout | undefined
  private readonly flushing = new Set<Promise<void>>()
  private stopped = false

  constructor(private readonly options: BatcherOptions<T>) {}

  add(items: T[], bytes = 0): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('batcher stopped'))
    if (items.length === 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, bytes, resolve, reject })
      this.waitingItems += items.length
      this.waitingBytes += bytes
      if (this.full()) this.kick()
      else this.timer ??= setTimeout(() => this.kick(), this.options.maxWaitMs)
    })
  }

  /** Refuses new items and writes what is waiting; a write that keeps failing is given up (its items
   * reject, so their messages go back to the broker unacked). */
  async stop(): Promise<void> {
    this.stopped = true
    this.kick()
    while (this.flushing.size > 0) await Promise.allSettled([...this.flushing])
    for (const pending of this.waiting.splice(0)) pending.reject(new Error('batcher stopped'))
  }

  private full(): boolean {
    const { maxItems, maxAdds, maxBytes } = this.options
    return (
      this.waitingItems >= maxItems ||
      this.waiting.length >= (typeof maxAdds === 'function' ? maxAdds() : maxAdds) ||
      (maxBytes !== undefined && this.waitingBytes >= maxBytes)
    )
  }

  private kick(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.flushing.size >= (this.options.concurrency ?? 1) || this.waiting.length === 0) return
    const flush: Promise<void> = this.flushLoop().finally(() => {
      this.flushing.delete(flush)
      // Items that arrived during the write: flush now if they fill a batch, else on the timer.
      if (this.waiting.length > 0) {
        if (this.full() || this.stopped) this.kick()
        else this.timer ??= setTimeout(() => this.kick(), this.options.maxWaitMs)
      }
    })
    this.flushing.add(flush)
    if (this.full()) this.kick()
  }

  private async flushLoop(): Promise<void> {
    // Take whole adds up to maxItems (at least one): a backlog is written as several bounded batches.
    let take = 0
    let taken = 0
    while (
      take < this.waiting.length &&
      (take === 0 || taken + this.waiting[take]!.items.length <= this.options.maxItems)
    ) {
      taken += this.waiting[take]!.items.length
      take++
    }
    const batch = this.waiting.splice(0, take)
    this.waitingItems -= taken
    this.waitingBytes -= batch.reduce((sum, pending) => sum + pending.bytes, 0)
    const items = batch.flatMap((pending) => pending.items)
    const { min, max } = this.options.retryDelayMs ?? { min: 100, max: 5_000 }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.write(items)
        for (const pending of batch) pending.resolve()
        return
      } catch (err) {
        if (this.stopped) {
          for (const pending of batch) pending.reject(err as Error)
          return
        }
        const delay = Math.min(max, min * 2 ** attempt)
        this.options.logger.warn(
          { err: (err as Error).message, items: items.length, attempt, retryInMs: delay },
          'batch write failed; retrying',
        )
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  }
}
