// The synthetic workload written straight into the raw log, generated inside ClickHouse (INSERT ...
// SELECT FROM numbers()), for benchmark data sets far larger than the broker path could carry in
// minutes. Same shape as src/workload/stats-workload.ts: Zipf-like popularity (log-uniform ranks),
// daily and weekly cycles, countries with cities, sources, referrers, anonymous and repeat listeners.
// Ids are `${prefix}${n}`, unique by construction, so no duplicate check is needed on this path.
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { clickhouseTime } from '../src/clickhouse/datetime.js'
import { COUNTRIES } from '../src/workload/stats-workload.js'
import { TABLES } from './tables.js'

export interface LogWorkloadOptions {
  rows: number
  from: Date
  to: Date
  /** Artists ranked 1..artists; rank r gets about 1/r of the listens. */
  artists: number
  /** Artist ids start here. */
  firstArtistId?: number
  /** When set, every row belongs to this one artist (a head artist's share, generated on its own). */
  onlyArtistId?: number
  tracksPerArtist?: number
  listeners?: number
  idPrefix: string
  /** Rows per INSERT: progress is reported after each. */
  chunkRows?: number
}

const HOURS = [
  2, 1.5, 1, 0.8, 0.7, 0.8, 1.2, 2, 2.8, 3.2, 3.5, 3.8, 4, 4, 4.1, 4.3, 4.6, 5, 5.6, 6, 6.2, 5.8, 4.5, 3,
]

function cumulative(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0)
  let sum = 0
  return weights.map((w) => {
    sum += w
    return sum / total
  })
}

/** Writes `rows` events in chunks; returns the number written. */
export async function writeLogWorkload(
  client: ClickHouseClient,
  options: LogWorkloadOptions,
  onProgress?: (written: number) => void,
): Promise<number> {
  const chunk = options.chunkRows ?? 5_000_000
  let written = 0
  while (written < options.rows) {
    const rows = Math.min(chunk, options.rows - written)
    await client.command({
      query: INSERT_SQL,
      query_params: {
        offset: written,
        rows,
        prefix: options.idPrefix,
        from: clickhouseTime(options.from.getTime()),
        seconds: Math.max(1, Math.floor((options.to.getTime() - options.from.getTime()) / 1000)),
        artists: options.artists,
        firstArtist: options.firstArtistId ?? 1,
        onlyArtist: options.onlyArtistId ?? 0,
        tracks: options.tracksPerArtist ?? 20,
        listeners: options.listeners ?? 1_000_000,
        hourCdf: cumulative(HOURS),
        countries: COUNTRIES.map(([code]) => code),
        countryCdf: cumulative(COUNTRIES.map((country) => country[1])),
        cities: COUNTRIES.map(([, , cities]) => cities),
      },
      clickhouse_settings: { max_insert_threads: '2', max_threads: 2 },
    })
    written += rows
    onProgress?.(written)
  }
  return written
}

// Each row draws independent uniforms from hashes of its number (deterministic, no state). Times:
// a uniform day, a weighted hour (daily cycle), a uniform second; days are uniform, so the weekly cycle
// comes from dropping a share of Monday and Tuesday rows onto the weekend (+5 days, kept in range).
const INSERT_SQL = `
INSERT INTO ${TABLES.statsEvents}
  (event_id, type, occurred_at, owner_id, track_id, user_id, anonymous_id, country, city, source, referrer, listened_ms)
WITH
  {offset:UInt64} + number AS n,
  (sipHash64(n, 1) % 1000000007) / 1000000007.0 AS u_artist,
  (sipHash64(n, 2) % 1000000007) / 1000000007.0 AS u_track,
  (sipHash64(n, 3) % 1000000007) / 1000000007.0 AS u_listener,
  (sipHash64(n, 4) % 1000000007) / 1000000007.0 AS u_time,
  (sipHash64(n, 5) % 1000000007) / 1000000007.0 AS u_hour,
  (sipHash64(n, 6) % 1000000007) / 1000000007.0 AS u_kind,
  (sipHash64(n, 7) % 1000000007) / 1000000007.0 AS u_place,
  (sipHash64(n, 8) % 1000000007) / 1000000007.0 AS u_source,
  (sipHash64(n, 9) % 1000000007) / 1000000007.0 AS u_ref,
  (sipHash64(n, 10) % 1000000007) / 1000000007.0 AS u_anon,
  toUInt64(floor(pow({artists:UInt64}, u_artist))) AS artist_rank,
  if({onlyArtist:UInt64} != 0, {onlyArtist:UInt64}, {firstArtist:UInt64} + artist_rank - 1) AS owner,
  toUInt64(floor(pow({tracks:UInt64}, u_track))) - 1 AS track_rank,
  toUInt64(floor(pow({listeners:UInt64}, u_listener))) AS listener_rank,
  toUInt32(floor(u_time * intDiv({seconds:UInt64}, 86400))) AS day0,
  toDateTime64({from:DateTime64(3, 'UTC')}, 3, 'UTC') AS start,
  toDayOfWeek(start + toIntervalDay(day0)) AS dow,
  if(dow IN (1, 2) AND u_kind > 0.85 AND (day0 + 5) * 86400 < {seconds:UInt64}, day0 + 5, day0) AS day,
  arrayFirstIndex(c -> c >= u_hour, {hourCdf:Array(Float64)}) - 1 AS hour,
  start + toIntervalSecond(day * 86400 + hour * 3600 + (sipHash64(n, 11) % 3600)) AS at_raw,
  least(at_raw, start + toIntervalSecond({seconds:UInt64} - 1)) AS at,
  multiIf(u_kind < 0.85, 'play', u_kind < 0.91, 'like', u_kind < 0.93, 'repost', u_kind < 0.96, 'comment', 'download') AS kind,
  kind IN ('play', 'download') AND u_anon < 0.3 AS anonymous,
  arrayFirstIndex(c -> c >= u_place, {countryCdf:Array(Float64)}) AS country_index,
  u_place < 0.92 AS known_place
SELECT
  concat({prefix:String}, toString(n)),
  kind,
  at,
  owner,
  owner * 1000 + track_rank,
  if(anonymous, 0, 1000000 + listener_rank),
  if(anonymous, concat('anon-', toString(listener_rank)), ''),
  if(known_place, {countries:Array(String)}[country_index], ''),
  if(known_place, arrayElement({cities:Array(Array(String))}[country_index],
                               1 + sipHash64(n, 12) % length({cities:Array(Array(String))}[country_index])), ''),
  multiIf(u_source < 0.40, 'web', u_source < 0.65, 'ios', u_source < 0.87, 'android', u_source < 0.95, 'embed',
          u_source < 0.98, 'api', 'other'),
  multiIf(u_ref < 0.55, '', u_ref < 0.67, 'google.com', u_ref < 0.75, 'twitter.com', u_ref < 0.82, 'facebook.com',
          u_ref < 0.88, 'instagram.com', u_ref < 0.92, 'reddit.com', u_ref < 0.95, 'blog.example.org', u_ref < 0.98, 't.co',
          'news.ycombinator.com'),
  if(kind = 'play', toUInt32(sipHash64(n, 13) % 240000), NULL)
FROM numbers({rows:UInt64})
`
