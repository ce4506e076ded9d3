// Popularity from the stats pipeline into search: the job copies plays and likes from the ClickHouse
// rollups into the track documents, writes only what changed, and the indexer's later rewrites of a
// document keep the figures; a more played track ranks above an equal match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PopularityJob } from '../../indexers/popularity-job.js'
import { EventLog } from '../../rollups/event-log.js'
import { migrate } from '../../rollups/migrate.js'
import { type ClickHouseClient, createClickHouse } from '../../src/clickhouse/client.js'
import { validateStatsEvent } from '../../src/contracts/stats-events.js'
import { silentLogger } from '../../src/logger.js'
import { eventually } from '../support/harness.js'
import { type IndexerFixture, startIndexerFixture } from '../support/indexer-fixture.js'
import { trackRecord, userRecord } from '../support/records.js'
import { playEvent } from '../support/stats-events.js'

let fixture: IndexerFixture
let clickhouse: ClickHouseClient
let alias: string

beforeAll(async () => {
  fixture = await startIndexerFixture('popularity')
  alias = `${fixture.env.prefix.replace(/\.$/, '')}-tracks`
  clickhouse = await createClickHouse(fixture.env.config.clickhouse)
  await migrate(clickhouse)
  await fixture.models.create('User', userRecord(500))
  for (const id of [1, 2, 3])
    await fixture.models.create('Track', trackRecord(id, { title: `Night Drive ${id}` }))
  await eventually(async () => {
    await fixture.es.indices.refresh({ index: alias })
    expect((await fixture.es.count({ index: alias })).count).toBe(3)
  })
  // Track 2: 30 plays today and 4 likes; track 3: 5 plays 40 days ago; track 1: none.
  const now = Date.now()
  const events = [
    ...Array.from({ length: 30 }, (_, i) => play(`p2-${i}`, 2, now - i * 60_000)),
    ...Array.from({ length: 4 }, (_, i) => ({ ...play(`l2-${i}`, 2, now - i * 60_000), type: 'like' })),
    ...Array.from({ length: 5 }, (_, i) => play(`p3-${i}`, 3, now - 40 * 86_400_000 - i * 60_000)),
  ].map((event) => {
    const validated = validateStatsEvent(event)
    if (!validated.ok) throw new Error(validated.reason)
    return validated.row
  })
  await new EventLog(clickhouse).append(events)
}, 60_000)

afterAll(async () => {
  await clickhouse?.close()
  await fixture?.stop()
})

function play(id: string, track: number, at: number) {
  return playEvent({ id, occurred_at: at, track_id: track, owner_id: 500, user_id: 7 })
}

const popularityOf = async (id: number) =>
  (await fixture.es.get<{ popularity?: unknown }>({ index: alias, id: String(id) }))._source?.popularity

describe('the popularity job', () => {
  it('copies plays and likes from the rollups, and rewrites nothing unchanged', async () => {
    const job = new PopularityJob({ es: fixture.es, alias, clickhouse, logger: silentLogger })
    const first = await job.runOnce()
    expect(first).toMatchObject({ tracks: 2, updated: 2, unchanged: 0, notIndexed: 0 })
    expect(await popularityOf(2)).toEqual({ plays_recent: 30, plays_total: 30, likes_total: 4 })
    expect(await popularityOf(3)).toEqual({ plays_recent: 0, plays_total: 5, likes_total: 0 })
    expect(await popularityOf(1)).toBeUndefined()
    const version = (await fixture.es.get({ index: alias, id: '2' }))._seq_no
    const second = await job.runOnce()
    expect(second).toMatchObject({ tracks: 2, updated: 0, unchanged: 2 })
    expect((await fixture.es.get({ index: alias, id: '2' }))._seq_no).toBe(version)
  })

  it('survives the indexer rewriting the document', async () => {
    await fixture.models.save('Track', 2, {
      title: ['Night Drive 2', 'Night Drive II'],
      updated_at: [null, new Date().toISOString()],
    })
    await eventually(async () => {
      const doc = await fixture.es.get<{ title: string; popularity?: unknown }>({ index: alias, id: '2' })
      expect(doc._source?.title).toBe('Night Drive II')
      expect(doc._source?.popularity).toEqual({ plays_recent: 30, plays_total: 30, likes_total: 4 })
    })
  })

  it('lifts the more played of equal matches in search', async () => {
    await fixture.es.indices.refresh({ index: alias })
    const { trackQuery, trackSort } = await import('../../api/search-query.js')
    const response = await fixture.es.search({
      index: alias,
      query: trackQuery({ q: 'night drive', sort: 'relevance' }),
      sort: trackSort('relevance'),
    })
    expect(response.hits.hits.map((hit) => Number(hit._id))[0]).toBe(2)
  })
})
