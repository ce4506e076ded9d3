// Popularity from the stats pipeline into the track documents, on a schedule: all-time plays and likes
// and the plays of the last 7 days, read from the ClickHouse rollups (day buckets), copied into
// `popularity.*` of each track's document. A document whose figures have not changed is not written,
// and a write is conditional on the version read (if_seq_no), so it never overwrites an indexer's
// newer write (the indexer carries `popularity` over when it rewrites a document).
import type { Client } from '@elastic/elasticsearch'
import { TABLES } from '../rollups/tables.js'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import type { Logger } from '../src/logger.js'

export interface Popularity {
  plays_recent: number
  plays_total: number
  likes_total: number
}

export interface PopularityRun {
  tracks: number
  updated: number
  unchanged: number
  /** Tracks with stats but no document yet (indexed later: the next run fills them in). */
  notIndexed: number
  conflicts: number
}

export interface PopularityJobOptions {
  es: Client
  /** The tracks alias. */
  alias: string
  clickhouse: ClickHouseClient
  logger: Logger
  intervalMs?: number
  recentDays?: number
  now?: () => number
}

const CHUNK = 1_000

export class PopularityJob {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined

  constructor(private readonly options: PopularityJobOptions) {}

  start(): void {
    const every = this.options.intervalMs ?? 600_000
    const tick = () => {
      this.running = this.runOnce()
        .catch((err) => this.options.logger.warn({ err }, 'popularity run failed; the next one retries'))
        .finally(() => {
          this.timer = setTimeout(tick, every)
          this.timer.unref()
        })
    }
    this.timer = setTimeout(tick, 1_000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer)
    await this.running
  }

  async runOnce(): Promise<PopularityRun> {
    if (!(await this.options.es.indices.existsAlias({ name: this.options.alias }))) {
      return { tracks: 0, updated: 0, unchanged: 0, notIndexed: 0, conflicts: 0 }
    }
    const figures = await this.figures()
    const run: PopularityRun = { tracks: figures.size, updated: 0, unchanged: 0, notIndexed: 0, conflicts: 0 }
    const ids = [...figures.keys()]
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK)
      const current = await this.options.es.mget<{ popularity?: Partial<Popularity> }>({
        index: this.options.alias,
        ids: chunk.map(String),
        _source_includes: ['popularity'],
      })
      const operations: unknown[] = []
      for (const doc of current.docs) {
        if (!('found' in doc) || !doc.found) {
          run.notIndexed++
          continue
        }
        const wanted = figures.get(Number(doc._id)) as Popularity
        const had = doc._source?.popularity ?? {}
        if (
          had.plays_recent === wanted.plays_recent &&
          had.plays_total === wanted.plays_total &&
          had.likes_total === wanted.likes_total
        ) {
          run.unchanged++
          continue
        }
        operations.push(
          {
            update: {
              _index: this.options.alias,
              _id: doc._id,
              if_seq_no: doc._seq_no,
              if_primary_term: doc._primary_term,
            },
          },
          { doc: { popularity: wanted } },
        )
      }
      if (operations.length === 0) continue
      const response = await this.options.es.bulk({ operations: operations as never })
      for (const item of response.items) {
        const result = item.update
        if (!result?.error) run.updated++
        else if (result.status === 409) run.conflicts++
        else throw new Error(`popularity update refused: ${result.error.type}: ${result.error.reason ?? ''}`)
      }
    }
    this.options.logger.info(run, 'popularity copied from the rollups')
    return run
  }

  /** Per track: all-time plays and likes, and the plays of the last `recentDays` UTC days (today included). */
  private async figures(): Promise<Map<number, Popularity>> {
    const now = this.options.now?.() ?? Date.now()
    const today = Math.floor(now / 86_400_000) * 86_400
    const recentFrom = today - ((this.options.recentDays ?? 7) - 1) * 86_400
    const result = await this.options.clickhouse.query({
      query: `SELECT track_id, toUInt64(sumIf(plays, bucket >= toDateTime({recentFrom:UInt32}, 'UTC'))) AS plays_recent,
                     toUInt64(sum(plays)) AS plays_total, toUInt64(sum(likes)) AS likes_total
              FROM ${TABLES.rollup} WHERE track_id != 0 AND span_minutes = 1440
              GROUP BY track_id`,
      query_params: { recentFrom },
      format: 'JSONEachRow',
    })
    const rows = await result.json<Popularity & { track_id: number }>()
    return new Map(
      rows.map((row) => [
        Number(row.track_id),
        {
          plays_recent: Number(row.plays_recent),
          plays_total: Number(row.plays_total),
          likes_total: Number(row.likes_total),
        },
      ]),
    )
  }
}
