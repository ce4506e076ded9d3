// The search indexer: consumes ModelBroadcast events (queue interactive.search-indexer) into the track
// and user indexes. Events are batched; for each record in a batch the indexer reads the stored merge
// state, applies the batch's events (record-state.ts: any order, any number of times, same result) and
// writes the document back with optimistic concurrency. Messages are acked only after Elasticsearch
// has taken the write (a bulk returns after the translog is fsynced). Users are written before tracks,
// so tracks copy their artist's newest username, permalink and verified flag; when those change, the
// artist's existing tracks are updated too.
import type { Client } from '@elastic/elasticsearch'
import type { ConsumeMessage } from 'amqplib'
import type { AmqpConnection } from '../src/amqp/connection.js'
import { QueueConsumer } from '../src/amqp/consumer.js'
import { deadLetter, drop, type Outcome, ok, retry } from '../src/amqp/outcome.js'
import { Batcher } from '../src/batcher.js'
import { type ModelChange, type ModelClass, parseModelEvent } from '../src/contracts/model-events.js'
import type { ConsumerQueue } from '../src/contracts/topology.js'
import type { Logger } from '../src/logger.js'
import { fold } from '../src/text.js'
import type { ArtistInfo } from './documents.js'
import { ensureIndex } from './index-store.js'
import { trackIndex, userIndex } from './mappings.js'
import { type MergeResult, mergeIntoIndex } from './merge-into-index.js'
import { joinStates, type RecordState, stateOfChange } from './record-state.js'
import type { ReplicaSource } from './replica-source.js'

export interface ModelIndexerOptions {
  connection: AmqpConnection
  queue: ConsumerQueue
  es: Client
  /** Alias names (tests use prefixed ones). */
  aliases?: { tracks: string; users: string }
  logger: Logger
  /** The Mothership's read replica: completes records known only from saves. */
  replica?: ReplicaSource
  prefetch?: number
  maxBatch?: number
  maxWaitMs?: number
}

interface Item {
  change: ModelChange
  outcome?: Outcome
}

const MAX_CONFLICT_ROUNDS = 5

/** What a merge leaves behind in the main index. */
type Merged = Pick<MergeResult, 'changedArtists' | 'states'>
/** `<alias><suffix>` points at the index a rebuild is filling; live batches are merged into it too. */
export const REBUILD_SUFFIX = '-next'
/** How long the indexer trusts its last look at the rebuild aliases (rebuild.ts waits longer). */
export const REBUILD_CHECK_MS = 1_000

export class ModelIndexer {
  readonly counters = {
    messages: 0,
    written: 0,
    conflicts: 0,
    deadLettered: 0,
    ignored: 0,
    completedFromReplica: 0,
  }
  readonly aliases: { tracks: string; users: string }
  private readonly batcher: Batcher<Item>
  private readonly consumer: QueueConsumer

  constructor(private readonly options: ModelIndexerOptions) {
    this.aliases = options.aliases ?? { tracks: trackIndex.alias, users: userIndex.alias }
    const maxItems = options.maxBatch ?? 2_000
    // Room for three full batches: one being filled while two are written, or three written at once.
    const prefetch = options.prefetch ?? 3 * maxItems
    this.batcher = new Batcher<Item>({
      write: (items) => this.write(items),
      maxItems,
      maxAdds: Math.max(1, Math.floor(prefetch / 2)),
      // Interactive work: a change should be searchable within a second or two.
      maxWaitMs: options.maxWaitMs ?? 50,
      logger: options.logger,
      // Three batches at once: safe, because writes are joins under optimistic concurrency (a record
      // two batches touch is a conflict, re-read and re-merged). Measured in two side-by-side pairs of
      // benchmark runs: 3 batches and prefetch 6,000 indexed 9.0k-12.0k creates/s (60-61% of the bulk
      // helper) where 2 and 4,000 indexed 7.7k-10.0k (52-54%): the broker, this process and
      // Elasticsearch take turns, and a third batch keeps the one that would wait busy.
      concurrency: 3,
    })
    this.consumer = new QueueConsumer({
      connection: options.connection,
      queue: options.queue,
      logger: options.logger,
      prefetch,
      handler: (message) => this.handle(message),
      onSettled: (outcome) => {
        this.counters.messages++
        if (outcome.kind === 'dead-letter') this.counters.deadLettered++
        if (outcome.kind === 'drop') this.counters.ignored++
      },
    })
  }

  async start(): Promise<void> {
    await ensureIndex(this.options.es, userIndex, this.aliases.users)
    await ensureIndex(this.options.es, trackIndex, this.aliases.tracks)
    await this.consumer.start()
  }

  async stop(deadlineMs = 10_000): Promise<void> {
    await this.consumer.stop(deadlineMs)
    await this.batcher.stop()
  }

  private async handle(message: ConsumeMessage): Promise<Outcome> {
    const parsed = parseModelEvent(
      message.fields.routingKey,
      message.content,
      message.properties.headers?.model_id,
    )
    if (parsed.kind === 'ignored') return drop(parsed.reason)
    if (parsed.kind === 'invalid') return deadLetter(parsed.reason)
    const item: Item = { change: parsed.change }
    try {
      await this.batcher.add([item])
    } catch (err) {
      return retry((err as Error).message)
    }
    return item.outcome ?? ok
  }

  /** Writes one batch; throws (so the batch is retried) when Elasticsearch is unavailable or overloaded. */
  private async write(items: Item[]): Promise<void> {
    // Users first, so tracks copy their artist's newest fields. During a rebuild (rebuild.ts) the
    // alias `<alias>-next` exists and every batch is merged into the new index too.
    const users = await this.merge('User', items)
    const completedUsers = await this.complete('User', users.states)
    const changedArtists = new Map([...users.changedArtists, ...completedUsers.changedArtists])
    const tracks = await this.merge('Track', items)
    await this.complete('Track', tracks.states)
    if (changedArtists.size > 0) await this.propagateArtists(changedArtists)
  }

  /**
   * Records of this batch that the index still knows only from saves (no create yet): their whole
   * record comes from the replica, merged like a create with the replica's updated_at. Without a
   * replica they wait, invisible, for their create event.
   */
  private async complete(model: ModelClass, states: Map<number, RecordState>): Promise<Merged> {
    const replica = this.options.replica
    const pending = [...states.values()]
      .filter((state) => state.createdVersion === null && state.destroyedVersion === null)
      .map((state) => state.id)
    if (!replica || pending.length === 0) return { changedArtists: new Map(), states: new Map() }
    const completions: Item[] = []
    for (const record of await replica.fetch(model, pending)) {
      const parsed = parseModelEvent(`create.${model}`, JSON.stringify(record))
      if (parsed.kind === 'change') completions.push({ change: parsed.change })
      else
        this.options.logger.warn(
          { model, id: record.id, reason: parsed.reason },
          'replica record is not valid',
        )
    }
    this.counters.completedFromReplica += completions.length
    return this.merge(model, completions)
  }

  /** Merges the items' events into the index (and a rebuild's new index); returns the main index's view. */
  private async merge(model: ModelClass, items: Item[]): Promise<Merged> {
    const mine = items.filter((item) => item.change.model === model)
    if (mine.length === 0) return { changedArtists: new Map(), states: new Map() }
    const incoming = new Map<number, RecordState>()
    for (const item of mine) {
      const state = stateOfChange(item.change)
      const known = incoming.get(item.change.id)
      incoming.set(item.change.id, known ? joinStates(known, state) : state)
    }
    const alias = model === 'User' ? this.aliases.users : this.aliases.tracks
    const nextUsers = `${this.aliases.users}${REBUILD_SUFFIX}`
    const targets = [{ index: alias, usersIndex: this.aliases.users }]
    if (await this.rebuilding(`${alias}${REBUILD_SUFFIX}`)) {
      const usersIndex = (await this.rebuilding(nextUsers)) ? nextUsers : this.aliases.users
      targets.push({ index: `${alias}${REBUILD_SUFFIX}`, usersIndex })
    }
    let main: Merged = { changedArtists: new Map(), states: new Map() }
    for (const [i, target] of targets.entries()) {
      const result = await mergeIntoIndex(
        { es: this.options.es, ...target, requireAlias: true, createsWithoutRead: true },
        model,
        incoming,
      )
      this.counters.written += result.written
      this.counters.conflicts += result.conflicts
      for (const [id, reason] of result.rejected) {
        for (const item of mine) {
          if (item.change.id === id)
            item.outcome = deadLetter(`Elasticsearch refused the document: ${reason}`)
        }
      }
      if (i === 0) main = result
    }
    return main
  }

  private readonly rebuildSeen = new Map<string, { exists: boolean; at: number }>()

  /**
   * Whether a rebuild alias exists, asked at most once a second (two requests per batch otherwise).
   * A rebuild waits longer than that (plus a batch) before copying, and copies again before its swap.
   */
  private async rebuilding(alias: string): Promise<boolean> {
    const seen = this.rebuildSeen.get(alias)
    if (seen && Date.now() - seen.at < REBUILD_CHECK_MS) return seen.exists
    const exists = await this.options.es.indices.existsAlias({ name: alias })
    this.rebuildSeen.set(alias, { exists, at: Date.now() })
    return exists
  }

  /** Copies changed artist fields into the artist's visible tracks (older copies only). */
  private async propagateArtists(changed: Map<number, ArtistInfo | undefined>): Promise<void> {
    const es = this.options.es
    // Searches see only refreshed documents; tracks written in the last second must be found too.
    await es.indices.refresh({ index: this.aliases.tracks })
    for (const [artistId, info] of changed) {
      for (let round = 0; ; round++) {
        if (round === MAX_CONFLICT_ROUNDS) throw new Error(`tracks of artist ${artistId} kept conflicting`)
        const hits = await es.search<{ user?: { version?: number } | null }>({
          index: this.aliases.tracks,
          size: 10_000,
          seq_no_primary_term: true,
          _source: ['user.version'],
          query: { bool: { filter: [{ term: { user_id: artistId } }, { term: { visible: true } }] } },
        })
        const stale = hits.hits.hits.filter((hit) =>
          info ? (hit._source?.user?.version ?? -1) < info.version : hit._source?.user != null,
        )
        if (stale.length === 0) break
        const user = info
          ? {
              id: info.id,
              username: info.username,
              username_folded: fold(info.username),
              permalink: info.permalink,
              verified: info.verified,
              version: info.version,
            }
          : null
        const response = await es.bulk({
          operations: stale.flatMap((hit) => [
            {
              update: {
                _index: hit._index,
                _id: hit._id,
                if_seq_no: hit._seq_no,
                if_primary_term: hit._primary_term,
              },
            },
            { doc: { user } },
          ]),
        })
        const failures = response.items.map((item) => item.update).filter((u) => u?.error && u.status !== 409)
        if (failures.length > 0)
          throw new Error(`updating artist ${artistId}'s tracks: ${failures[0]?.error?.reason}`)
        if (!response.items.some((item) => item.update?.status === 409)) break
      }
    }
  }
}
