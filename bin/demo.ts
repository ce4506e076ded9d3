// Demo traffic for `serve --demo` (what `npm start` runs): a small catalog of artists and tracks
// through ModelBroadcast events (so search has something to find), then a steady trickle of synthetic
// stats events through the broker. Every ten seconds it logs what the stats log holds.

import { TABLES } from '../rollups/tables.js'
import type { AmqpConnection } from '../src/amqp/connection.js'
import { ConfirmPublisher } from '../src/amqp/publisher.js'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import type { Topology } from '../src/contracts/topology.js'
import type { Logger } from '../src/logger.js'
import { ModelEventPublisher } from '../src/publishing/model-events.publisher.js'
import { StatsEventPublisher } from '../src/publishing/stats-events.publisher.js'
import { statsWorkload } from '../src/workload/stats-workload.js'

const FIRST = [
  'Midnight',
  'Golden',
  'Neon',
  'Velvet',
  'Electric',
  'Silent',
  'Paper',
  'Crystal',
  'Broken',
  'Ocean',
]
const SECOND = ['City', 'Dreams', 'Drive', 'Hearts', 'Skyline', 'Waves', 'Echoes', 'Motel', 'Garden', 'Fire']
const ARTISTS = [
  'Beyoncé',
  'Motörhead',
  'Sigur Rós',
  'Zoë Keating',
  'Røyksopp',
  'Mø',
  'Daft Punk',
  'Björk',
  'Jóhann',
  'Céline',
]
const GENRES = ['Electronic', 'Hip Hop', 'Rock', 'Pop', 'Ambient', 'Jazz']
const TAGS = [
  'synth "deep house"',
  'chill "lo fi"',
  'guitar live',
  '"hip hop" beats',
  'ambient piano',
  'dance',
]

/** A small catalog through ModelBroadcast events: 50 artists with 8 tracks each, ids matching the
 * stats workload (artist n owns tracks n*1000+k), one private and one still processing per artist. */
async function publishCatalog(publisher: ModelEventPublisher): Promise<number> {
  const at = new Date().toISOString()
  let tracks = 0
  for (let artist = 1; artist <= 50; artist++) {
    const name = `${ARTISTS[artist % ARTISTS.length]}${artist > ARTISTS.length ? ` ${artist}` : ''}`
    await publisher.create('User', {
      id: artist,
      username: name,
      permalink: `artist-${artist}`,
      full_name: null,
      description: `Demo artist ${artist}`,
      city: 'Berlin',
      country_code: ['DE', 'US', 'GB', 'IS', 'FR'][artist % 5],
      avatar_url: null,
      followers_count: Math.round(100_000 / artist),
      followings_count: 10,
      track_count: 8,
      verified: artist <= 5,
      created_at: at,
      updated_at: at,
    })
    for (let k = 0; k < 8; k++) {
      const id = artist * 1_000 + k
      await publisher.create('Track', {
        id,
        user_id: artist,
        title: `${FIRST[(artist + k) % FIRST.length]} ${SECOND[(artist * 3 + k) % SECOND.length]}`,
        permalink: `track-${id}`,
        description: 'A demo track',
        genre: GENRES[(artist + k) % GENRES.length],
        tag_list: TAGS[(artist + k) % TAGS.length],
        duration: 120_000 + ((artist * 7_919 + k * 104_729) % 240_000),
        sharing: k === 7 ? 'private' : 'public',
        state: k === 6 ? 'processing' : 'finished',
        streamable: true,
        downloadable: k % 2 === 0,
        license: k % 3 === 0 ? 'cc-by' : 'all-rights-reserved',
        label_name: null,
        release_date: null,
        bpm: 80 + ((artist + k) % 60),
        created_at: at,
        updated_at: at,
      })
      tracks++
    }
  }
  return tracks
}

export async function startDemoTraffic(options: {
  amqp: AmqpConnection
  topology: Topology
  clickhouse: ClickHouseClient
  logger: Logger
  eventsPerSecond?: number
  port?: number
}): Promise<() => Promise<void>> {
  const { logger } = options
  const confirm = await ConfirmPublisher.create(options.amqp)
  const catalog = await publishCatalog(new ModelEventPublisher(confirm, options.topology.exchanges.models))
  const port = options.port ?? 8080
  logger.info(
    { artists: 50, tracks: catalog },
    `demo catalog published; try: curl 'localhost:${port}/v1/search/tracks?q=midnigth' ` +
      `and curl 'localhost:${port}/v1/search/users?q=bjork'`,
  )
  const publisher = new StatsEventPublisher(confirm, options.topology.exchanges.stats)
  const perSecond = options.eventsPerSecond ?? 20
  // Events of the last week, so every preset range has something to show.
  const now = Date.now()
  const events = statsWorkload({
    seed: now % 100_000,
    from: new Date(now - 7 * 86_400_000),
    to: new Date(now),
    artists: 50,
    listeners: 2_000,
    idPrefix: `demo-${now.toString(36)}-`,
  })
  let published = 0
  const tick = setInterval(() => {
    const batch = Array.from({ length: perSecond }, () => events.next().value!)
    publisher
      .publishBatch(batch)
      .then(() => {
        published += batch.length
      })
      .catch((err: Error) => logger.warn({ err: err.message }, 'demo: publish failed'))
  }, 1_000)
  const report = setInterval(() => {
    void options.clickhouse
      .query({
        query: `SELECT count() AS events, uniqExact(owner_id) AS artists FROM ${TABLES.statsEvents}`,
        format: 'JSONEachRow',
      })
      .then((result) => result.json<{ events: number; artists: number }>())
      .then(([row]) => logger.info({ published, logged: row?.events, artists: row?.artists }, 'demo traffic'))
      .catch((err: Error) => logger.warn({ err: err.message }, 'demo: count failed'))
  }, 10_000)
  logger.info(
    { eventsPerSecond: perSecond },
    'demo traffic started (synthetic stats events through the broker)',
  )
  return async () => {
    clearInterval(tick)
    clearInterval(report)
  }
}
