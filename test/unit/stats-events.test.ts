import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  referrerHost,
  statsEventSchema,
  validateStatsEvent,
  wellFormed,
} from '../../src/contracts/stats-events.js'
import { statsWorkload, take } from '../../src/workload/stats-workload.js'

const valid = {
  id: 'e-1',
  type: 'play',
  occurred_at: '2026-03-01T12:30:00+01:00',
  track_id: 10,
  owner_id: 2,
  user_id: null,
  anonymous_id: 'anon-x',
  country: 'de',
  city: 'Köln',
  source: 'ios',
  referrer: 'https://www.Google.com/search?q=x',
  listened_ms: 120_000,
  unknown_field: 'ignored',
}

describe('validateStatsEvent', () => {
  it('normalizes a valid event into a log row', () => {
    const result = validateStatsEvent(valid)
    expect(result).toEqual({
      ok: true,
      row: {
        event_id: 'e-1',
        type: 'play',
        occurred_at: Date.UTC(2026, 2, 1, 11, 30),
        owner_id: 2,
        track_id: 10,
        user_id: 0,
        anonymous_id: 'anon-x',
        country: 'DE',
        city: 'Köln',
        source: 'ios',
        referrer: 'google.com',
        listened_ms: 120_000,
      },
    })
  })

  it('accepts epoch milliseconds and nulls for optional fields', () => {
    const result = validateStatsEvent({
      ...valid,
      type: 'like',
      occurred_at: Date.UTC(2026, 0, 2),
      user_id: 5,
      country: null,
      city: null,
      referrer: null,
      listened_ms: 99,
    })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.row.occurred_at).toBe(Date.UTC(2026, 0, 2))
    expect(result.row.user_id).toBe(5)
    expect(result.row.anonymous_id).toBe('') // a logged-in listener is counted by user id
    expect(result.row.listened_ms).toBeNull() // listening time belongs to plays only
  })

  it.each([
    [{ ...valid, id: '' }, 'id'],
    [{ ...valid, type: 'view' }, 'type'],
    [{ ...valid, occurred_at: '2026-03-01 12:30' }, 'occurred_at'],
    [{ ...valid, occurred_at: '2026-03-01T12:30:00' }, 'occurred_at'], // no offset: ambiguous
    [{ ...valid, occurred_at: Date.UTC(1999, 0, 1) }, 'occurred_at'],
    [{ ...valid, track_id: '10' }, 'track_id'],
    [{ ...valid, owner_id: -1 }, 'owner_id'],
    [{ ...valid, country: 'Germany' }, 'country'],
    [{ ...valid, source: 'tv' }, 'source'],
    [{ ...valid, listened_ms: 1.5 }, 'listened_ms'],
    ['a string', 'event'],
  ])('refuses %j naming %s', (event, field) => {
    const result = validateStatsEvent(event)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.reason).toContain(field)
  })
})

describe('wellFormed (the shortcut past the schema)', () => {
  // Each field usually ordinary, sometimes an edge case (accepted or refused, near every bound), so
  // that both the events the shortcut takes and the ones it must leave to the schema come up often.
  const field = <T, U>(usual: fc.Arbitrary<T>, edge: fc.Arbitrary<U>) =>
    fc.oneof({ arbitrary: usual, weight: 10 }, { arbitrary: edge, weight: 1 })
  const nullish = fc.constantFrom(null, undefined)
  const text = (max: number) =>
    fc.constantFrom('', ' ', 'x'.repeat(max), 'x'.repeat(max + 1), 7, true, {}, ['a'])
  const badNumber = fc.constantFrom(0, -1, 0.5, -0, 2 ** 53, Number.NaN, Infinity, '7', null)
  const count = fc.constantFrom(2 ** 32 - 1, 2 ** 32, -1, 0.5, -0, Number.NaN, '7')
  // Away from the moving upper bound, which the two calls read a moment apart.
  const safeMs = (ms: number) => Math.abs(ms - (Date.now() + 86_400_000)) > 60_000
  const event = fc.record(
    {
      id: field(fc.string({ minLength: 1, maxLength: 20 }), text(128)),
      type: field(
        fc.constantFrom('play', 'like', 'repost', 'comment', 'download'),
        fc.constantFrom('skip', 1),
      ),
      occurred_at: field(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2026, 0, 1) }),
        fc.oneof(
          fc.constantFrom(
            '2026-03-01T12:30:00+01:00',
            '2026-03-01T12:30:00.123456Z',
            '2026-03-01T12:30Z',
            '2026-03-01T12:30:00+0530',
            '2026-03-01 12:30:00Z',
            '2026-03-01T12:30:00',
            '2006-12-31T23:59:59Z',
            '2026-02-30T10:00:00Z',
            'yesterday',
            Number.NaN,
            null,
          ),
          fc.integer({ min: Date.UTC(2006, 11, 31), max: Date.now() + 2 * 86_400_000 }).filter(safeMs),
          fc.double({ min: Date.UTC(2010, 0, 1), max: Date.UTC(2026, 0, 1), noNaN: true }),
        ),
      ),
      track_id: field(fc.integer({ min: 1, max: 1e9 }), fc.oneof(badNumber, fc.constant(undefined))),
      owner_id: field(fc.integer({ min: 1, max: 1e9 }), badNumber),
      user_id: field(fc.oneof(fc.integer({ min: 1, max: 1e9 }), nullish), badNumber),
      anonymous_id: field(fc.oneof(fc.string({ maxLength: 20 }), nullish), text(128)),
      country: field(
        fc.oneof(fc.constantFrom('de', 'US', 'fR'), nullish),
        fc.constantFrom('Ü1', 'usa', 'd', 3),
      ),
      city: field(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('  Köln '), nullish), text(200)),
      source: field(
        fc.constantFrom('web', 'ios', 'android', 'embed', 'api', 'other'),
        fc.constantFrom('tv', 0),
      ),
      referrer: field(fc.oneof(fc.constant('https://www.Google.com/x'), nullish), text(2048)),
      listened_ms: field(fc.oneof(fc.integer({ min: 0, max: 600_000 }), nullish), count),
      extra: fc.anything(),
    },
    // The optional fields are sometimes absent; the required ones are, through the edge values.
    { requiredKeys: ['id', 'type', 'occurred_at', 'track_id', 'owner_id', 'source'] },
  )

  it('accepts only what the schema accepts, with the same output', () => {
    fc.assert(
      fc.property(
        fc.oneof({ arbitrary: event, weight: 20 }, { arbitrary: fc.anything(), weight: 1 }),
        (value) => {
          const fast = wellFormed(value)
          if (fast === undefined) return
          const parsed = statsEventSchema.safeParse(value)
          expect(parsed.success).toBe(true)
          expect(fast).toEqual(parsed.data)
        },
      ),
      { numRuns: 10_000 },
    )
  })

  it('takes the ordinary events of the workload', () => {
    const from = new Date(Date.now() - 7 * 86_400_000)
    for (const e of take(statsWorkload({ seed: 3, from, to: new Date(), idPrefix: 'w-' }), 2_000)) {
      expect(wellFormed(e)).toBeDefined()
    }
  })
})

describe('referrerHost', () => {
  it.each([
    ['https://www.google.com/search?q=x', 'google.com'],
    ['blog.example.org', 'blog.example.org'],
    ['HTTP://T.CO/abc', 't.co'],
    ['', ''],
    [null, ''],
    ['::not a url::', ''],
  ])('%j -> %j', (input, host) => {
    expect(referrerHost(input)).toBe(host)
  })
})

describe('statsWorkload', () => {
  const options = { seed: 7, from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-02-01T00:00:00Z') }

  it('is deterministic for a seed and yields only valid events inside the range', () => {
    const a = take(statsWorkload(options), 2_000)
    const b = take(statsWorkload(options), 2_000)
    expect(a).toEqual(b)
    for (const event of a) {
      const result = validateStatsEvent(event)
      expect(result.ok).toBe(true)
      if (!result.ok) continue
      expect(result.row.occurred_at).toBeGreaterThanOrEqual(options.from.getTime())
      expect(result.row.occurred_at).toBeLessThan(options.to.getTime())
    }
  })

  it('concentrates popularity on the head artist and has repeat listeners', () => {
    const events = take(statsWorkload({ ...options, artists: 500 }), 20_000)
    const byArtist = new Map<number, number>()
    for (const e of events) byArtist.set(e.owner_id, (byArtist.get(e.owner_id) ?? 0) + 1)
    const counts = [...byArtist.values()].sort((x, y) => y - x)
    expect(counts[0]!).toBeGreaterThan(10 * (counts[100] ?? 0))
    const listeners = new Set(events.map((e) => e.user_id ?? e.anonymous_id))
    expect(listeners.size).toBeLessThan(events.length * 0.8)
    expect(events.some((e) => e.user_id === null)).toBe(true)
  })
})
