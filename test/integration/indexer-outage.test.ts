// Elasticsearch goes away under the indexer (its connection is cut through a proxy, the node itself
// keeps serving the other test files): nothing is acked while it is down, nothing is lost, and indexing
// resumes by itself when it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelIndexer } from '../../indexers/model-indexer.js'
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
import { TcpProxy } from '../support/tcp-proxy.js'

let env: TestEnv
let connection: AmqpConnection
let proxy: TcpProxy
let indexer: ModelIndexer
let models: ModelEventPublisher
const direct = createElasticsearchClient({ url: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' })
let proxied: ReturnType<typeof createElasticsearchClient>

const user = (id: number, username: string, day: number) => ({
  id,
  username,
  permalink: username,
  full_name: null,
  description: null,
  city: null,
  country_code: null,
  avatar_url: null,
  followers_count: 0,
  followings_count: 0,
  track_count: 0,
  verified: false,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: new Date(Date.UTC(2026, 0, day)).toISOString(),
})

beforeAll(async () => {
  env = testEnv('es-outage')
  await declareTestTopology(env.config.amqp.url, env.topology)
  connection = new AmqpConnection({ url: env.config.amqp.url, logger: silentLogger })
  await connection.start()
  models = new ModelEventPublisher(await ConfirmPublisher.create(connection), env.topology.exchanges.models)
  const target = new URL(env.config.elasticsearch.url)
  proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 9200) })
  const port = await proxy.start()
  proxied = createElasticsearchClient({
    url: `http://127.0.0.1:${port}`,
    maxRetries: 0,
    requestTimeoutMs: 2_000,
  })
  const base = env.prefix.replace(/\.$/, '')
  indexer = new ModelIndexer({
    connection,
    queue: env.topology.queues.searchIndexer,
    es: proxied,
    aliases: { tracks: `${base}-tracks`, users: `${base}-users` },
    logger: silentLogger,
    maxWaitMs: 20,
  })
  await indexer.start()
})

afterAll(async () => {
  await indexer.stop()
  await direct.indices.delete({ index: `${env.prefix.replace(/\.$/, '')}-*`, ignore_unavailable: true })
  await removeTestTopology(env.config.amqp.url, env.topology)
  await connection.close()
  await proxied.close()
  await direct.close()
  await proxy.cut()
  env.cleanup()
})

async function usernames(): Promise<Map<number, string>> {
  const index = indexer.aliases.users
  await direct.indices.refresh({ index })
  const result = await direct.search<{ id: number; username: string }>({
    index,
    size: 100,
    query: { match_all: {} },
  })
  return new Map(result.hits.hits.map((h) => [h._source!.id, h._source!.username]))
}

describe('Elasticsearch outage', () => {
  it('acks nothing while Elasticsearch is unreachable and indexes everything once it is back', async () => {
    await models.create('User', user(1, 'before', 1))
    await eventually(async () => expect((await usernames()).get(1)).toBe('before'))
    const settled = indexer.counters.messages

    await proxy.cut()
    await models.create('User', user(2, 'during', 1))
    await models.save('User', 1, {
      username: ['before', 'renamed'],
      updated_at: [user(1, '', 1).updated_at, user(1, '', 2).updated_at],
    })
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(indexer.counters.messages).toBe(settled) // nothing acked (or dead-lettered) while down

    await proxy.start()
    await eventually(
      async () => {
        const names = await usernames()
        expect(names.get(1)).toBe('renamed')
        expect(names.get(2)).toBe('during')
      },
      { timeoutMs: 20_000 },
    )
    expect(indexer.counters.deadLettered).toBe(0)
  })
})
