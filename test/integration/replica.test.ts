// The Mothership's read replica (a real PostgreSQL started by `services up`): a save for a record the
// index has never seen is completed from it, never indexed half-empty; and it feeds a full rebuild.
import type { Client } from '@elastic/elasticsearch'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelIndexer } from '../../indexers/model-indexer.js'
import { rebuildIndex } from '../../indexers/rebuild.js'
import { ReplicaSource } from '../../indexers/replica-source.js'
import { loadConfig } from '../../src/config.js'
import { silentLogger } from '../../src/logger.js'
import type { ModelEventPublisher } from '../../src/publishing/model-events.publisher.js'
import { eventually } from '../support/harness.js'
import { type IndexerFixture, startIndexerFixture } from '../support/indexer-fixture.js'

let indexer: ModelIndexer
let models: ModelEventPublisher
let replica: ReplicaSource
let db: pg.Client
let es: Client
// Ids of this run only: the replica database outlives test runs.
const base = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 10
const artistId = base
const trackIds = [base + 1, base + 2, base + 3]

let fixture: IndexerFixture

beforeAll(async () => {
  const url = loadConfig().replica.url
  if (!url) throw new Error('REPLICA_URL is empty: these tests need the replica that `services up` starts')
  replica = new ReplicaSource(url)
  await replica.ensureSchema()
  db = new pg.Client({ connectionString: url })
  await db.connect()
  await db.query(
    `INSERT INTO users (id, username, permalink, full_name, city, country_code, followers_count, verified, created_at, updated_at)
     VALUES ($1, 'Sigur Rós', 'sigur-ros', 'Sigur Rós', 'Reykjavík', 'IS', 12000, true, '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z')`,
    [artistId],
  )
  for (const [i, id] of trackIds.entries()) {
    await db.query(
      `INSERT INTO tracks (id, user_id, title, permalink, genre, tag_list, duration, sharing, state, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'Post-Rock', '"post rock" ambient', 300000, 'public', 'finished', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z')`,
      [id, artistId, `Hoppípolla ${i}`, `hoppipolla-${i}`],
    )
  }
  fixture = await startIndexerFixture('replica', { replica })
  ;({ indexer, models, es } = fixture)
})

afterAll(async () => {
  await fixture.stop()
  await db.query('DELETE FROM tracks WHERE id = ANY($1::bigint[])', [trackIds])
  await db.query('DELETE FROM users WHERE id = $1', [artistId])
  await db.end()
  await replica.close()
})

async function doc(alias: string, id: number): Promise<Record<string, unknown> | undefined> {
  const result = await es.get<Record<string, unknown>>({ index: alias, id: String(id) }, { ignore: [404] })
  return result.found ? result._source : undefined
}

describe('read replica', () => {
  it('completes a record the index knows only from a save, with the save applied on top', async () => {
    // Neither create was ever published: only saves arrive.
    await models.save('User', artistId, {
      followers_count: [12000, 12001],
      updated_at: ['2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z'],
    })
    await models.save('Track', trackIds[0]!, {
      title: ['Hoppípolla 0', 'Hoppípolla (live)'],
      updated_at: ['2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z'],
    })
    await eventually(async () => {
      const track = await doc(indexer.aliases.tracks, trackIds[0]!)
      expect(track?.visible).toBe(true)
      expect(track).toMatchObject({
        title: 'Hoppípolla (live)', // the save, newer than the replica's row
        genre: 'Post-Rock', // the rest from the replica
        tags: ['post rock', 'ambient'],
        user: { username: 'Sigur Rós', verified: true },
      })
    })
    const artist = await doc(indexer.aliases.users, artistId)
    expect(artist).toMatchObject({
      visible: true,
      username: 'Sigur Rós',
      followers_count: 12001,
      country_code: 'IS',
    })
    expect(indexer.counters.completedFromReplica).toBeGreaterThanOrEqual(2)
  })

  it('feeds a full rebuild: every replica record ends in the new index', async () => {
    const result = await rebuildIndex({
      es,
      model: 'Track',
      alias: indexer.aliases.tracks,
      usersAlias: indexer.aliases.users,
      records: replica.records('Track'),
      logger: silentLogger,
      settleMs: 1_500,
    })
    expect(result.loaded).toBeGreaterThanOrEqual(trackIds.length)
    const stored = await es.mget<{ title?: string; visible: boolean }>({
      index: indexer.aliases.tracks,
      ids: trackIds.map(String),
    })
    const titles = stored.docs.map((d) => ('_source' in d ? d._source?.title : undefined))
    // The first track keeps its newer title from the live save; the others come from the replica.
    expect(titles).toEqual(['Hoppípolla (live)', 'Hoppípolla 1', 'Hoppípolla 2'])
  })
})
