// GET /openapi.json: the OpenAPI document, generated from the same zod schemas that validate requests,
// so the document cannot drift from what the API accepts.
import { Hono } from 'hono'
import { z } from 'zod'
import { combinedParams, trackParams, userParams } from './search.routes.js'
import { pageParams, seriesParams, summaryParams, TOP_LISTS, topParams } from './stats-params.js'

const errorResponse = {
  description: 'error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            required: ['code', 'message'],
          },
        },
      },
    },
  },
}

function queryParameters(schema: z.ZodObject) {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, Record<string, unknown>>
  }
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    schema: property,
  }))
}

const page = (item: Record<string, unknown>) => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: item },
    next_cursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page' },
    total: { type: 'integer' },
  },
})

const track = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    title: { type: 'string' },
    permalink: { type: 'string' },
    genre: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string' } },
    duration: { type: ['integer', 'null'], description: 'milliseconds' },
    created_at: { type: ['string', 'null'], format: 'date-time' },
    user: { type: 'object', properties: { id: { type: 'integer' }, username: { type: 'string' } } },
    highlight: {
      type: 'object',
      description:
        'track search only, when the title matched: the title, HTML-escaped, matched words in <em>',
      properties: { title: { type: 'string' } },
    },
  },
}
const user = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    username: { type: 'string' },
    permalink: { type: 'string' },
    full_name: { type: ['string', 'null'] },
    country_code: { type: ['string', 'null'] },
    followers_count: { type: 'integer' },
  },
}

function operation(summary: string, parameters: unknown[], schema: Record<string, unknown>) {
  return {
    get: {
      summary,
      parameters,
      responses: {
        200: { description: 'ok', content: { 'application/json': { schema } } },
        304: { description: 'not modified (If-None-Match matched the ETag)' },
        400: { ...errorResponse, description: 'a parameter is invalid; details.parameter names it' },
        503: {
          ...errorResponse,
          description:
            "Elasticsearch is unavailable (code 'unavailable'), or too many searches at once (code 'overloaded'); see Retry-After",
        },
      },
    },
  }
}

const totals = {
  type: 'object',
  properties: Object.fromEntries(
    ['plays', 'listeners', 'likes', 'reposts', 'comments', 'downloads'].map((metric) => [
      metric,
      { type: 'integer' },
    ]),
  ),
}
const range = {
  type: 'object',
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    tz: { type: 'string' },
    preset: { type: ['string', 'null'] },
  },
}
const period = {
  type: 'object',
  properties: { from: { type: 'string' }, to: { type: 'string' }, totals, change: {} },
}

function statsOperation(
  summary: string,
  parameters: unknown[],
  schema: Record<string, unknown>,
  csv = false,
) {
  const ok = operation(summary, parameters, schema).get
  return {
    get: {
      ...ok,
      security: [{ bearer: [] }],
      responses: {
        ...ok.responses,
        200: {
          description: 'ok',
          content: {
            'application/json': { schema },
            ...(csv ? { 'text/csv': { schema: { type: 'string' } } } : {}),
          },
        },
        401: { ...errorResponse, description: 'no token, or an expired, forged or unsigned one' },
        403: { ...errorResponse, description: 'the stats of another artist' },
        503: {
          ...errorResponse,
          description:
            "ClickHouse is unavailable (code 'unavailable'), or too many stats requests at once (code 'overloaded'); see Retry-After",
        },
      },
    },
  }
}

const idParameter = (what: string) => ({
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'integer' },
  description: what,
})

function statsPaths() {
  const paths: Record<string, unknown> = {}
  for (const kind of ['artists', 'tracks'] as const) {
    const id = idParameter(kind === 'artists' ? 'the artist (user) id' : 'the track id')
    const base = `/v1/stats/${kind}/{id}`
    paths[`${base}/summary`] = statsOperation(
      `Totals for ${kind === 'artists' ? 'an artist' : 'a track'}, with comparisons`,
      [id, ...queryParameters(summaryParams)],
      { type: 'object', properties: { range, totals, previous: period, year_ago: period, freshness: {} } },
    )
    paths[`${base}/timeseries`] = statsOperation(
      'One entry per bucket of the zone calendar, zeros included',
      [id, ...queryParameters(seriesParams)],
      {
        type: 'object',
        properties: { range, interval: { type: 'string' }, series: { type: 'array', items: {} } },
      },
      true,
    )
    paths[`${base}/top/{list}`] = statsOperation(
      'A top list by plays',
      [
        id,
        { name: 'list', in: 'path', required: true, schema: { type: 'string', enum: [...TOP_LISTS] } },
        ...queryParameters(topParams),
      ],
      {
        type: 'object',
        properties: { range, list: { type: 'string' }, items: { type: 'array', items: {} } },
      },
      true,
    )
  }
  paths['/v1/stats/artists/{id}/page'] = statsOperation(
    'Everything the stats page shows, in one round trip',
    [idParameter('the artist (user) id'), ...queryParameters(pageParams)],
    {
      type: 'object',
      properties: {
        range,
        totals,
        previous: period,
        series: { type: 'array', items: {} },
        top: {},
        freshness: {},
      },
    },
  )
  return paths
}

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'search-stats',
      version: '0.1.0',
      description: 'Search and artist stats for a music platform',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths: {
      '/v1/search/tracks': operation('Public tracks', queryParameters(trackParams), {
        ...page(track),
        properties: {
          ...page(track).properties,
          facets: { type: 'object', properties: { genre: { type: 'array', items: { type: 'object' } } } },
        },
      }),
      '/v1/search/users': operation('Public profiles', queryParameters(userParams), page(user)),
      '/v1/search': operation('The best tracks and users together', queryParameters(combinedParams), {
        type: 'object',
        properties: { tracks: { type: 'array', items: track }, users: { type: 'array', items: user } },
      }),
      '/v1/search/suggest': operation('As-you-type suggestions', queryParameters(combinedParams), {
        type: 'object',
        properties: { tracks: { type: 'array', items: track }, users: { type: 'array', items: user } },
      }),
      ...statsPaths(),
      '/you/stats': {
        get: { summary: 'The artist’s stats page (HTML)', responses: { 200: { description: 'text/html' } } },
      },
      '/docs': {
        get: { summary: 'This document, browsable', responses: { 200: { description: 'text/html' } } },
      },
      '/healthz': { get: { summary: 'The process is alive', responses: { 200: { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Broker, Elasticsearch and ClickHouse answer',
          responses: {
            200: { description: 'ready' },
            503: { ...errorResponse, description: 'a dependency is down' },
          },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain' } } },
      },
    },
  }
}

export function openApiRoutes(): Hono {
  const app = new Hono()
  const document = openApiDocument()
  app.get('/openapi.json', (c) => {
    c.header('Cache-Control', 'public, max-age=300')
    return c.json(document)
  })
  return app
}
