// Public search: GET /v1/search/tracks and /v1/search/users. Parameters are validated with zod (a 400
// names the parameter); queries are built in search-query.ts and pass through publicOnly(); results
// page by opaque cursor (search_after on a stable sort), so a deep page costs what the first does.
// Responses are public and cacheable for a short while, with an ETag for revalidation.
//   curl 'localhost:8080/v1/search/tracks?q=beyonce&genre=Pop&limit=10'
import type { Client, estypes } from '@elastic/elasticsearch'
import { errors as esErrors } from '@elastic/elasticsearch'
import { Hono } from 'hono'
import { z } from 'zod'
import { parseTags } from '../src/text.js'
import { AdmissionGate, type AdmissionLimits, type ShedListener } from './admission.js'
import { badRequest, unavailable } from './errors.js'
import { jsonTagged } from './etag.js'
import { titleHighlighter } from './highlight.js'
import {
  decodeCursor,
  encodeCursor,
  normalizeQuery,
  trackQuery,
  trackSort,
  userQuery,
} from './search-query.js'

export interface SearchRoutesOptions {
  es: Client
  aliases: { tracks: string; users: string }
  /** Seconds intermediaries may serve a cached page. */
  maxAgeSeconds?: number
  /** Elasticsearch gets this long per query. */
  timeoutMs?: number
  /** How many searches are answered at once and how many wait (default SEARCH_ADMISSION). */
  admission?: AdmissionLimits
  onShed?: ShedListener
}

/**
 * A search is a few milliseconds of Elasticsearch's time and less of ours: sixty-four at once is far
 * beyond what two cores finish without queueing, and a second in line is as long as a search should
 * take.
 */
export const SEARCH_ADMISSION: AdmissionLimits = { maxInFlight: 64, maxQueued: 512, maxWaitMs: 1_000 }

const MAX_LIMIT = 50
const isoDateOrInstant = z
  .string()
  .refine(
    (v) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(v) && !Number.isNaN(Date.parse(v)),
    'must be YYYY-MM-DD or an ISO-8601 instant',
  )

const common = {
  q: z.string().max(10_000, 'must be at most 10,000 characters').optional(),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`)
    .default(20),
  cursor: z.string().max(2_000).optional(),
}

export const trackParams = z.object({
  ...common,
  genre: z.string().max(100).optional(),
  tag: z.string().max(100).optional(),
  license: z.string().max(100).optional(),
  duration_min: z.coerce.number().int('must be a whole number of ms').min(0).optional(),
  duration_max: z.coerce.number().int('must be a whole number of ms').min(0).optional(),
  created_from: isoDateOrInstant.optional(),
  created_to: isoDateOrInstant.optional(),
  sort: z.enum(['relevance', 'recent', 'popular']).default('relevance'),
})

export const userParams = z.object({
  ...common,
  country_code: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .optional(),
  verified: z.enum(['true', 'false']).optional(),
})

/** GET /v1/search and /v1/search/suggest. */
export const combinedParams = z.object({ q: common.q, limit: common.limit.default(5) })

function parse<T extends z.ZodTypeAny>(schema: T, query: Record<string, string>): z.output<T> {
  const result = schema.safeParse(query)
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw badRequest(String(issue.path[0] ?? 'query'), issue.message)
  }
  return result.data
}

/** The Elasticsearch request of GET /v1/search/tracks (the benchmark sends the same one straight). */
export function trackSearchRequest(
  p: z.output<typeof trackParams>,
  index: string,
  timeoutMs = 2_000,
  after?: unknown[],
): estypes.SearchRequest {
  const tag = p.tag ? parseTags(p.tag)[0] : undefined
  return {
    index,
    query: trackQuery({
      q: normalizeQuery(p.q),
      genre: p.genre,
      tag,
      license: p.license,
      durationMin: p.duration_min,
      durationMax: p.duration_max,
      createdFrom: p.created_from,
      createdTo: p.created_to,
      sort: p.sort,
    }),
    sort: trackSort(p.sort),
    size: p.limit,
    track_total_hits: true,
    timeout: `${timeoutMs}ms`,
    ...(after ? { search_after: after as estypes.SortResults } : {}),
    _source: TRACK_FIELDS,
    aggs: { genres: { terms: { field: 'genre', size: 20 } } },
    // Only what the route reads: less for Elasticsearch to write and for us to parse.
    filter_path: ['hits.total', 'hits.hits._source', 'hits.hits.sort', 'aggregations.genres.buckets'],
    // No Elasticsearch highlighting: highlight.ts marks the matched words (see there why).
  }
}

export function searchRoutes(options: SearchRoutesOptions): Hono {
  const { es, aliases } = options
  const app = new Hono()
  // '/v1/search/*' matches /v1/search itself too (a second pattern for it ran each middleware twice).
  app.use('/v1/search/*', async (c, next) => {
    // Set before the route answers: hono rebuilds a finished response as a web stream to add a
    // header to it, which cost more CPU per search than anything else the API does.
    c.header('Cache-Control', `public, max-age=${options.maxAgeSeconds ?? 30}`)
    await next()
    // Errors are not for caching (a 503 must not outlive the outage); this path is rare.
    if (c.res.status !== 200 && c.res.status !== 304) c.header('Cache-Control', 'no-store')
  })
  app.use(
    '/v1/search/*',
    new AdmissionGate('search', options.admission ?? SEARCH_ADMISSION, options.onShed).middleware(),
  )

  async function run<T>(search: () => Promise<T>): Promise<T> {
    try {
      return await search()
    } catch (err) {
      if (
        err instanceof esErrors.ConnectionError ||
        err instanceof esErrors.TimeoutError ||
        err instanceof esErrors.NoLivingConnectionsError
      ) {
        throw unavailable('elasticsearch', 'search is unavailable right now')
      }
      if (err instanceof esErrors.ResponseError && (err.statusCode ?? 0) >= 500) {
        throw unavailable('elasticsearch', 'search is unavailable right now')
      }
      throw err
    }
  }

  app.get('/v1/search/tracks', async (c) => {
    const p = parse(trackParams, c.req.query())
    if (p.duration_min !== undefined && p.duration_max !== undefined && p.duration_min > p.duration_max) {
      throw badRequest('duration_min', 'must not be greater than duration_max')
    }
    const after = p.cursor ? decodeCursor(p.cursor) : undefined
    if (p.cursor && !after) throw badRequest('cursor', 'is not a cursor this API gave out')
    const result = await run(() =>
      es.search<Record<string, unknown>>(trackSearchRequest(p, aliases.tracks, options.timeoutMs, after)),
    )
    // filter_path leaves out what Elasticsearch did not return: no hits array when nothing matched.
    const hits = result.hits?.hits ?? []
    const total = result.hits?.total
    const highlight = titleHighlighter(normalizeQuery(p.q))
    return jsonTagged(c, {
      items: hits.map((hit) => {
        // The parsed document is ours to extend: no copy of each hit.
        const item = hit._source ?? {}
        const title = highlight(String(item.title ?? ''))
        if (title) item.highlight = { title }
        return item
      }),
      next_cursor: hits.length === p.limit ? encodeCursor(hits[hits.length - 1]!.sort) : null,
      total: typeof total === 'number' ? total : (total?.value ?? 0),
      facets: {
        genre: (
          (result.aggregations?.genres as { buckets?: { key: string; doc_count: number }[] })?.buckets ?? []
        ).map((b) => ({ value: b.key, count: b.doc_count })),
      },
    })
  })

  app.get('/v1/search/users', async (c) => {
    const p = parse(userParams, c.req.query())
    const after = p.cursor ? decodeCursor(p.cursor) : undefined
    if (p.cursor && !after) throw badRequest('cursor', 'is not a cursor this API gave out')
    const result = await run(() =>
      es.search<Record<string, unknown>>({
        index: aliases.users,
        query: userQuery({
          q: normalizeQuery(p.q),
          countryCode: p.country_code?.toUpperCase(),
          verified: p.verified === undefined ? undefined : p.verified === 'true',
        }),
        sort: [{ _score: { order: 'desc' } }, { id: 'asc' }],
        size: p.limit,
        track_total_hits: true,
        timeout: `${options.timeoutMs ?? 2_000}ms`,
        ...(after ? { search_after: after } : {}),
        _source: USER_FIELDS,
      }),
    )
    const hits = result.hits.hits
    return jsonTagged(c, {
      items: hits.map((hit) => hit._source),
      next_cursor: hits.length === p.limit ? encodeCursor(hits[hits.length - 1]!.sort) : null,
      total: typeof result.hits.total === 'number' ? result.hits.total : (result.hits.total?.value ?? 0),
    })
  })
  app.get('/v1/search', async (c) => {
    const p = parse(combinedParams, c.req.query())
    const q = normalizeQuery(p.q)
    const [tracksResult, usersResult] = await run(() =>
      Promise.all([
        es.search<Record<string, unknown>>({
          index: aliases.tracks,
          query: trackQuery({ q, sort: 'relevance' }),
          size: p.limit,
          _source: TRACK_FIELDS,
          timeout: `${options.timeoutMs ?? 2_000}ms`,
        }),
        es.search<Record<string, unknown>>({
          index: aliases.users,
          query: userQuery({ q }),
          size: p.limit,
          _source: USER_FIELDS,
          timeout: `${options.timeoutMs ?? 2_000}ms`,
        }),
      ]),
    )
    return jsonTagged(c, {
      tracks: tracksResult.hits.hits.map((hit) => hit._source),
      users: usersResult.hits.hits.map((hit) => hit._source),
    })
  })

  // As-you-type: completion suggesters. Only visible documents carry a `suggest` field (documents.ts),
  // so private, unfinished and destroyed records cannot be suggested.
  app.get('/v1/search/suggest', async (c) => {
    const p = parse(combinedParams, c.req.query())
    const prefix = normalizeQuery(p.q).slice(0, 50)
    if (!prefix) return jsonTagged(c, { tracks: [], users: [] })
    const suggest = (index: string, fields: string[]) =>
      es.search<Record<string, unknown>>({
        index,
        _source: fields,
        suggest: { s: { prefix, completion: { field: 'suggest', size: p.limit, skip_duplicates: true } } },
      })
    const [tracksResult, usersResult] = await run(() =>
      Promise.all([
        suggest(aliases.tracks, ['id', 'title', 'permalink', 'user.username']),
        suggest(aliases.users, ['id', 'username', 'permalink']),
      ]),
    )
    const suggestions = (result: typeof tracksResult) =>
      ((result.suggest?.s?.[0]?.options ?? []) as { _source?: Record<string, unknown> }[]).map(
        (o) => o._source,
      )
    return jsonTagged(c, { tracks: suggestions(tracksResult), users: suggestions(usersResult) })
  })
  return app
}

const TRACK_FIELDS = [
  'id',
  'title',
  'permalink',
  'genre',
  'tags',
  'duration',
  'created_at',
  'license',
  'user.id',
  'user.username',
  'user.permalink',
  'user.verified',
]
const USER_FIELDS = [
  'id',
  'username',
  'permalink',
  'full_name',
  'country_code',
  'followers_count',
  'verified',
  'avatar_url',
]
