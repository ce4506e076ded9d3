// The rollup tiers and the range planner against the real ClickHouse engine: whatever the range, zone
// (daylight-saving days included), interval and metric, the planner's answer equals a scan of the raw
// log; a retried insert never counts twice in a tier.
import fc from 'fast-check'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { backfill } from '../../rollups/backfill.js'
import { calendarBuckets, INTERVALS, previousPeriod, yearBefore } from '../../rollups/calendar.js'
import { EventLog } from '../../rollups/event-log.js'
import { writeLogWorkload } from '../../rollups/log-workload.js'
import { migrate } from '../../rollups/migrate.js'
import { type Scope, StatsReader, TOP_DIMENSIONS } from '../../rollups/stats-reader.js'
import { TABLES } from '../../rollups/tables.js'
import { TIERS } from '../../rollups/tier-sources.js'
import { verifyTier } from '../../rollups/verify.js'
import { listZonePhases, markReady, registerZones } from '../../rollups/zone-days.js'
import { type ClickHouseClient, createClickHouse } from '../../src/clickhouse/client.js'
import { type StatsLogRow, validateStatsEvent } from '../../src/contracts/stats-events.js'
import { type TestEnv, testEnv } from '../support/harness.js'
import { playEvent } from '../support/stats-events.js'

const FROM = Date.parse('2026-02-15T00:00:00Z')
const TO = Date.parse('2026-05-15T00:00:00Z')
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'America/St_Johns',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Australia/Adelaide',
]
const ARTISTS = [1, 2, 3]
/** Half the zones keep whole days (zone-days.ts); the others' days are made of UTC buckets. */
const REGISTERED_ZONES = ['Europe/Berlin', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham']

let env: TestEnv
let client: ClickHouseClient
let reader: StatsReader

beforeAll(async () => {
  env = testEnv('rollups')
  client = await createClickHouse(env.config.clickhouse)
  await migrate(client)
  await markReady(client, await registerZones(client, REGISTERED_ZONES))
  // Through the views, as the writer's inserts go: several inserts, so the tiers hold unmerged parts.
  await writeLogWorkload(client, {
    rows: 60_000,
    chunkRows: 20_000,
    from: new Date(FROM),
    to: new Date(TO),
    artists: ARTISTS.length,
    tracksPerArtist: 4,
    listeners: 3_000,
    idPrefix: 'r',
  })
  reader = new StatsReader(client)
}, 120_000)

afterAll(async () => {
  await client?.close()
  env?.cleanup()
})

const instantArb = fc.integer({ min: FROM - 86_400_000, max: TO + 86_400_000 })
const zoneArb = fc.constantFrom(...ZONES)
const scopeArb = fc.record({
  ownerId: fc.constantFrom(...ARTISTS),
  track: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
})
const toScope = ({ ownerId, track }: { ownerId: number; track: number | undefined }): Scope =>
  track === undefined ? { ownerId } : { ownerId, trackId: ownerId * 1000 + track }
/** Either a random instant or local midnight of a random day in the zone, as most ranges are. */
const boundArb = fc.tuple(instantArb, fc.boolean())
const atBound = ([ms, midnight]: [number, boolean], zone: string) =>
  midnight ? DateTime.fromMillis(ms, { zone }).startOf('day').toMillis() : ms
/** The client, telling onQuery each query's SQL before it runs. */
const watched = (target: ClickHouseClient, onQuery: (sql: string) => void): ClickHouseClient =>
  new Proxy(target, {
    get(inner, property) {
      if (property !== 'query') return Reflect.get(inner, property)
      return (params: { query: string }) => {
        onQuery(params.query)
        return inner.query(params as never)
      }
    },
  })

describe('the range planner', () => {
  it('gives the raw log totals for any range and zone, with both comparison periods', async () => {
    await fc.assert(
      fc.asyncProperty(scopeArb, zoneArb, boundArb, boundArb, async (scopeInput, zone, a, b) => {
        const [start, end] = [atBound(a, zone), atBound(b, zone)].sort((x, y) => x - y) as [number, number]
        fc.pre(start < end)
        const scope = toScope(scopeInput)
        // The last range overlaps the first (its buckets and its raw edges count in both).
        const middle = start + Math.floor((end - start) / 2)
        const ranges = [
          { start, end },
          previousPeriod(start, end),
          yearBefore(start, end, zone),
          { start: middle, end },
        ]
        const planned = await reader.totals(scope, ranges)
        const raw = await reader.totals(scope, ranges, 'raw')
        expect(planned).toEqual(raw)
      }),
      { numRuns: 40 },
    )
  })

  it('gives the raw log series for any interval, in the zone calendar, daylight-saving days included', async () => {
    const intervalRange = {
      hour: 6 * 86_400_000,
      day: 60 * 86_400_000,
      week: 120 * 86_400_000,
      month: 200 * 86_400_000,
    }
    await fc.assert(
      fc.asyncProperty(
        scopeArb,
        zoneArb,
        fc.constantFrom(...INTERVALS),
        boundArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (scopeInput, zone, interval, a, fraction) => {
          const start = atBound(a, zone)
          const end = start + Math.max(60_000, Math.floor(fraction * intervalRange[interval]))
          const scope = toScope(scopeInput)
          const buckets = calendarBuckets(start, end, interval, zone)
          // As the stats page asks: the whole range beside its buckets, in one query.
          const [whole, ...planned] = await reader.totals(scope, [{ start, end }, ...buckets])
          const raw = await reader.rawSeries(scope, { start, end }, interval, zone)
          expect(whole).toEqual((await reader.totals(scope, [{ start, end }], 'raw'))[0])
          buckets.forEach((bucket, i) => {
            const key = DateTime.fromISO(bucket.label).toMillis()
            expect({ t: bucket.label, ...planned[i] }).toEqual({
              t: bucket.label,
              ...(raw.get(key) ?? {
                plays: 0,
                listeners: 0,
                likes: 0,
                reposts: 0,
                comments: 0,
                downloads: 0,
              }),
            })
          })
          // Asked again alone: the days' listeners kept from the first answer (listener-finals.ts).
          expect(await reader.totals(scope, buckets)).toEqual(planned)
          // Nothing the raw scan counted fell outside the planner's buckets.
          const plannedPlays = planned.reduce((sum, totals) => sum + totals.plays, 0)
          expect(plannedPlays).toBe([...raw.values()].reduce((sum, totals) => sum + totals.plays, 0))
        },
      ),
      { numRuns: 40 },
    )
  })

  it('gives the raw log top lists for every dimension and for tracks', async () => {
    await fc.assert(
      fc.asyncProperty(
        scopeArb,
        zoneArb,
        boundArb,
        boundArb,
        fc.constantFrom(...TOP_DIMENSIONS),
        fc.integer({ min: 1, max: 30 }),
        async (scopeInput, zone, a, b, dimension, limit) => {
          const [start, end] = [atBound(a, zone), atBound(b, zone)].sort((x, y) => x - y) as [number, number]
          fc.pre(start < end)
          const scope = toScope(scopeInput)
          const range = { start, end }
          expect(await reader.top(scope, dimension, range, limit)).toEqual(
            await reader.top(scope, dimension, range, limit, 'raw'),
          )
          expect(await reader.topTracks(scope.ownerId, range, limit)).toEqual(
            await reader.topTracks(scope.ownerId, range, limit, 'raw'),
          )
        },
      ),
      { numRuns: 30 },
    )
  })

  it('gives the raw log top listeners, through the candidates and their bound or the fallback', async () => {
    // The tier's rows come from several inserts (unmerged parts): the bound must count a row per part.
    const parts = await client.query({
      query: `SELECT count() AS n FROM system.parts
              WHERE database = currentDatabase() AND table = '${TABLES.listenerDays}' AND active`,
      format: 'JSONEachRow',
    })
    expect(Number((await parts.json<{ n: number }>())[0]?.n)).toBeGreaterThan(1)
    // Every round of candidates is one query; a round after the first has lowered the threshold.
    let rounds = 0
    const spy = (tierClient: ClickHouseClient) =>
      watched(tierClient, (sql) => {
        if (/WITH \d+ AS cut/.test(sql)) rounds++
      })
    const hinted = new StatsReader(client, { listenerTier: { minRows: 0, candidateRows: 20 } })
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ARTISTS),
        zoneArb,
        boundArb,
        boundArb,
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 1, max: 400 }),
        async (ownerId, zone, a, b, limit, candidateRows) => {
          const [start, end] = [atBound(a, zone), atBound(b, zone)].sort((x, y) => x - y) as [number, number]
          fc.pre(start < end)
          const tiered = new StatsReader(spy(client), { listenerTier: { minRows: 0, candidateRows } })
          const range = { start, end }
          const answer = await tiered.topListeners({ ownerId }, range, limit)
          const raw = await reader.topListeners({ ownerId }, range, limit, 'raw')
          expect(answer).toEqual(raw)
          // A reader that keeps its thresholds from earlier answers (other ranges of the same length
          // and artist, other limits) as floors: asked twice, each time exact.
          expect(await hinted.topListeners({ ownerId }, range, limit)).toEqual(raw)
          expect(await hinted.topListeners({ ownerId }, range, limit)).toEqual(raw)
        },
      ),
      { numRuns: 40 },
    )
    // One candidate row over three months: the first bound cannot hold, the threshold is lowered.
    rounds = 0
    const strict = new StatsReader(spy(client), { listenerTier: { minRows: 0, candidateRows: 1 } })
    const whole = { start: FROM, end: TO }
    expect(await strict.topListeners({ ownerId: 1 }, whole, 10)).toEqual(
      await reader.topListeners({ ownerId: 1 }, whole, 10, 'raw'),
    )
    expect(rounds).toBeGreaterThan(1)
  })

  it("takes a recent answer's threshold as the first one, and asks the tier again after a minute", async () => {
    const queries: string[] = []
    const seen = watched(client, (sql) => queries.push(sql))
    const tiered = new StatsReader(seen, { listenerTier: { minRows: 0, candidateRows: 5 } })
    const range = { start: Date.parse('2026-03-01T00:00:00Z'), end: Date.parse('2026-04-01T00:00:00Z') }
    const raw = await reader.topListeners({ ownerId: 2 }, range, 10, 'raw')
    // The threshold is read from the tier (its candidateRows-th largest row) when no answer has
    // settled one within the last minute: on the first answer (with the probe), not on the next ones.
    const asksTier = () =>
      queries.filter((query) => /ORDER BY plays DESC LIMIT 1 OFFSET 4/.test(query)).length
    const answer = async () => {
      queries.length = 0
      expect(await tiered.topListeners({ ownerId: 2 }, range, 10)).toEqual(raw)
      return asksTier()
    }
    expect(await answer()).toBe(1)
    expect(await answer()).toBe(0)
    expect(await answer()).toBe(0)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 })
    try {
      expect(await answer()).toBe(1)
      expect(await answer()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('finds a top listener who played only in the edge the log adds to the tier days', async () => {
    // Five listeners with two plays each on 10 April (the tier), and one with ten plays in the last
    // hour of 9 April (an edge of the range, from the log; nothing of them in the tier's days).
    const owner = 4242
    const plays = (user: number, at: string, count: number) =>
      Array.from({ length: count }, (_, i) =>
        logRow(
          playEvent({
            id: `edge-${user}-${at}-${i}`,
            occurred_at: Date.parse(at) + i * 60_000,
            track_id: 424201,
            owner_id: owner,
            user_id: user,
          }),
        ),
      )
    await new EventLog(client).append([
      ...[1, 2, 3, 4, 5].flatMap((user) => plays(user, '2026-04-10T12:00:00Z', 2)),
      ...plays(99, '2026-04-09T23:10:00Z', 10),
    ])
    const range = { start: Date.parse('2026-04-09T23:00:00Z'), end: Date.parse('2026-04-12T00:00:00Z') }
    const raw = await reader.topListeners({ ownerId: owner }, range, 3, 'raw')
    expect(raw).toEqual([
      { user_id: 99, plays: 10 },
      { user_id: 1, plays: 2 },
      { user_id: 2, plays: 2 },
    ])
    // The largest tier row (2 plays) is the first threshold: the five are the candidates, and the
    // edge's ten plays are what keeps the bound from holding until everyone is counted.
    const tiered = new StatsReader(client, { listenerTier: { minRows: 0, candidateRows: 1 } })
    expect(await tiered.topListeners({ ownerId: owner }, range, 3)).toEqual(raw)
    expect(await tiered.topListeners({ ownerId: owner }, range, 3)).toEqual(raw)
  })

  it("writes a registered zone's ordinary day as one whole-day bucket holding all of it", async () => {
    expect((await listZonePhases(client)).filter((row) => row.zone === 'Asia/Kathmandu')).toEqual([
      { zone: 'Asia/Kathmandu', phase: 1095, ready: true },
    ])
    // A Kathmandu day (from 18:15 UTC): one 24-hour bucket starting then holds all of it.
    const start = Date.parse('2026-03-09T18:15:00Z')
    const day = { start, end: start + 86_400_000 }
    const [whole] = await reader.totals({ ownerId: 1 }, [day])
    const result = await client.query({
      query: `SELECT toUInt64(sum(plays)) AS plays FROM ${TABLES.rollup}
              WHERE owner_id = 1 AND track_id = 0 AND span_minutes = 1440 AND phase = 1095
                AND bucket = '2026-03-09 18:15:00'`,
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ plays: number }>()
    expect(whole?.plays).toBeGreaterThan(0)
    expect(Number(row?.plays)).toBe(whole?.plays)
  })

  it('answers an artist with no events with zeros', async () => {
    const range = { start: FROM, end: TO }
    expect(await reader.totals({ ownerId: 999 }, [range])).toEqual([
      { plays: 0, listeners: 0, likes: 0, reposts: 0, comments: 0, downloads: 0 },
    ])
    expect(await reader.top({ ownerId: 999 }, 'country', range, 5)).toEqual([])
  })

  it('answers empty ranges, or none, with zeros and no query', async () => {
    const queries: string[] = []
    const seen = new StatsReader(watched(client, (sql) => queries.push(sql)))
    const zeros = { plays: 0, listeners: 0, likes: 0, reposts: 0, comments: 0, downloads: 0 }
    expect(await seen.totals({ ownerId: 1 }, [{ start: FROM, end: FROM }])).toEqual([zeros])
    expect(await seen.totals({ ownerId: 1 }, [])).toEqual([])
    // Nothing read but the registered zones' phases (every reader reads them once).
    expect(queries.filter((sql) => !sql.includes(TABLES.rollupPhases))).toEqual([])
  })

  it('knows the owner of each track in the log', async () => {
    expect(await reader.trackOwner(2001)).toBe(2)
    expect(await reader.trackOwner(987654)).toBeNull()
  })
})

describe('the tiers', () => {
  it('count a retried insert once, as the log does', async () => {
    const owner = 77
    const events = [0, 1, 2].map((i) =>
      logRow(
        playEvent({
          id: `retry-${i}`,
          occurred_at: `2026-03-01T10:0${i}:00Z`,
          track_id: 77001,
          owner_id: owner,
          user_id: 10 + i,
        }),
      ),
    )
    // The same insert twice with one token (a retry after a timeout), then the same events through
    // the event log, which finds them logged already.
    for (let i = 0; i < 2; i++) {
      await client.insert({
        table: TABLES.statsEvents,
        values: events,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: 'retry-token' },
      })
    }
    expect(await new EventLog(client).append(events)).toEqual({ inserted: 0, duplicates: 3 })
    const day = { start: Date.parse('2026-03-01T00:00:00Z'), end: Date.parse('2026-03-02T00:00:00Z') }
    const [totals] = await reader.totals({ ownerId: owner }, [day])
    expect(totals).toMatchObject({ plays: 3, listeners: 3 })
    expect(await reader.top({ ownerId: owner }, 'city', day, 5)).toEqual([{ value: 'DE|Berlin', plays: 3 }])
  })
})

describe('the listeners kept for a settled range read from buckets alone', () => {
  /** A reader of its own (nothing kept yet) and every query it sends. */
  const recordingReader = () => {
    const queries: string[] = []
    const keeping = new StatsReader(watched(client, (sql) => queries.push(sql)))
    return { queries, keeping }
  }

  it("are kept for an hourly series' hours and for a 23-hour daylight-saving day", async () => {
    const owner = 79
    // 2026-03-29 in Europe/Berlin, clocks forward: 23 hours from 2026-03-28T23:00Z.
    const start = Date.parse('2026-03-28T23:00:00Z')
    const hours = Array.from({ length: 23 }, (_, i) => ({
      start: start + i * 3_600_000,
      end: start + (i + 1) * 3_600_000,
    }))
    const ranges = [{ start, end: hours.at(-1)!.end }, ...hours]
    await new EventLog(client).append(
      hours.flatMap((hour, i) =>
        [1, 2, 3].slice(0, 1 + (i % 3)).map((user) =>
          logRow(
            playEvent({
              id: `dst${i}-${user}`,
              occurred_at: hour.start + 60_000 * user,
              track_id: 79001,
              owner_id: owner,
              user_id: user,
            }),
          ),
        ),
      ),
    )
    const { queries, keeping } = recordingReader()
    const first = await keeping.totals({ ownerId: owner }, ranges)
    expect(first).toEqual(await reader.totals({ ownerId: owner }, ranges, 'raw'))
    expect(first[0]!.listeners).toBe(3)
    // Asked again: the day and every hour kept, no listener state read.
    queries.length = 0
    expect(await keeping.totals({ ownerId: owner }, ranges)).toEqual(first)
    expect(queries).toHaveLength(1)
    expect(queries[0]).not.toContain('uniqHLL12Merge')
  })

  it('stand while the day holds the same events, and are finalized again once it gains one', async () => {
    const owner = 78
    const dayStart = (day: number) => Date.parse('2026-03-01T00:00:00Z') + (day - 1) * 86_400_000
    const numbers = Array.from({ length: 10 }, (_, i) => i + 1)
    const days = numbers.map((day) => ({ start: dayStart(day), end: dayStart(day) + 86_400_000 }))
    const play = (id: string, day: number, user: number) =>
      logRow(
        playEvent({
          id,
          occurred_at: dayStart(day) + 3_600_000 * user,
          track_id: 78001,
          owner_id: owner,
          user_id: user,
        }),
      )
    await new EventLog(client).append(
      numbers.flatMap((day) => [play(`k${day}a`, day, 1), play(`k${day}b`, day, 2)]),
    )
    const { queries, keeping } = recordingReader()
    const raw = () => reader.totals({ ownerId: owner }, days, 'raw')
    const first = await keeping.totals({ ownerId: owner }, days)
    expect(first).toEqual(await raw())
    expect(first.map((totals) => totals.listeners)).toEqual(numbers.map(() => 2))
    // Asked again: one query, which reads no listener state at all.
    queries.length = 0
    expect(await keeping.totals({ ownerId: owner }, days)).toEqual(first)
    expect(queries).toHaveLength(1)
    expect(queries[0]).not.toContain('uniqHLL12Merge')
    // A late play by a third listener on the second day: that day is asked again, states merged.
    await new EventLog(client).append([play('k2c', 2, 3)])
    queries.length = 0
    const after = await keeping.totals({ ownerId: owner }, days)
    expect(after).toEqual(await raw())
    expect(after.map((totals) => totals.listeners)).toEqual(numbers.map((day) => (day === 2 ? 3 : 2)))
    expect(queries).toHaveLength(2)
    // Kept again from that second look: one query once more.
    queries.length = 0
    expect(await keeping.totals({ ownerId: owner }, days)).toEqual(after)
    expect(queries).toHaveLength(1)
    // Beside a range that is not one day: exact, in one query that merges the states of that range
    // alone (one aggregate, for range 11), reading the rows as they are (no row copied per range).
    const mixed = [...days, { start: dayStart(1), end: dayStart(11) }]
    queries.length = 0
    const withWhole = await keeping.totals({ ownerId: owner }, mixed)
    expect(withWhole).toEqual(await reader.totals({ ownerId: owner }, mixed, 'raw'))
    expect(withWhole[10]!.listeners).toBe(3)
    expect(queries).toHaveLength(1)
    expect(queries[0]?.match(/uniqHLL12Merge/g)).toHaveLength(1)
    expect(queries[0]).toContain('AS listeners_11')
    expect(queries[0]).not.toContain('arrayJoin')
    // Beside a day that has not settled (today's): exact, in one query that reads the buckets as rows
    // (their counts summed into the ranges by the reader) and finalizes that day's one state alone.
    const todayStart = Math.floor(Date.now() / 86_400_000) * 86_400_000
    await new EventLog(client).append([
      logRow(
        playEvent({ id: 'k-today', occurred_at: todayStart, track_id: 78001, owner_id: owner, user_id: 4 }),
      ),
    ])
    const withToday = [...days, { start: todayStart, end: todayStart + 86_400_000 }]
    queries.length = 0
    const fresh = await keeping.totals({ ownerId: owner }, withToday)
    expect(fresh).toEqual(await reader.totals({ ownerId: owner }, withToday, 'raw'))
    expect(fresh[10]).toMatchObject({ plays: 1, listeners: 1 })
    expect(queries).toHaveLength(1)
    expect(queries[0]?.match(/uniqHLL12Merge/g)).toHaveLength(1)
    expect(queries[0]).toContain('AS listeners_11')
    expect(queries[0]).not.toContain('arrayJoin')
  })
})

describe('backfill and verify', () => {
  const march = { start: Date.parse('2026-03-01T00:00:00Z'), end: Date.parse('2026-04-01T00:00:00Z') }
  const verifyAll = async () => Promise.all(TIERS.map((tier) => verifyTier(client, tier, FROM, TO)))

  it('verify finds a damaged bucket, and a backfill repairs it', async () => {
    expect((await verifyAll()).map((result) => result.differences)).toEqual([0, 0, 0])
    // Damage every tier as a lost or doubled insert would.
    await client.command({
      query: `INSERT INTO ${TABLES.rollup} (owner_id, track_id, span_minutes, bucket, plays)
              VALUES (1, 0, 60, '2026-03-10 10:00:00', 5)`,
    })
    await client.command({
      query: `INSERT INTO ${TABLES.rollupTop} (owner_id, track_id, dimension, span, bucket, value, plays)
              VALUES (1, 0, 'country', 'day', '2026-03-10 00:00:00', 'DE', 2)`,
    })
    await client.command({
      query: `INSERT INTO ${TABLES.listenerDays} (owner_id, bucket, user_id, plays)
              VALUES (1, '2026-03-10 00:00:00', 1000001, 3)`,
    })
    const damaged = await verifyAll()
    expect(damaged.map((result) => result.differences)).toEqual([1, 1, 1])
    expect(damaged[0]?.examples[0]).toMatchObject({
      owner_id: '1',
      span_minutes: '60',
      bucket: '2026-03-10 10:00:00',
    })

    const result = await backfill(client, { from: march.start, to: march.end - 1 })
    expect(result.years).toEqual(['2026'])
    expect((await verifyAll()).map((r) => r.differences)).toEqual([0, 0, 0])
  })

  it('gives the same tiers when run twice, and never counts twice against live inserts', async () => {
    const before = await reader.totals({ ownerId: 2 }, [march])
    // A second connection on the same data directory keeps inserting into March (as a writer against a
    // ClickHouse server would) while the backfill runs. The backfill either ends exact or stops with
    // its message; either way nothing is counted twice, and once the inserts stop a re-run is exact.
    const writer = await createClickHouse(env.config.clickhouse)
    let stop = false
    const trickle = (async () => {
      for (let i = 0; !stop && i < 40; i++) {
        await writeLogWorkload(writer, {
          rows: 50,
          from: new Date(march.start),
          to: new Date(march.end),
          artists: ARTISTS.length,
          tracksPerArtist: 4,
          listeners: 3_000,
          idPrefix: `live${i}-`,
        })
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
    const during = await backfill(client, { from: march.start, to: march.end }).then(
      () => 'exact',
      (err: Error) => err.message,
    )
    stop = true
    await trickle
    await writer.close()
    expect(during).toMatch(/^exact$|kept changing while it was recomputed.*pause the stats writers/)
    const counts = TIERS.filter((tier) => tier.name === 'counts')
    const check = async () =>
      (await verifyTier(client, counts[0] as (typeof TIERS)[number], march.start, march.end)).differences
    if (during === 'exact') expect(await check()).toBe(0)

    await backfill(client, { from: march.start, to: march.end })
    const once = await reader.totals({ ownerId: 2 }, [march])
    await backfill(client, { from: march.start, to: march.end })
    expect(await reader.totals({ ownerId: 2 }, [march])).toEqual(once)
    expect((await verifyAll()).map((r) => r.differences)).toEqual([0, 0, 0])
    expect(once).toEqual(await reader.totals({ ownerId: 2 }, [march], 'raw'))
    expect(once[0]?.plays).toBeGreaterThan(before[0]?.plays ?? 0)
    // Top tracks read the tier's projection directly: the replaced partition carries it too.
    const tracks = await reader.topTracks(2, march, 10)
    expect(tracks.length).toBeGreaterThan(0)
    expect(tracks).toEqual(await reader.topTracks(2, march, 10, 'raw'))
  })
})

describe('whole days of registered zones', () => {
  it('are backfilled whole across a year boundary, and verify agrees', async () => {
    const owner = 88
    // Plays on either side of 2026 in UTC: the Berlin day that begins 2025-12-31 23:00 UTC (in the
    // 2025 partition) holds the ones of 2026-01-01 too.
    const times = [
      '2025-12-31T22:30:00Z',
      '2025-12-31T23:30:00Z',
      '2026-01-01T10:00:00Z',
      '2026-01-01T22:45:00Z',
    ]
    await new EventLog(client).append(
      times.map((occurred_at, i) =>
        logRow(
          playEvent({
            id: `year-edge-${i}`,
            occurred_at,
            track_id: 88001,
            owner_id: owner,
            user_id: 100 + i,
          }),
        ),
      ),
    )
    const berlinDay = { start: Date.parse('2025-12-31T23:00:00Z'), end: Date.parse('2026-01-01T23:00:00Z') }
    const wholeDay = async () => {
      const result = await client.query({
        query: `SELECT toUInt64(sum(plays)) AS plays, toUInt64(uniqHLL12Merge(listeners)) AS listeners
                FROM ${TABLES.rollup}
                WHERE owner_id = ${owner} AND track_id = 0 AND span_minutes = 1440 AND phase = 1380
                  AND bucket = '2025-12-31 23:00:00'`,
        format: 'JSONEachRow',
      })
      return (await result.json<{ plays: number; listeners: number }>()).map((row) => ({
        plays: Number(row.plays),
        listeners: Number(row.listeners),
      }))
    }
    expect(await wholeDay()).toEqual([{ plays: 3, listeners: 3 }])
    // Recomputing both years from the log gives the same whole day, and the planner the raw answer.
    await backfill(client, {
      from: Date.parse('2025-12-01T00:00:00Z'),
      to: Date.parse('2026-02-01T00:00:00Z'),
    })
    expect(await wholeDay()).toEqual([{ plays: 3, listeners: 3 }])
    expect(await reader.totals({ ownerId: owner }, [berlinDay])).toEqual(
      await reader.totals({ ownerId: owner }, [berlinDay], 'raw'),
    )
    const edge = { from: Date.parse('2025-12-30T00:00:00Z'), to: Date.parse('2026-01-03T00:00:00Z') }
    for (const tier of TIERS) expect((await verifyTier(client, tier, edge.from, edge.to)).differences).toBe(0)
  })
})

function logRow(event: unknown): StatsLogRow {
  const validated = validateStatsEvent(event)
  if (!validated.ok) throw new Error(validated.reason)
  return validated.row
}
