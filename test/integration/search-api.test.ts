// The public search endpoints against the real Elasticsearch, on documents written exactly as the
// indexer writes them: folding, typos and prefixes; private data never shown; cursors; hostile input;
// caching headers; 503 when Elasticsearch is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app.js'
import { ensureIndex } from '../../indexers/index-store.js'
import { trackIndex, userIndex } from '../../indexers/mappings.js'
import { mergeIntoIndex } from '../../indexers/merge-into-index.js'
import { createElasticsearchClient } from '../../src/elasticsearch/client.js'
import { silentLogger } from '../../src/logger.js'
import { type TestEnv, testEnv } from '../support/harness.js'
import { createdStates } from '../support/records.js'

let env: TestEnv
const es = createElasticsearchClient({ url: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' })
let aliases: { tracks: string; users: string }
let app: ReturnType<typeof createApp>

const users = [
  {
    id: 1,
    username: 'Beyoncé',
    full_name: 'Beyoncé Knowles',
    country_code: 'US',
    verified: true,
    followers_count: 900_000,
  },
  {
    id: 2,
    username: 'Motörhead',
    full_name: null,
    country_code: 'GB',
    verified: false,
    followers_count: 50_000,
  },
  {
    id: 3,
    username: 'DJ Midnight',
    full_name: 'Max Nacht',
    country_code: 'DE',
    verified: false,
    followers_count: 10,
  },
]
const tracks = [
  { id: 10, user_id: 1, title: 'Halo', genre: 'Pop', tag_list: 'pop "rnb soul"' },
  { id: 11, user_id: 2, title: 'Ace of Spades', genre: 'Rock', tag_list: 'metal "hard rock"' },
  { id: 12, user_id: 3, title: 'Midnight City Lights', genre: 'Electronic', tag_list: 'synth' },
  { id: 13, user_id: 3, title: 'Midnight Drive', genre: 'Electronic', tag_list: 'synth "deep house"' },
  { id: 14, user_id: 3, title: 'Midnight Secret', genre: 'Electronic', tag_list: '', sharing: 'private' },
  { id: 15, user_id: 3, title: 'Midnight Upload', genre: 'Electronic', tag_list: '', state: 'processing' },
  { id: 16, user_id: 3, title: 'Midnight Sun', genre: 'Ambient', tag_list: '' },
]

beforeAll(async () => {
  env = testEnv('search')
  const base = env.prefix.replace(/\.$/, '')
  aliases = { tracks: `${base}-tracks`, users: `${base}-users` }
  await ensureIndex(es, userIndex, aliases.users)
  await ensureIndex(es, trackIndex, aliases.tracks)
  const at = '2026-01-01T00:00:00Z'
  await mergeIntoIndex(
    { es, index: aliases.users, usersIndex: aliases.users },
    'User',
    createdStates(
      'User',
      users.map((u) => ({
        permalink: String(u.username).toLowerCase(),
        description: null,
        city: null,
        avatar_url: null,
        followings_count: 0,
        track_count: 1,
        created_at: at,
        updated_at: at,
        ...u,
      })),
    ),
  )
  await mergeIntoIndex(
    { es, index: aliases.tracks, usersIndex: aliases.users },
    'Track',
    createdStates(
      'Track',
      tracks.map((t, i) => ({
        permalink: `t-${t.id}`,
        description: 'a song',
        duration: 100_000 + i * 60_000,
        sharing: 'public',
        state: 'finished',
        streamable: true,
        downloadable: false,
        license: i % 2 ? 'cc-by' : 'all-rights-reserved',
        label_name: null,
        release_date: null,
        bpm: null,
        created_at: `2026-01-0${1 + i}T00:00:00Z`,
        updated_at: at,
        ...t,
      })),
    ),
  )
  await es.indices.refresh({ index: `${base}-*` })
  app = createApp({ logger: silentLogger, readiness: {}, search: { es, aliases } })
})

afterAll(async () => {
  await es.indices.delete({ index: `${env.prefix.replace(/\.$/, '')}-*`, ignore_unavailable: true })
  await es.close()
  env.cleanup()
})

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await app.request(path, { headers })
  return { res, body: res.status === 304 ? {} : ((await res.json()) as Record<string, unknown>) }
}

const titles = (body: Record<string, unknown>) => (body.items as { title: string }[]).map((i) => i.title)

describe('GET /v1/search/tracks', () => {
  it('finds tracks by their artist with diacritics folded, and by title with a typo or a prefix', async () => {
    expect(titles((await get('/v1/search/tracks?q=beyonce')).body)).toEqual(['Halo'])
    expect(titles((await get('/v1/search/tracks?q=MOTORHEAD')).body)).toEqual(['Ace of Spades'])
    expect(titles((await get('/v1/search/tracks?q=midnigth%20city')).body)[0]).toBe('Midnight City Lights')
    expect(titles((await get('/v1/search/tracks?q=midn')).body)).toContain('Midnight Drive')
  })

  it('puts the exact title first', async () => {
    const exact = await get('/v1/search/tracks?q=midnight%20drive')
    expect(exact.res.status, JSON.stringify(exact.body)).toBe(200)
    expect(titles(exact.body)[0]).toBe('Midnight Drive')
    const first = (exact.body.items as { highlight?: { title?: string } }[])[0]
    expect(first?.highlight?.title).toBe('<em>Midnight</em> <em>Drive</em>')
    const typo = await get('/v1/search/tracks?q=midnigth%20city')
    const lights = (typo.body.items as { title: string; highlight?: { title?: string } }[]).find(
      (item) => item.title === 'Midnight City Lights',
    )
    expect(lights?.highlight?.title).toBe('<em>Midnight</em> <em>City</em> Lights')
  })

  it('never shows private or unfinished tracks, not in items, totals or facets', async () => {
    const { body } = await get('/v1/search/tracks?q=midnight&limit=50')
    expect(titles(body).sort()).toEqual(['Midnight City Lights', 'Midnight Drive', 'Midnight Sun'])
    expect(body.total).toBe(3)
    const facets = (body.facets as { genre: { value: string; count: number }[] }).genre
    expect(facets).toEqual([
      { value: 'electronic', count: 2 },
      { value: 'ambient', count: 1 },
    ])
  })

  it('filters by genre, tag (multi-word kept whole), duration and creation date', async () => {
    expect(titles((await get('/v1/search/tracks?genre=rock')).body)).toEqual(['Ace of Spades'])
    expect(titles((await get('/v1/search/tracks?tag=%22deep%20house%22')).body)).toEqual(['Midnight Drive'])
    expect(titles((await get('/v1/search/tracks?tag=hard%20rock')).body)).toEqual([])
    const long = titles((await get('/v1/search/tracks?duration_min=300000&limit=50')).body)
    expect(long.sort()).toEqual(['Midnight Sun'])
    const january2 = titles(
      (await get('/v1/search/tracks?created_from=2026-01-02&created_to=2026-01-03')).body,
    )
    expect(january2).toEqual(['Ace of Spades'])
  })

  it('pages by cursor through every result exactly once', async () => {
    const seen: string[] = []
    let path = '/v1/search/tracks?sort=recent&limit=2'
    for (let page = 0; page < 10; page++) {
      const { body } = await get(path)
      seen.push(...titles(body))
      if (!body.next_cursor) break
      path = `/v1/search/tracks?sort=recent&limit=2&cursor=${body.next_cursor}`
    }
    expect(seen).toEqual(['Midnight Sun', 'Midnight Drive', 'Midnight City Lights', 'Ace of Spades', 'Halo'])
  })

  it('answers hostile and odd input without a 500, and a 400 names the parameter', async () => {
    for (const q of [
      'a'.repeat(10_000),
      'title:(x OR y) AND *',
      '🎧🔥',
      'مرحبا',
      '\u0000\u0007bell',
      '"unclosed',
      '\\/*?~^',
    ]) {
      const { res } = await get(`/v1/search/tracks?q=${encodeURIComponent(q)}`)
      expect(res.status).toBe(200)
    }
    for (const [query, parameter] of [
      ['limit=-1', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1000', 'limit'],
      ['sort=loudest', 'sort'],
      ['created_from=yesterday', 'created_from'],
      ['cursor=not-a-cursor', 'cursor'],
      ['duration_min=5&duration_max=1', 'duration_min'],
      [`q=${'a'.repeat(10_001)}`, 'q'],
    ] as const) {
      const { res, body } = await get(`/v1/search/tracks?${query}`)
      expect(res.status).toBe(400)
      expect((body.error as { details: { parameter: string } }).details.parameter).toBe(parameter)
      expect(res.headers.get('cache-control')).toBe('no-store')
    }
    expect((await get('/v1/search/tracks?unknown=1&q=halo')).res.status).toBe(200)
  })

  it('is cacheable: public max-age, an ETag, and 304 on revalidation', async () => {
    const first = await get('/v1/search/tracks?q=halo')
    expect(first.res.headers.get('cache-control')).toBe('public, max-age=30')
    const tag = first.res.headers.get('etag')
    expect(tag).toBeTruthy()
    const again = await get('/v1/search/tracks?q=halo', { 'If-None-Match': tag! })
    expect(again.res.status).toBe(304)
    expect(again.res.headers.get('etag')).toBe(tag)
    expect(again.res.headers.get('cache-control')).toBe('public, max-age=30')
    // A weak copy of the tag in a list revalidates too; another tag gets the full answer.
    const weak = await get('/v1/search/tracks?q=halo', { 'If-None-Match': `"x", W/${tag}` })
    expect(weak.res.status).toBe(304)
    const other = await get('/v1/search/tracks?q=halo', { 'If-None-Match': '"not-it"' })
    expect(other.res.status).toBe(200)
    expect(other.body.items).toEqual(first.body.items)
  })
})

describe('GET /v1/search/users', () => {
  it('finds people with folding, filters by country and verified, and ranks the followed first', async () => {
    const names = (body: Record<string, unknown>) =>
      (body.items as { username: string }[]).map((u) => u.username)
    expect(names((await get('/v1/search/users?q=beyonce')).body)).toEqual(['Beyoncé'])
    expect(names((await get('/v1/search/users?country_code=de')).body)).toEqual(['DJ Midnight'])
    expect(names((await get('/v1/search/users?verified=true')).body)).toEqual(['Beyoncé'])
    expect(names((await get('/v1/search/users')).body)[0]).toBe('Beyoncé')
    expect((await get('/v1/search/users?country_code=Germany')).res.status).toBe(400)
  })
})

describe('GET /v1/search and /v1/search/suggest', () => {
  it('returns the best tracks and users together', async () => {
    const { body } = await get('/v1/search?q=midnight')
    expect((body.tracks as { title: string }[]).map((t) => t.title)).toContain('Midnight Drive')
    expect((body.users as { username: string }[]).map((u) => u.username)).toEqual(['DJ Midnight'])
    const cached = await get('/v1/search?q=midnight')
    expect(cached.res.headers.get('cache-control')).toBe('public, max-age=30')
  })

  it('suggests as you type, folded, and never a private or unfinished track', async () => {
    const { body } = await get('/v1/search/suggest?q=Midn&limit=10')
    const suggested = (body.tracks as { title: string }[]).map((t) => t.title).sort()
    expect(suggested).toEqual(['Midnight City Lights', 'Midnight Drive', 'Midnight Sun'])
    const people = await get('/v1/search/suggest?q=beyo')
    expect((people.body.users as { username: string }[]).map((u) => u.username)).toEqual(['Beyoncé'])
    expect((await get('/v1/search/suggest?q=')).body).toEqual({ tracks: [], users: [] })
  })
})

describe('search when Elasticsearch is down', () => {
  it('answers 503 with Retry-After, not a 500', async () => {
    const dead = createElasticsearchClient({ url: 'http://127.0.0.1:1', maxRetries: 0 })
    const down = createApp({ logger: silentLogger, readiness: {}, search: { es: dead, aliases } })
    const res = await down.request('/v1/search/tracks?q=halo')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBeTruthy()
    expect(res.headers.get('cache-control')).toBe('no-store')
    await dead.close()
  })
})

describe('more searches than the API admits', () => {
  it('are shed with 503, Retry-After and no-store while the admitted one is answered', async () => {
    const busy = createApp({
      logger: silentLogger,
      readiness: {},
      search: { es, aliases, admission: { maxInFlight: 1, maxQueued: 0, maxWaitMs: 1_000 } },
    })
    const [admitted, shed] = await Promise.all([
      busy.request('/v1/search/tracks?q=halo'),
      busy.request('/v1/search?q=halo'),
    ])
    expect(admitted.status).toBe(200)
    expect(shed.status).toBe(503)
    expect(shed.headers.get('retry-after')).toBe('1')
    expect(shed.headers.get('cache-control')).toBe('no-store')
    expect(((await shed.json()) as { error: { code: string } }).error.code).toBe('overloaded')
    expect((await busy.request('/v1/search?q=halo')).status).toBe(200)
  })
})
