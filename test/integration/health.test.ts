// /healthz and /readyz against the real broker, Elasticsearch and ClickHouse; with one of them
// unreachable, /readyz answers 503 naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app.js'
import { AmqpConnection } from '../../src/amqp/connection.js'
import { type ClickHouseClient, createClickHouse } from '../../src/clickhouse/client.js'
import { createElasticsearchClient } from '../../src/elasticsearch/client.js'
import { silentLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { brokerReady, clickhouseReady, elasticsearchReady } from '../../src/readiness.js'
import { type TestEnv, testEnv } from '../support/harness.js'

let env: TestEnv
let amqp: AmqpConnection
let clickhouse: ClickHouseClient
const es = () => createElasticsearchClient({ url: env.config.elasticsearch.url })
let elasticsearch: ReturnType<typeof es>
// Nothing listens on port 1: a dependency that is down.
const deadElasticsearch = createElasticsearchClient({ url: 'http://127.0.0.1:1', maxRetries: 0 })

beforeAll(async () => {
  env = testEnv('health')
  amqp = new AmqpConnection({ url: env.config.amqp.url, logger: silentLogger })
  await amqp.start()
  clickhouse = await createClickHouse(env.config.clickhouse)
  elasticsearch = es()
})

afterAll(async () => {
  await amqp.close()
  await clickhouse.close()
  await elasticsearch.close()
  await deadElasticsearch.close()
  env.cleanup()
})

describe('health endpoints', () => {
  it('GET /healthz answers while the process lives', async () => {
    const app = createApp({ logger: silentLogger, readiness: {} })
    const res = await app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('GET /readyz is 200 when broker, Elasticsearch and ClickHouse all answer', async () => {
    const app = createApp({
      logger: silentLogger,
      readiness: {
        broker: brokerReady(amqp),
        elasticsearch: elasticsearchReady(elasticsearch),
        clickhouse: clickhouseReady(clickhouse),
      },
    })
    const res = await app.request('/readyz')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { checks: Record<string, { ok: boolean }> }
    expect(Object.values(body.checks).every((c) => c.ok)).toBe(true)
  })

  it('GET /readyz is 503 with Retry-After, naming the dependency that is down', async () => {
    const app = createApp({
      logger: silentLogger,
      readiness: {
        broker: brokerReady(amqp),
        elasticsearch: elasticsearchReady(deadElasticsearch),
        clickhouse: clickhouseReady(clickhouse),
      },
    })
    const res = await app.request('/readyz')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { failing: string[] } }
    }
    expect(body.error.code).toBe('not_ready')
    expect(body.error.details.failing).toEqual(['elasticsearch'])
    expect(body.error.message).toContain('elasticsearch')
  })

  it('GET /metrics serves Prometheus text, counting requests by route pattern', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const app = createApp({ logger: silentLogger, readiness: {}, metrics })
    await app.request('/healthz')
    await app.request('/healthz')
    const res = await app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 2/,
    )
  })

  it('GET /openapi.json documents the search parameters from the schemas that validate them', async () => {
    const app = createApp({ logger: silentLogger, readiness: {} })
    const res = await app.request('/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as {
      openapi: string
      paths: Record<string, { get: { parameters?: { name: string; schema: { maximum?: number } }[] } }>
    }
    expect(doc.openapi).toBe('3.1.0')
    const params = doc.paths['/v1/search/tracks']!.get.parameters!
    expect(params.map((p) => p.name)).toEqual(
      expect.arrayContaining(['q', 'limit', 'cursor', 'genre', 'sort']),
    )
    expect(params.find((p) => p.name === 'limit')?.schema.maximum).toBe(50)
    const stats = doc.paths['/v1/stats/artists/{id}/timeseries']!.get.parameters!
    expect(stats.map((p) => p.name)).toEqual(
      expect.arrayContaining(['id', 'from', 'to', 'preset', 'tz', 'interval', 'metrics', 'format']),
    )
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/stats/tracks/{id}/top/{list}',
        '/v1/stats/artists/{id}/page',
        '/you/stats',
      ]),
    )
  })

  it('GET /docs is a browsable page of that document, with its assets served here', async () => {
    const app = createApp({ logger: silentLogger, readiness: {} })
    const page = await app.request('/docs')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    const html = await page.text()
    for (const asset of html.match(/\/docs\/[\w.-]+/g) ?? []) {
      const res = await app.request(asset)
      expect(res.status, asset).toBe(200)
    }
    expect(html).toContain('/docs/swagger-ui-bundle.js')
    expect(await (await app.request('/docs/init.js')).text()).toContain('/openapi.json')
  })

  it('an unknown route is a JSON 404, not an HTML page', async () => {
    const app = createApp({ logger: silentLogger, readiness: {} })
    const res = await app.request('/nope')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found')
  })
})
