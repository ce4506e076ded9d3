// The stats API on the real ClickHouse engine: every route refuses a missing, expired, forged or
// `alg: none` token and any artist but the owner (admins excepted); numbers equal the raw log;
// validation names the parameter; private caching with ETag and 304; CSV; 503 when the store fails.
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app.js'
import { writeLogWorkload } from '../../rollups/log-workload.js'
import { migrate } from '../../rollups/migrate.js'
import { StatsReader } from '../../rollups/stats-reader.js'
import { mintToken, TokenVerifier } from '../../src/auth/tokens.js'
import { type ClickHouseClient, createClickHouse } from '../../src/clickhouse/client.js'
import { silentLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { type TestEnv, testEnv } from '../support/harness.js'

const SECRET = 'test-secret-0123456789-abcdefghijklmnop'
const DAY = 86_400_000
let env: TestEnv
let client: ClickHouseClient
let reader: StatsReader
let app: ReturnType<typeof createApp>
const tokens: Record<string, string> = {}

beforeAll(async () => {
  env = testEnv('stats-api')
  client = await createClickHouse(env.config.clickhouse)
  await migrate(client)
  await writeLogWorkload(client, {
    rows: 30_000,
    from: new Date(Date.now() - 90 * DAY),
    to: new Date(Date.now() - 60_000),
    artists: 3,
    tracksPerArtist: 5,
    listeners: 2_000,
    idPrefix: 'api',
  })
  reader = new StatsReader(client)
  app = createApp({
    logger: silentLogger,
    readiness: {},
    stats: { reader, verifier: new TokenVerifier({ secret: SECRET }) },
  })
  tokens.owner = await mintToken(SECRET, { userId: 1 })
  tokens.other = await mintToken(SECRET, { userId: 2 })
  tokens.admin = await mintToken(SECRET, { userId: 99, admin: true })
  tokens.expired = await new SignJWT({ roles: [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('1')
    .setIssuer('search-stats')
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(new TextEncoder().encode(SECRET))
  tokens.forged = await mintToken('another-secret-0123456789-abcdefghijklmn', { userId: 1, admin: true })
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  tokens.none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: '1', iss: 'search-stats', exp: 4_102_444_800, roles: ['admin'] })}.`
}, 120_000)

afterAll(async () => {
  await client?.close()
  env?.cleanup()
})

const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
  app.request(path, { headers: token ? { Authorization: `Bearer ${token}`, ...headers } : headers })

const ROUTES = [
  '/v1/stats/artists/1/summary?preset=30d',
  '/v1/stats/artists/1/timeseries?preset=7d&interval=day',
  '/v1/stats/artists/1/top/tracks',
  '/v1/stats/artists/1/top/countries',
  '/v1/stats/artists/1/top/cities',
  '/v1/stats/artists/1/top/sources',
  '/v1/stats/artists/1/top/referrers',
  '/v1/stats/artists/1/top/listeners',
  '/v1/stats/artists/1/page',
  '/v1/stats/tracks/1000/summary',
  '/v1/stats/tracks/1000/timeseries?interval=week',
  '/v1/stats/tracks/1000/top/countries',
  '/v1/stats/tracks/1000/top/listeners',
]

describe('who may read stats', () => {
  it.each(ROUTES)(
    '%s: 401 without a valid token, 403 for another artist, 200 for the owner and an admin',
    async (route) => {
      expect((await get(route)).status).toBe(401)
      expect((await get(route)).headers.get('WWW-Authenticate')).toMatch(/^Bearer/)
      for (const bad of ['expired', 'forged', 'none']) {
        const response = await get(route, tokens[bad])
        expect(response.status, bad).toBe(401)
        expect(JSON.stringify(await response.json())).not.toMatch(/"plays"/)
      }
      const other = await get(route, tokens.other)
      expect(other.status).toBe(403)
      expect(JSON.stringify(await other.json())).not.toMatch(/"plays"/)
      expect((await get(route, tokens.owner)).status).toBe(200)
      expect((await get(route, tokens.admin)).status).toBe(200)
    },
  )

  it('answers 404 for a track with no stats', async () => {
    expect((await get('/v1/stats/tracks/424242/summary', tokens.admin)).status).toBe(404)
  })
})

describe('the numbers', () => {
  it('equal counting the raw log, listeners included, with the previous period and a year ago', async () => {
    const response = await get(
      '/v1/stats/artists/1/summary?from=2026-01-01&to=2030-01-01&tz=Asia/Kathmandu&compare=previous,year',
      tokens.owner,
    )
    expect(response.status).toBe(200)
    const body = await response.json()
    const from = Date.parse('2026-01-01T00:00:00+05:45')
    const to = Date.parse('2030-01-01T00:00:00+05:45')
    const [raw] = await reader.totals({ ownerId: 1 }, [{ start: from, end: to }], 'raw')
    expect(body.totals).toEqual(raw)
    expect(body.totals.plays).toBeGreaterThan(1_000)
    expect(body.range).toMatchObject({ from: '2026-01-01T00:00:00+05:45', tz: 'Asia/Kathmandu' })
    expect(body.previous.totals.plays).toBeGreaterThanOrEqual(0)
    expect(body.year_ago.from).toBe('2025-01-01T00:00:00+05:45')
    expect(body.freshness.last_event_logged_at).toMatch(/^\d{4}-/)
  })

  it('has one series entry per bucket, zeros included, adding up to the summary', async () => {
    const query = 'from=2026-03-28&to=2026-04-02&tz=Europe/Berlin'
    const series = await (
      await get(`/v1/stats/artists/2/timeseries?${query}&interval=hour&metrics=plays,likes`, tokens.admin)
    ).json()
    // 5 days with the 23-hour day of the spring change: 119 hourly buckets.
    expect(series.series).toHaveLength(119)
    expect(Object.keys(series.series[0])).toEqual(['t', 'plays', 'likes'])
    const summary = await (await get(`/v1/stats/artists/2/summary?${query}`, tokens.admin)).json()
    const sum = (metric: string) =>
      series.series.reduce((total: number, point: Record<string, number>) => total + (point[metric] ?? 0), 0)
    expect(sum('plays')).toBe(summary.totals.plays)
    expect(sum('likes')).toBe(summary.totals.likes)
  })

  it('serves everything the page shows in one response, equal to the single endpoints', async () => {
    const page = await (await get('/v1/stats/artists/1/page?preset=30d&tz=UTC', tokens.owner)).json()
    const summary = await (
      await get('/v1/stats/artists/1/summary?preset=30d&tz=UTC&compare=previous', tokens.owner)
    ).json()
    expect(page.totals).toEqual(summary.totals)
    expect(page.previous.totals).toEqual(summary.previous.totals)
    expect(page.interval).toBe('day')
    // The series' days are the range's own buckets too: each must still count in both.
    const series = await (
      await get(
        '/v1/stats/artists/1/timeseries?preset=30d&tz=UTC&interval=day&metrics=plays,listeners,likes,reposts,comments,downloads',
        tokens.owner,
      )
    ).json()
    expect(page.series).toEqual(series.series)
    expect(page.series.some((bucket: { plays: number }) => bucket.plays > 0)).toBe(true)
    expect(Object.keys(page.top)).toEqual([
      'tracks',
      'countries',
      'cities',
      'sources',
      'referrers',
      'listeners',
    ])
    const countries = await (await get('/v1/stats/artists/1/top/countries?preset=30d', tokens.owner)).json()
    expect(page.top.countries).toEqual(countries.items)
  })

  it('exports a series and a top list as CSV', async () => {
    const series = await get('/v1/stats/artists/1/timeseries?preset=7d&format=csv', tokens.owner)
    expect(series.headers.get('Content-Type')).toMatch(/^text\/csv/)
    const lines = (await series.text()).trim().split('\n')
    expect(lines[0]).toBe('t,plays,listeners')
    expect(lines).toHaveLength(8)
    const top = await (
      await get('/v1/stats/artists/1/top/cities?preset=30d&format=csv&limit=3', tokens.owner)
    ).text()
    expect(top.split('\n')[0]).toBe('city,country,plays')
  })
})

describe('validation', () => {
  it.each([
    ['/v1/stats/artists/1/summary?tz=Mars/Olympus', 'tz'],
    ['/v1/stats/artists/1/summary?from=2026-05-01&to=2026-04-01', 'from'],
    ['/v1/stats/artists/1/summary?from=2026-13-45&to=2026-04-01', 'from'],
    ['/v1/stats/artists/1/summary?from=yesterday&to=2026-04-01', 'from'],
    ['/v1/stats/artists/1/summary?from=2026-01-01', 'to'],
    ['/v1/stats/artists/1/summary?preset=30d&from=2026-01-01&to=2026-02-01', 'preset'],
    ['/v1/stats/artists/1/summary?preset=decade', 'preset'],
    ['/v1/stats/artists/1/summary?compare=everything', 'compare'],
    ['/v1/stats/artists/1/summary?colour=blue', 'colour'],
    ['/v1/stats/artists/1/timeseries?preset=12m&interval=hour', 'interval'],
    ['/v1/stats/artists/1/timeseries?preset=24h&interval=month', 'interval'],
    ['/v1/stats/artists/1/timeseries?metrics=plays,hearts', 'metrics'],
    ['/v1/stats/artists/1/top/countries?limit=-1', 'limit'],
    ['/v1/stats/artists/1/top/planets', 'list'],
    ['/v1/stats/artists/abc/summary', 'id'],
  ])('%s is a 400 naming %s', async (path, parameter) => {
    const response = await get(path, tokens.admin)
    expect(response.status).toBe(400)
    const body = await response.json()
    expect(body.error.code).toBe('bad_request')
    expect(body.error.details.parameter).toBe(parameter)
    expect(body.error.message).toMatch(new RegExp(`^${parameter}: `))
  })
})

describe('caching', () => {
  it('is private to the token, with an ETag and 304 on revalidation', async () => {
    const first = await get('/v1/stats/artists/1/summary?from=2026-01-01&to=2026-02-01', tokens.owner)
    expect(first.headers.get('Cache-Control')).toMatch(/^private/)
    expect(first.headers.get('Vary')).toMatch(/Authorization/)
    const tag = first.headers.get('ETag')
    expect(tag).toBeTruthy()
    const again = await get('/v1/stats/artists/1/summary?from=2026-01-01&to=2026-02-01', tokens.owner, {
      'If-None-Match': tag as string,
    })
    expect(again.status).toBe(304)
  })
})

describe('a store failure', () => {
  it('is a 503 with Retry-After, not a 500', async () => {
    const broken = await createClickHouse({ ...env.config.clickhouse, database: 'stats_api_missing' })
    await broken.command({ query: 'DROP DATABASE stats_api_missing' })
    const failing = createApp({
      logger: silentLogger,
      readiness: {},
      stats: { reader: new StatsReader(broken), verifier: new TokenVerifier({ secret: SECRET }) },
    })
    const response = await failing.request('/v1/stats/artists/1/summary', {
      headers: { Authorization: `Bearer ${tokens.owner}` },
    })
    expect(response.status).toBe(503)
    expect(response.headers.get('Retry-After')).toBeTruthy()
    expect(JSON.stringify(await response.json())).not.toMatch(/SELECT|stats_rollup/)
    await broken.close()
  })
})

describe('more stats requests than the API admits', () => {
  it('are shed with 503 and Retry-After while the admitted one is answered, and counted', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const busy = createApp({
      logger: silentLogger,
      readiness: {},
      metrics,
      stats: {
        reader,
        verifier: new TokenVerifier({ secret: SECRET }),
        admission: { maxInFlight: 1, maxQueued: 0, maxWaitMs: 1_000 },
      },
    })
    const headers = { Authorization: `Bearer ${tokens.owner}` }
    const [admitted, shed] = await Promise.all([
      busy.request('/v1/stats/artists/1/page?preset=30d', { headers }),
      busy.request('/v1/stats/artists/1/summary?preset=30d', { headers }),
    ])
    expect(admitted.status).toBe(200)
    expect(shed.status).toBe(503)
    expect(shed.headers.get('Retry-After')).toBe('1')
    expect(shed.headers.get('Cache-Control')).toContain('private')
    expect(((await shed.json()) as { error: { code: string } }).error.code).toBe('overloaded')
    // Once the first has been answered, the next is admitted again.
    expect((await busy.request('/v1/stats/artists/1/summary?preset=30d', { headers })).status).toBe(200)
    const exposition = await (await busy.request('/metrics')).text()
    expect(exposition).toMatch(/http_requests_shed_total\{group="stats",reason="queue full"\} 1\b/)
  })
})
