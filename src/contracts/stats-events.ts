// Stats events (CONTRACT section 2): the schema every event is validated against, and its normal form
// as a row of the raw log. New optional fields may appear; unknown ones are ignored.
import { z } from 'zod'

export const STATS_EVENT_TYPES = ['play', 'like', 'repost', 'comment', 'download'] as const
export const SOURCES = ['web', 'ios', 'android', 'embed', 'api', 'other'] as const
export type StatsEventType = (typeof STATS_EVENT_TYPES)[number]
export type Source = (typeof SOURCES)[number]

/** Earliest accepted event time: older than the platform itself is a bug upstream, not a play. */
const EARLIEST = Date.UTC(2007, 0, 1)
/** Clocks drift; anything further ahead than this is a bad timestamp. */
const MAX_FUTURE_MS = 24 * 3600 * 1000

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

const occurredAt = z.union([z.string(), z.number()]).transform((value, ctx) => {
  let ms: number
  if (typeof value === 'number') {
    ms = value
  } else if (ISO_WITH_OFFSET.test(value)) {
    ms = Date.parse(value)
  } else {
    ctx.addIssue({
      code: 'custom',
      message: 'must be ISO-8601 with an offset (e.g. 2026-03-01T12:00:00Z) or epoch milliseconds',
    })
    return z.NEVER
  }
  if (!Number.isFinite(ms) || !Number.isInteger(Math.round(ms))) {
    ctx.addIssue({ code: 'custom', message: 'is not a valid time' })
    return z.NEVER
  }
  if (ms < EARLIEST || ms > Date.now() + MAX_FUTURE_MS) {
    ctx.addIssue({ code: 'custom', message: `is out of range (${new Date(ms).toISOString?.() ?? ms})` })
    return z.NEVER
  }
  return Math.round(ms)
})

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER)
const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => (v ?? '').trim())

export const statsEventSchema = z.object({
  id: z.string().min(1).max(128),
  type: z.enum(STATS_EVENT_TYPES),
  occurred_at: occurredAt,
  track_id: id,
  owner_id: id,
  user_id: id.nullish(),
  anonymous_id: z.string().max(128).nullish(),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .nullish()
    .transform((v) => (v ?? '').toUpperCase()),
  city: optionalText(200),
  source: z.enum(SOURCES),
  referrer: z.string().max(2048).nullish(),
  listened_ms: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .nullish(),
})

export type StatsEventInput = z.input<typeof statsEventSchema>

/** One row of the raw log, as inserted. `listener` is derived in SQL (see the migration). */
export interface StatsLogRow {
  event_id: string
  type: StatsEventType
  /** 'YYYY-MM-DD hh:mm:ss.sss' in UTC, the form ClickHouse parses for DateTime64(3, 'UTC'). */
  occurred_at: string
  occurred_at_ms: number
  owner_id: number
  track_id: number
  user_id: number
  anonymous_id: string
  country: string
  city: string
  source: Source
  referrer: string
  listened_ms: number | null
}

export type Validated = { ok: true; row: StatsLogRow } | { ok: false; reason: string }

export function validateStatsEvent(value: unknown): Validated {
  const parsed = statsEventSchema.safeParse(value)
  if (!parsed.success) {
    return {
      ok: false,
      reason: parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`)
        .join('; '),
    }
  }
  const e = parsed.data
  return {
    ok: true,
    row: {
      event_id: e.id,
      type: e.type,
      occurred_at: new Date(e.occurred_at).toISOString().replace('T', ' ').replace('Z', ''),
      occurred_at_ms: e.occurred_at,
      owner_id: e.owner_id,
      track_id: e.track_id,
      user_id: e.user_id ?? 0,
      anonymous_id: e.user_id ? '' : (e.anonymous_id ?? ''),
      country: e.country,
      city: e.city,
      source: e.source,
      referrer: referrerHost(e.referrer),
      // Listening time belongs to plays; on other types it means nothing and is not kept.
      listened_ms: e.type === 'play' ? (e.listened_ms ?? null) : null,
    },
  }
}

/** Referrers are counted by host: "https://www.Google.com/search?q=x" and "google.com" are one. */
export function referrerHost(referrer: string | null | undefined): string {
  const value = referrer?.trim()
  if (!value) return ''
  let host: string
  try {
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`).hostname
  } catch {
    return ''
  }
  return host
    .toLowerCase()
    .replace(/^www\./, '')
    .slice(0, 253)
}

/** A message body holds one event or an array of events. */
export function eventsOfBody(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body]
}
