// A synthetic stats workload that looks like a music platform: Zipf-distributed popularity of artists,
// of tracks within an artist and of listeners (so listeners repeat), daily and weekly cycles, realistic
// countries with their cities, sources and referrers, anonymous and logged-in listeners. Deterministic
// for a seed, so a test can compute its ground truth from the same stream.
import type { Source, StatsEventInput, StatsEventType } from '../contracts/stats-events.js'

/** mulberry32: small, fast, good enough for workloads; deterministic for a seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Samples ranks 0..n-1 with probability proportional to 1/(rank+1)^s. */
export class Zipf {
  private readonly cdf: Float64Array

  constructor(n: number, s = 1.05) {
    this.cdf = new Float64Array(n)
    let total = 0
    for (let i = 0; i < n; i++) {
      total += 1 / (i + 1) ** s
      this.cdf[i] = total
    }
    for (let i = 0; i < n; i++) this.cdf[i]! /= total
  }

  sample(rand: () => number): number {
    const u = rand()
    let lo = 0
    let hi = this.cdf.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.cdf[mid]! < u) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

function weighted<T>(entries: [T, number][]): (rand: () => number) => T {
  const total = entries.reduce((sum, [, w]) => sum + w, 0)
  return (rand) => {
    let u = rand() * total
    for (const [value, weight] of entries) {
      u -= weight
      if (u <= 0) return value
    }
    return entries[entries.length - 1]![0]
  }
}

export const COUNTRIES: [string, number, string[]][] = [
  ['US', 30, ['New York', 'Los Angeles', 'Chicago', 'Atlanta', 'Houston']],
  ['GB', 10, ['London', 'Manchester', 'Bristol', 'Glasgow']],
  ['DE', 9, ['Berlin', 'Hamburg', 'München', 'Köln']],
  ['FR', 6, ['Paris', 'Lyon', 'Marseille']],
  ['BR', 6, ['São Paulo', 'Rio de Janeiro', 'Belo Horizonte']],
  ['NL', 4, ['Amsterdam', 'Rotterdam']],
  ['SE', 3, ['Stockholm', 'Göteborg']],
  ['CA', 4, ['Toronto', 'Montréal', 'Vancouver']],
  ['AU', 3, ['Sydney', 'Melbourne']],
  ['JP', 4, ['Tokyo', 'Osaka']],
  ['IN', 5, ['Mumbai', 'Delhi', 'Bengaluru']],
  ['NP', 1, ['Kathmandu']],
  ['NG', 2, ['Lagos', 'Abuja']],
  ['MX', 3, ['Ciudad de México', 'Guadalajara']],
]

const pickCountry = weighted(COUNTRIES.map(([code, weight, cities]) => [{ code, cities }, weight]))
const pickSource = weighted<Source>([
  ['web', 40],
  ['ios', 25],
  ['android', 22],
  ['embed', 8],
  ['api', 3],
  ['other', 2],
])
const pickReferrer = weighted<string | null>([
  [null, 55],
  ['https://www.google.com/search?q=music', 12],
  ['https://twitter.com/someone/status/1', 8],
  ['https://www.facebook.com/', 7],
  ['https://www.instagram.com/', 6],
  ['https://www.reddit.com/r/music', 4],
  ['blog.example.org', 3],
  ['https://t.co/abc', 3],
  ['https://news.ycombinator.com/', 2],
])
const pickType = weighted<StatsEventType>([
  ['play', 85],
  ['like', 6],
  ['repost', 2],
  ['comment', 3],
  ['download', 4],
])
/** Share of the day's plays by UTC hour: quiet at night, peaking in the evening. */
const HOUR_WEIGHTS = [
  2, 1.5, 1, 0.8, 0.7, 0.8, 1.2, 2, 2.8, 3.2, 3.5, 3.8, 4, 4, 4.1, 4.3, 4.6, 5, 5.6, 6, 6.2, 5.8, 4.5, 3,
]
const pickHour = weighted(HOUR_WEIGHTS.map((w, hour) => [hour, w]))

export interface WorkloadOptions {
  seed?: number
  artists?: number
  /** Tracks per artist (the head artists have the most listens, not the most tracks). */
  tracksPerArtist?: number
  listeners?: number
  /** Share of listens by people who are not logged in. */
  anonymousShare?: number
  from: Date
  to: Date
  /** Ids are `${idPrefix}${n}`; distinct prefixes keep generated streams apart. */
  idPrefix?: string
  /** Artist ids start here, so workloads of different tests do not overlap. */
  firstArtistId?: number
}

/**
 * A time within `days` days from `fromMs`, with the daily and weekly cycles. (A range shorter than a
 * day is sampled evenly instead: drawn this way, nearly every draw would fall outside it, and a minute
 * of live traffic took 1.7 ms an event to generate.)
 */
function timeInDays(rand: () => number, fromMs: number, days: number): number {
  // Weekends carry a little more listening than weekdays.
  let day = Math.floor(rand() * days)
  const weekday = new Date(fromMs + day * 86_400_000).getUTCDay()
  if ((weekday === 1 || weekday === 2) && rand() < 0.15) day = Math.min(days - 1, day + 4)
  return fromMs + day * 86_400_000 + pickHour(rand) * 3_600_000 + Math.floor(rand() * 3_600_000)
}

/** An endless, deterministic stream of valid stats events. */
export function* statsWorkload(options: WorkloadOptions): Generator<StatsEventInput> {
  const rand = random(options.seed ?? 1)
  const artists = options.artists ?? 1_000
  const tracksPerArtist = options.tracksPerArtist ?? 20
  const listeners = options.listeners ?? 100_000
  const anonymousShare = options.anonymousShare ?? 0.3
  const firstArtist = options.firstArtistId ?? 1
  const artistZipf = new Zipf(artists, 1.1)
  const trackZipf = new Zipf(tracksPerArtist, 1.2)
  const listenerZipf = new Zipf(listeners, 0.9)
  const fromMs = options.from.getTime()
  const spanMs = options.to.getTime() - fromMs
  if (!(spanMs > 0)) throw new Error(`workload: 'to' must come after 'from'`)
  const days = Math.max(1, Math.ceil(spanMs / 86_400_000))
  const prefix = options.idPrefix ?? `ev-${options.seed ?? 1}-`
  for (let n = 0; ; n++) {
    const artistRank = artistZipf.sample(rand)
    const ownerId = firstArtist + artistRank
    const trackId = ownerId * 1_000 + trackZipf.sample(rand)
    const at = spanMs < 86_400_000 ? fromMs + Math.floor(rand() * spanMs) : timeInDays(rand, fromMs, days)
    if (at >= options.to.getTime()) continue
    const type = pickType(rand)
    const listenerRank = listenerZipf.sample(rand)
    // Liking, reposting and commenting need an account.
    const anonymous = type === 'play' || type === 'download' ? rand() < anonymousShare : false
    const country = pickCountry(rand)
    const knownPlace = rand() < 0.92
    yield {
      id: `${prefix}${n}`,
      type,
      occurred_at: n % 2 === 0 ? new Date(at).toISOString() : at,
      track_id: trackId,
      owner_id: ownerId,
      user_id: anonymous ? null : 1_000_000 + listenerRank,
      anonymous_id: anonymous ? `anon-${listenerRank}` : null,
      country: knownPlace ? country.code : null,
      city: knownPlace ? (country.cities[Math.floor(rand() * country.cities.length)] ?? null) : null,
      source: pickSource(rand),
      referrer: pickReferrer(rand),
      listened_ms: type === 'play' ? Math.floor(rand() * 240_000) : null,
    }
  }
}

/** The first `count` values, lazily. */
export function* limit<T>(iterable: Iterable<T>, count: number): Generator<T> {
  if (count <= 0) return
  let n = 0
  for (const value of iterable) {
    yield value
    if (++n >= count) return
  }
}

export const take = <T>(iterable: Iterable<T>, count: number): T[] => [...limit(iterable, count)]
