// The Mothership's read replica (a real PostgreSQL started by `services up`): a save for a record the
// index has never seen is completed from it, never indexed half-empty; and it feeds a full rebuild.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelIndexer } from '../../indexers/model-indexer.js'
import { rebuildIndex } from '../../indexers/rebuild.js'
import { ReplicaSource } from '../../indexers/replica-source.js'
import { AmqpConnection } from '../../src/amqp/connection.js'
import { ConfirmPublisher } from '../../src/amqp/publisher.js'
import { createElasticsearchClient } from '../../src/elasticsearch/client.js'
import { silentLogger } from '../../src/logger.js'
import { ModelEventPublisher } from '../../src/publishing/model-events.publisher.js'
import {
  declareTestTopology,
  eventually,
  removeTestTopology,
  type TestEnv,
  testEnv,
} from '../support/harness.js'

let env: TestEnv
let connection: AmqpConnection
let indexer: ModelIndexer
let models: ModelEventPublisher
let replica: ReplicaSource
let db: pg.Client
const es = createElasticsearchClient({ url: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' })
// Ids of this run only: the replica database outlives test runs.
const base = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 10
const artistId = base
const trackIds = [base + 1, base + 2, base + 3]

beforeAll(async () => {
  env = testEnv('replica')
  const url = env.config.replica.url
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
  await declareTestTopology(env.config.amqp.url, env.topology)
  connection = new AmqpConnection({ url: env.config.amqp.url, logger: silentLogger })
  await connection.start()
  models = new ModelEventPublisher(await ConfirmPublisher.create(connection), env.topology.exchanges.models)
  const prefix = env.prefix.replace(/\.$/, '')
  indexer = new ModelIndexer({
    connection,
    queue: env.topology.queues.searchIndexer,
    es,
    aliases: { tracks: `${prefix}-tracks`, users: `${prefix}-users` },
    logger: silentLogger,
    replica,
    maxWaitMs: 20,
  })
  await indexer.start()
})

afterAll(async () => {
  await indexer.stop()
  await db.query('DELETE FROM tracks WHERE id = ANY($1::bigint[])', [trackIds])
  await db.query('DELETE FROM users WHERE id = $1', [artistId])
  await db.end()
  await replica.close()
  await es.indices.delete({ index: `${env.prefix.replace(/\.$/, '')}-*`, ignore_unavailable: true })
  await removeTestTopology(env.config.amqp.url, env.topology)
  await connection.close()
  await es.close()
  env.cleanup()
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
