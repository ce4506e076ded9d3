// Elasticsearch goes away under the indexer (its connection is cut through a proxy, the node itself
// keeps serving the other test files): nothing is acked while it is down, nothing is lost, and indexing
// resumes by itself when it is back.
import type { Client } from '@elastic/elasticsearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelIndexer } from '../../indexers/model-indexer.js'
import { loadConfig } from '../../src/config.js'
import { createElasticsearchClient } from '../../src/elasticsearch/client.js'
import type { ModelEventPublisher } from '../../src/publishing/model-events.publisher.js'
import { eventually } from '../support/harness.js'
import { type IndexerFixture, startIndexerFixture } from '../support/indexer-fixture.js'
import { TcpProxy } from '../support/tcp-proxy.js'

let proxy: TcpProxy
let indexer: ModelIndexer
let models: ModelEventPublisher
let direct: Client
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

let fixture: IndexerFixture

beforeAll(async () => {
  const target = new URL(loadConfig().elasticsearch.url)
  proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 9200) })
  const port = await proxy.start()
  proxied = createElasticsearchClient({
    url: `http://127.0.0.1:${port}`,
    maxRetries: 0,
    requestTimeoutMs: 2_000,
  })
  fixture = await startIndexerFixture('es-outage', { indexerClient: proxied })
  ;({ indexer, models, es: direct } = fixture)
})

afterAll(async () => {
  await fixture.stop()
  await proxied.close()
  await proxy.cut()
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
      updated_at: ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
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
