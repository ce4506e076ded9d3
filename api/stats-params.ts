// The stats endpoints' parameters: zod schemas (also the OpenAPI document's), and their resolution into
// instants. Every failure is a 400 that names the parameter and says why; unknown parameters too.
import { z } from 'zod'
import {
  CalendarError,
  countBuckets,
  INTERVALS,
  type Interval,
  isValidZone,
  PRESETS,
  type Preset,
  parseBound,
  presetRange,
} from '../rollups/calendar.js'
import { COUNT_METRICS, type CountMetric } from '../rollups/stats-reader.js'
import { badRequest } from './errors.js'

/** Buckets in one series at most: a year of days, or six weeks of hours. */
export const MAX_BUCKETS = 1_100
export const TOP_LISTS = ['tracks', 'countries', 'cities', 'sources', 'referrers', 'listeners'] as const
export type TopList = (typeof TOP_LISTS)[number]

const bound = z.string().max(40, 'must be a date (YYYY-MM-DD) or an ISO-8601 instant')
const range = {
  from: bound
    .optional()
    .describe('inclusive: YYYY-MM-DD (midnight in tz) or an ISO-8601 instant with offset'),
  to: bound.optional().describe('exclusive: YYYY-MM-DD (midnight in tz) or an ISO-8601 instant with offset'),
  preset: z.enum(PRESETS).optional().describe('instead of from/to; the default is 30d'),
  tz: z
    .string()
    .max(64)
    .default('UTC')
    .refine(isValidZone, 'must be an IANA time zone name such as Europe/Berlin')
    .describe('IANA zone for dates and buckets'),
}
const format = z.enum(['json', 'csv']).default('json')

export const summaryParams = z
  .object({
    ...range,
    compare: z
      .string()
      .regex(/^(previous|year)(,(previous|year))?$/, 'must be previous, year, or previous,year')
      .optional()
      .describe('previous: the period of equal length just before; year: the same dates a year earlier'),
  })
  .strict()

export const seriesParams = z
  .object({
    ...range,
    interval: z.enum(INTERVALS).default('day'),
    metrics: z
      .string()
      .max(200)
      .default('plays,listeners')
      .refine(
        (value) => value.split(',').every((metric) => (COUNT_METRICS as readonly string[]).includes(metric)),
        `must be a comma-separated list of ${COUNT_METRICS.join(', ')}`,
      ),
    format,
  })
  .strict()

export const topParams = z
  .object({
    ...range,
    limit: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100, 'must be at most 100')
      .default(10),
    format,
  })
  .strict()

export const pageParams = z.object({ ...range, interval: z.enum(INTERVALS).optional() }).strict()

export function parseParams<T extends z.ZodTypeAny>(schema: T, query: Record<string, string>): z.output<T> {
  const result = schema.safeParse(query)
  if (!result.success) {
    const issue = result.error.issues[0]
    if (issue?.code === 'unrecognized_keys') {
      throw badRequest(
        issue.keys[0] ?? 'query',
        `unknown parameter (allowed: ${Object.keys(schemaShape(schema)).join(', ')})`,
      )
    }
    throw badRequest(String(issue?.path[0] ?? 'query'), issue?.message ?? 'invalid')
  }
  return result.data
}

function schemaShape(schema: z.ZodTypeAny): Record<string, unknown> {
  return schema instanceof z.ZodObject ? schema.shape : {}
}

export interface ResolvedRange {
  from: number
  to: number
  tz: string
  preset: Preset | null
}

/** from/to or a preset (default 30d) as instants; `firstEventAt` bounds `all`. */
export function resolveRange(
  params: { from?: string; to?: string; preset?: Preset; tz: string },
  now: number,
  firstEventAt: () => Promise<number | null>,
): Promise<ResolvedRange> | ResolvedRange {
  const { tz } = params
  if (params.preset && (params.from || params.to))
    throw badRequest('preset', 'give a preset or from/to, not both')
  if (!params.from !== !params.to) throw badRequest(params.from ? 'to' : 'from', 'from and to go together')
  if (params.from && params.to) {
    const from = bound_(params.from, tz, 'from')
    const to = bound_(params.to, tz, 'to')
    if (from >= to) throw badRequest('from', `must be before to (${params.from} is not before ${params.to})`)
    return { from, to, tz, preset: null }
  }
  const preset = params.preset ?? '30d'
  if (preset !== 'all') return { ...presetRange(preset, now, tz, now), tz, preset }
  return firstEventAt().then((first) => ({ ...presetRange('all', now, tz, first ?? now), tz, preset }))
}

function bound_(value: string, tz: string, param: 'from' | 'to'): number {
  try {
    return parseBound(value, tz, param)
  } catch (err) {
    if (err instanceof CalendarError) throw badRequest(err.param, err.message.replace(`${param} `, ''))
    throw err
  }
}

const NOMINAL_MS: Record<Interval, number> = {
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 28 * 86_400_000,
}

/** The interval must fit the range, and not cut it into more than MAX_BUCKETS buckets. */
export function checkInterval(range: ResolvedRange, interval: Interval): void {
  if (range.to - range.from < NOMINAL_MS[interval] && interval !== 'hour') {
    throw badRequest('interval', `a ${interval} is longer than the range; use a finer interval`)
  }
  const buckets = countBuckets(range.from, range.to, interval, range.tz)
  if (buckets > MAX_BUCKETS) {
    throw badRequest(
      'interval',
      `${interval} is too fine for the range: ${buckets} buckets, at most ${MAX_BUCKETS}`,
    )
  }
}

/** The series interval the stats page uses for a range when none is asked for. */
export function defaultInterval(range: ResolvedRange): Interval {
  const days = (range.to - range.from) / 86_400_000
  if (days <= 2) return 'hour'
  if (days <= 92) return 'day'
  if (days <= 400) return 'week'
  return 'month'
}

export function metricsOf(value: string): CountMetric[] {
  return [...new Set(value.split(','))] as CountMetric[]
}
