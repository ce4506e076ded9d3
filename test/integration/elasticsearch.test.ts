// The real Elasticsearch node (the 8.19 test distribution): a mapping built only from core analysis
// (standard analyzer, lowercase normalizer, shingle, index_prefixes, completion) is accepted, and a
// document indexed with it is found by prefix, by phrase, by exact keyword and by the completion suggester.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createElasticsearchClient, elasticsearchVersion } from '../../src/elasticsearch/client.js'
import { type TestEnv, testEnv } from '../support/harness.js'

let env: TestEnv
let index: string
const es = () => createElasticsearchClient({ url: env.config.elasticsearch.url })
let client: ReturnType<typeof es>

beforeAll(async () => {
  env = testEnv('es')
  client = es()
  index = env.prefix.replace(/\.$/, '')
})

afterAll(async () => {
  await client.indices.delete({ index, ignore_unavailable: true })
  await client.close()
  env.cleanup()
})

describe('Elasticsearch', () => {
  it('is the 8.x server the client is pinned to', async () => {
    expect(await elasticsearchVersion(client)).toMatch(/^8\.19\./)
  })

  it('indexes and searches with a core-analysis-only mapping', async () => {
    await client.indices.create({
      index,
      settings: {
        number_of_shards: 1,
        number_of_replicas: 0,
        analysis: {
          filter: { pairs: { type: 'shingle', min_shingle_size: 2, max_shingle_size: 2 } },
          analyzer: { shingles: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'pairs'] } },
          normalizer: { folded: { type: 'custom', filter: ['lowercase'] } },
        },
      },
      mappings: {
        dynamic: 'strict',
        properties: {
          title: {
            type: 'text',
            analyzer: 'standard',
            index_prefixes: { min_chars: 1, max_chars: 10 },
            fields: {
              shingles: { type: 'text', analyzer: 'shingles' },
              exact: { type: 'keyword', normalizer: 'folded' },
            },
          },
          suggest: { type: 'completion' },
        },
      },
    })
    await client.index({
      index,
      id: '1',
      document: { title: 'Midnight City Lights', suggest: { input: ['midnight city lights'] } },
      refresh: 'wait_for',
    })
    await client.index({
      index,
      id: '2',
      document: { title: 'City of Midnight', suggest: { input: ['city of midnight'] } },
      refresh: 'wait_for',
    })

    const prefix = await client.search({ index, query: { prefix: { title: 'midn' } } })
    expect(prefix.hits.hits.map((h) => h._id).sort()).toEqual(['1', '2'])

    const phrase = await client.search({ index, query: { match: { 'title.shingles': 'midnight city' } } })
    expect(phrase.hits.hits[0]?._id).toBe('1')

    const exact = await client.search({ index, query: { term: { 'title.exact': 'city of midnight' } } })
    expect(exact.hits.hits.map((h) => h._id)).toEqual(['2'])

    const suggest = await client.search({
      index,
      suggest: { s: { prefix: 'city', completion: { field: 'suggest' } } },
    })
    const options = (suggest.suggest?.s?.[0]?.options ?? []) as { _id: string }[]
    expect(options.map((o) => o._id)).toEqual(['2'])
  })
})
