// Names on the bus. The exchanges are the contract (CONTRACT sections 1 and 2); queue names follow the
// source article's namespaces: "interactive" for work under 250 ms, "batch" for any work time.
// A prefix lets tests run side by side on one broker without seeing each other's messages.

export interface ConsumerQueue {
  /** The durable work queue. */
  name: string
  /** Where events that cannot be processed go, with the reason in the `x-death-reason` header. */
  deadLetter: string
  exchange: string
  bindings: string[]
  /** Extra queue arguments, fixed at declaration (changing them later needs a new queue). */
  arguments?: Record<string, unknown>
}

export interface Topology {
  exchanges: { models: string; stats: string }
  queues: { searchIndexer: ConsumerQueue; statsWriter: ConsumerQueue }
}

export function topology(prefix = ''): Topology {
  const models = `${prefix}models`
  const stats = `${prefix}stats`
  const queue = (
    name: string,
    exchange: string,
    bindings: string[],
    args?: Record<string, unknown>,
  ): ConsumerQueue => ({
    name: `${prefix}${name}`,
    deadLetter: `${prefix}${name}.dead-letter`,
    exchange,
    bindings,
    arguments: args,
  })
  return {
    exchanges: { models, stats },
    queues: {
      // Only Track and User changes concern search; other classes are never routed here.
      searchIndexer: queue('interactive.search-indexer', models, ['*.Track', '*.User']),
      // One writer consumes at a time (others stand by): its duplicate check and insert are then never
      // raced by another writer holding a redelivered copy of the same event.
      statsWriter: queue('batch.stats-writer', stats, ['#'], { 'x-single-active-consumer': true }),
    },
  }
}
