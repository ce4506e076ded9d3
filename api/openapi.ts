// GET /openapi.json: the OpenAPI document, generated from the same zod schemas that validate requests,
// so the document cannot drift from what the API accepts.
import { Hono } from 'hono'
import { z } from 'zod'
import { combinedParams, trackParams, userParams } from './search.routes.js'

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
        503: { ...errorResponse, description: 'Elasticsearch is unavailable; see Retry-After' },
      },
    },
  }
}

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'search-stats',
      version: '0.1.0',
      description: 'Search and artist stats for a music platform',
    },
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
