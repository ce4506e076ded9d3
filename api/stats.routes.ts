// Stats for the artist who owns them (and admins): summary with comparisons, time series, top lists,
// each for an artist or one track, and the stats page's everything-in-one-round-trip endpoint. Every
// number comes from the range planner (rollups/stats-reader.ts), equal to counting the raw log.
// Responses are private to the token's user: Cache-Control private, Vary: Authorization, ETag and 304.
//   curl -H "Authorization: Bearer $(npx search-stats token --user 42)" \
//     'localhost:8080/v1/stats/artists/42/summary?preset=30d&tz=Europe/Berlin&compare=previous'
import { type Context, Hono } from 'hono'
import {
  calendarBuckets,
  formatInstant,
  type Interval,
  previousPeriod,
  yearBefore,
} from '../rollups/calendar.js'
import {
  COUNT_METRICS,
  type Scope,
  type StatsReader,
  type TimeRange,
  type TopDimension,
  type Totals,
} from '../rollups/stats-reader.js'
import type { TokenVerifier } from '../src/auth/tokens.js'
import { AdmissionGate, type AdmissionLimits, type ShedListener } from './admission.js'
import { principalOf, requireOwner } from './auth.js'
import { ApiError, badRequest, unavailable } from './errors.js'
import { jsonTagged, sendTagged } from './etag.js'
import {
  checkInterval,
  defaultInterval,
  metricsOf,
  pageParams,
  parseParams,
  type ResolvedRange,
  resolveRange,
  seriesParams,
  summaryParams,
  TOP_LISTS,
  type TopList,
  topParams,
} from './stats-params.js'

export interface StatsRoutesOptions {
  reader: StatsReader
  verifier: TokenVerifier | undefined
  now?: () => number
  /** How many stats requests are answered at once and how many wait (default STATS_ADMISSION). */
  admission?: AdmissionLimits
  onShed?: ShedListener
}

/**
 * Twice the reader's connections: a page asks five queries at once, so eight pages keep every
 * connection busy. Behind them, about two seconds of work (pages of the benchmark's head artist run
 * at 14-16 a second here), so a request that finds the line full is told at once instead of after
 * its two seconds. Measured with 30 pages a second for 20 s (twice what is answered; 30-day pages of
 * the head artist): without a limit, answers took 23 s at p50 and 28 s at p99; with this one, 341
 * were answered at p99 2.3 s and 259 were shed in 2 ms at p50 (with a line of 64, they waited their
 * 2 s to be shed).
 */
export const STATS_ADMISSION: AdmissionLimits = { maxInFlight: 8, maxQueued: 24, maxWaitMs: 2_000 }

type Kind = 'artists' | 'tracks'
type Row = Record<string, string | number | null>

const DIMENSION: Partial<Record<TopList, TopDimension>> = {
  countries: 'country',
  cities: 'city',
  sources: 'source',
  referrers: 'referrer',
}

export function statsRoutes(options: StatsRoutesOptions): Hono {
  const { reader, verifier } = options
  const now = options.now ?? Date.now
  const app = new Hono()

  app.use('/v1/stats/*', async (c, next) => {
    // Before the route answers, so they go out with its response (a header added to a finished
    // response makes hono rebuild it as a stream).
    c.header('Cache-Control', 'private, max-age=0, must-revalidate')
    c.header('Vary', 'Authorization')
    await next()
  })
  app.use(
    '/v1/stats/*',
    new AdmissionGate('stats', options.admission ?? STATS_ADMISSION, options.onShed).middleware(),
  )

  /** The id in the path, the asker's right to it, and what to count. */
  async function scopeOf(c: Context, kind: Kind): Promise<Scope> {
    const id = Number(c.req.param('id'))
    if (!Number.isSafeInteger(id) || id <= 0) throw badRequest('id', 'must be a positive whole number')
    const principal = await principalOf(c, verifier)
    if (kind === 'artists') {
      requireOwner(principal, id)
      return { ownerId: id }
    }
    const owner = await store(reader.trackOwner(id))
    if (owner === null) throw new ApiError(404, 'not_found', `no stats for track ${id}`)
    requireOwner(principal, owner)
    return { ownerId: owner, trackId: id }
  }

  const rangeOf = (params: Parameters<typeof resolveRange>[0], scope: Scope) =>
    resolveRange(params, now(), () => store(reader.firstEventAt(scope.ownerId)))

  // How fresh the numbers are: when the newest event counted in the answer was logged (the rollups are
  // kept by the log's own inserts, so every event logged by then is in). Data only, so an unchanged
  // answer keeps its ETag.
  const freshness = (lastLoggedAt: number | null) => ({
    last_event_logged_at: lastLoggedAt ? new Date(lastLoggedAt).toISOString() : null,
  })

  for (const kind of ['artists', 'tracks'] as const) {
    app.get(`/v1/stats/${kind}/:id/summary`, async (c) => {
      const scope = await scopeOf(c, kind)
      const params = parseParams(summaryParams, c.req.query())
      const range = await rangeOf(params, scope)
      const compare = params.compare ? params.compare.split(',') : []
      const periods: TimeRange[] = [{ start: range.from, end: range.to }]
      if (compare.includes('previous')) periods.push(previousPeriod(range.from, range.to))
      if (compare.includes('year')) periods.push(yearBefore(range.from, range.to, range.tz))
      const { totals, lastLoggedAt } = await store(reader.totalsAndFreshness(scope, periods))
      const current = totals[0] as Totals
      const body: Record<string, unknown> = { ...ids(scope), range: rangeJson(range), totals: current }
      let next = 1
      for (const name of ['previous', 'year'] as const) {
        if (!compare.includes(name)) continue
        const period = periods[next] as TimeRange
        const other = totals[next++] as Totals
        body[name === 'previous' ? 'previous' : 'year_ago'] = {
          from: formatInstant(period.start, range.tz),
          to: formatInstant(period.end, range.tz),
          totals: other,
          change: change(current, other),
        }
      }
      return jsonTagged(c, { ...body, freshness: freshness(lastLoggedAt) })
    })

    app.get(`/v1/stats/${kind}/:id/timeseries`, async (c) => {
      const scope = await scopeOf(c, kind)
      const params = parseParams(seriesParams, c.req.query())
      const range = await rangeOf(params, scope)
      checkInterval(range, params.interval)
      const metrics = metricsOf(params.metrics)
      const { series, lastLoggedAt } = await store(seriesOf(scope, range, params.interval))
      const rows = series.map((point) => ({ t: point.t, ...pick(point, metrics) }))
      if (params.format === 'csv')
        return csv(c, rows, ['t', ...metrics], `series-${kind}-${c.req.param('id')}`)
      return jsonTagged(c, {
        ...ids(scope),
        range: rangeJson(range),
        interval: params.interval,
        metrics,
        series: rows,
        freshness: freshness(lastLoggedAt),
      })
    })

    app.get(`/v1/stats/${kind}/:id/top/:list`, async (c) => {
      const scope = await scopeOf(c, kind)
      const list = c.req.param('list') as TopList
      if (!TOP_LISTS.includes(list)) throw badRequest('list', `must be one of ${TOP_LISTS.join(', ')}`)
      if (list === 'tracks' && kind === 'tracks') throw badRequest('list', 'top tracks are for an artist')
      const params = parseParams(topParams, c.req.query())
      const range = await rangeOf(params, scope)
      const items = await store(topList(scope, list, range, params.limit))
      if (params.format === 'csv')
        return csv(c, items, columnsOf(list), `top-${list}-${kind}-${c.req.param('id')}`)
      return jsonTagged(c, { ...ids(scope), range: rangeJson(range), list, items })
    })
  }

  // Everything the stats page shows, in one round trip: four queries side by side (the totals, their
  // comparison, the series and the freshness in one; the four top dimensions in one; top tracks; top
  // listeners, counted from the raw log over at most the range's last 30 days).
  app.get('/v1/stats/artists/:id/page', async (c) => {
    const scope = await scopeOf(c, 'artists')
    const params = parseParams(pageParams, c.req.query())
    const range = await rangeOf(params, scope)
    const interval = params.interval ?? defaultInterval(range)
    checkInterval(range, interval)
    const previous = previousPeriod(range.from, range.to)
    const buckets = calendarBuckets(range.from, range.to, interval, range.tz)
    const listenersRange = { start: Math.max(range.from, range.to - PAGE_LISTENERS_MS), end: range.to }
    const span = { start: range.from, end: range.to }
    const [counted, dimensions, tracks, listeners] = await store(
      Promise.all([
        reader.totalsAndFreshness(scope, [span, previous, ...buckets]),
        reader.tops(scope, ['country', 'city', 'source', 'referrer'], span, 10),
        reader.topTracks(scope.ownerId, span, 10),
        reader.topListeners(scope, listenersRange, 10),
      ]),
    )
    const [current, before, ...series] = counted.totals as [Totals, Totals, ...Totals[]]
    return jsonTagged(c, {
      ...ids(scope),
      range: rangeJson(range),
      interval,
      totals: current,
      previous: {
        from: formatInstant(previous.start, range.tz),
        to: formatInstant(previous.end, range.tz),
        totals: before,
        change: change(current, before),
      },
      series: buckets.map((bucket, i) => ({ t: bucket.label, ...(series[i] as Totals) })),
      top: {
        tracks,
        countries: topRows('country', dimensions.country ?? []),
        cities: topRows('city', dimensions.city ?? []),
        sources: topRows('source', dimensions.source ?? []),
        referrers: topRows('referrer', dimensions.referrer ?? []),
        listeners,
      },
      top_listeners_range: {
        from: formatInstant(listenersRange.start, range.tz),
        to: formatInstant(listenersRange.end, range.tz),
      },
      freshness: freshness(counted.lastLoggedAt),
    })
  })

  async function seriesOf(scope: Scope, range: ResolvedRange, interval: Interval) {
    const buckets = calendarBuckets(range.from, range.to, interval, range.tz)
    const { totals, lastLoggedAt } = await reader.totalsAndFreshness(scope, buckets)
    return {
      series: buckets.map((bucket, i) => ({ t: bucket.label, ...(totals[i] as Totals) })),
      lastLoggedAt,
    }
  }

  async function topList(scope: Scope, list: TopList, range: ResolvedRange, limit: number): Promise<Row[]> {
    const span = { start: range.from, end: range.to }
    if (list === 'tracks') {
      if (scope.trackId !== undefined) return []
      return (await reader.topTracks(scope.ownerId, span, limit)) as unknown as Row[]
    }
    if (list === 'listeners') return (await reader.topListeners(scope, span, limit)) as unknown as Row[]
    const dimension = DIMENSION[list] as TopDimension
    return topRows(dimension, await reader.top(scope, dimension, span, limit))
  }

  return app
}

/** The page's top listeners cover at most the range's last 30 days (they are counted from the raw log). */
const PAGE_LISTENERS_MS = 30 * 86_400_000

function topRows(dimension: TopDimension, rows: { value: string; plays: number }[]): Row[] {
  return rows.map(({ value, plays }) => {
    if (dimension === 'city') {
      const [country, city] = value.split('|')
      return { city: city || null, country: country || null, plays }
    }
    return { [dimension]: value || null, plays }
  })
}

function columnsOf(list: TopList): string[] {
  switch (list) {
    case 'tracks':
      return ['track_id', 'plays', 'likes', 'reposts', 'comments', 'downloads']
    case 'listeners':
      return ['user_id', 'plays']
    case 'cities':
      return ['city', 'country', 'plays']
    default:
      return [DIMENSION[list] as string, 'plays']
  }
}

const ids = (scope: Scope) =>
  scope.trackId === undefined
    ? { artist_id: scope.ownerId }
    : { artist_id: scope.ownerId, track_id: scope.trackId }

const rangeJson = (range: ResolvedRange) => ({
  from: formatInstant(range.from, range.tz),
  to: formatInstant(range.to, range.tz),
  tz: range.tz,
  preset: range.preset,
})

/** Relative change against another period; null where that period had none. */
function change(current: Totals, other: Totals): Record<string, number | null> {
  return Object.fromEntries(
    COUNT_METRICS.map((metric) => [
      metric,
      other[metric] === 0
        ? null
        : Math.round(((current[metric] - other[metric]) / other[metric]) * 10_000) / 10_000,
    ]),
  )
}

function pick(point: Totals, metrics: string[]): Record<string, number> {
  return Object.fromEntries(metrics.map((metric) => [metric, point[metric as keyof Totals]]))
}

function csv(c: Context, rows: Row[], columns: string[], name: string) {
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value)
    // Quoted when needed; a leading =, +, - or @ is defused so a spreadsheet never runs it as a formula.
    const safe = /^[=+\-@]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text
    return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
  }
  const lines = [
    columns.join(','),
    ...rows.map((row) => columns.map((column) => cell(row[column])).join(',')),
  ]
  c.header('Content-Disposition', `attachment; filename="${name}.csv"`)
  return sendTagged(c, `${lines.join('\n')}\n`, 'text/csv; charset=utf-8')
}

/** A store failure is a 503 with Retry-After, never a 500. */
async function store<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise
  } catch (err) {
    if (err instanceof ApiError) throw err
    // The store's own message may quote the query: it goes to the log (handleError), not to the client.
    throw Object.assign(unavailable('clickhouse', 'the stats store did not answer; try again shortly'), {
      cause: err,
    })
  }
}
