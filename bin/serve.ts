// search-stats serve: the composition root. Builds each role from its parts and stops them in reverse.
// Roles: the HTTP API, the search indexers, the stats writer; `all` runs them in one process (the only
// way to share the embedded ClickHouse, whose data directory one process holds).

import { randomBytes } from 'node:crypto'
import { createApp } from '../api/app.js'
import { listen } from '../api/server.js'
import { ModelIndexer } from '../indexers/model-indexer.js'
import { PopularityJob } from '../indexers/popularity-job.js'
import { ReplicaSource } from '../indexers/replica-source.js'
import { EventLog } from '../rollups/event-log.js'
import { migrate } from '../rollups/migrate.js'
import { READER_CONNECTIONS, StatsReader } from '../rollups/stats-reader.js'
import { StatsWriter } from '../rollups/stats-writer.js'
import { AmqpConnection } from '../src/amqp/connection.js'
import { ConfirmPublisher } from '../src/amqp/publisher.js'
import { mintToken, TokenVerifier } from '../src/auth/tokens.js'
import { type ClickHouseClient, createClickHouse } from '../src/clickhouse/client.js'
import type { Config } from '../src/config.js'
import { topology as defaultTopology, type Topology } from '../src/contracts/topology.js'
import { createElasticsearchClient } from '../src/elasticsearch/client.js'
import { Lifecycle } from '../src/lifecycle.js'
import type { Logger } from '../src/logger.js'
import { createMetrics } from '../src/metrics.js'
import { brokerReady, clickhouseReady, elasticsearchReady } from '../src/readiness.js'
import { startDemoTraffic } from './demo.js'

export const ROLES = ['api', 'indexers', 'stats-writer', 'all'] as const
export type Role = (typeof ROLES)[number]

export interface ServeOptions {
  config: Config
  logger: Logger
  role: Role
  /** Queue and exchange names; tests pass a prefixed set. */
  topology?: Topology
  /** Publish synthetic traffic (npm start), so a newcomer sees the pipeline work. */
  demo?: boolean
}

export interface RunningService {
  /** The API's port, when the API role runs. */
  port: number | undefined
  lifecycle: Lifecycle
  statsWriter: StatsWriter | undefined
}

export async function serve(options: ServeOptions): Promise<RunningService> {
  const { config, logger, role } = options

  const topology = options.topology ?? defaultTopology(config.amqp.prefix)
  const lifecycle = new Lifecycle(logger)
  const metrics = createMetrics()
  const runs = (r: Role) => role === 'all' || role === r

  const amqp = new AmqpConnection({ url: config.amqp.url, logger, name: `search-stats ${role}` })
  void amqp.start()
  lifecycle.add('amqp', () => amqp.close())
  const elasticsearch = createElasticsearchClient({ url: config.elasticsearch.url })
  lifecycle.add('elasticsearch', () => elasticsearch.close())

  // The schema comes first: every role that touches ClickHouse needs it, and migrating is idempotent.
  if (runs('api') || runs('stats-writer')) {
    const migrator = await createClickHouse({ ...config.clickhouse, application: 'search-stats-migrate' })
    try {
      const result = await migrate(migrator)
      if (result.applied.length) logger.info({ applied: result.applied }, 'migrations applied')
    } finally {
      await migrator.close()
    }
  }

  if (runs('indexers')) {
    const replica = config.replica.url ? new ReplicaSource(config.replica.url) : undefined
    if (replica) lifecycle.add('replica', () => replica.close())
    const indexer = new ModelIndexer({
      replica,
      connection: amqp,
      queue: topology.queues.searchIndexer,
      es: elasticsearch,
      aliases: {
        tracks: `${config.elasticsearch.indexPrefix}tracks`,
        users: `${config.elasticsearch.indexPrefix}users`,
      },
      logger: logger.child({ module: 'indexer' }),
    })
    await indexer.start()
    lifecycle.add('indexer', () => indexer.stop())
  }

  let statsWriter: StatsWriter | undefined
  if (runs('stats-writer')) {
    const clickhouse = await createClickHouse({ ...config.clickhouse, application: 'search-stats-writer' })
    lifecycle.add('clickhouse (stats writer)', () => clickhouse.close())
    // A second connection for duplicate checks: on chDB each connection runs one query at a time.
    const checker = await createClickHouse({ ...config.clickhouse, application: 'search-stats-writer-check' })
    lifecycle.add('clickhouse (stats writer checks)', () => checker.close())
    const publisher = await ConfirmPublisher.create(amqp)
    const writer = new StatsWriter({
      connection: amqp,
      publisher,
      queue: topology.queues.statsWriter,
      log: new EventLog(clickhouse, checker),
      logger: logger.child({ module: 'stats-writer' }),
      metrics,
    })
    await writer.start()
    lifecycle.add('stats writer', () => writer.stop())
    statsWriter = writer
    if (options.demo) {
      const stopDemo = await startDemoTraffic({
        port: config.http.port,
        amqp,
        topology,
        clickhouse: checker,
        logger: logger.child({ module: 'demo' }),
      })
      lifecycle.add('demo traffic', stopDemo)
    }
  }

  let port: number | undefined
  if (runs('api')) {
    // The API gets its own ClickHouse connections: on chDB, queries on one connection run one at a time,
    // and the stats page's queries, and concurrent pages, should run side by side (READER_CONNECTIONS).
    const readers: ClickHouseClient[] = []
    for (let i = 1; i <= READER_CONNECTIONS; i++) {
      const reader = await createClickHouse({ ...config.clickhouse, application: `search-stats-api-${i}` })
      lifecycle.add(`clickhouse (api ${i})`, () => reader.close())
      readers.push(reader)
    }
    const verifier = await tokenVerifier(config, options.demo === true, logger)
    const app = createApp({
      logger,
      metrics,
      search: {
        es: elasticsearch,
        aliases: {
          tracks: `${config.elasticsearch.indexPrefix}tracks`,
          users: `${config.elasticsearch.indexPrefix}users`,
        },
      },
      stats: { reader: new StatsReader(readers), verifier: verifier?.verifier },
      readiness: {
        broker: brokerReady(amqp),
        elasticsearch: elasticsearchReady(elasticsearch),
        clickhouse: clickhouseReady(readers[0]!),
      },
    })
    // Popularity from the rollups into the track documents (every 10 minutes; every 30 s in the demo),
    // on a connection of its own: on one of the readers, its scan would hold the page queries behind it.
    const popularityClient = await createClickHouse({
      ...config.clickhouse,
      application: 'search-stats-popularity',
    })
    lifecycle.add('clickhouse (popularity)', () => popularityClient.close())
    const popularity = new PopularityJob({
      es: elasticsearch,
      alias: `${config.elasticsearch.indexPrefix}tracks`,
      clickhouse: popularityClient,
      logger: logger.child({ module: 'popularity' }),
      intervalMs: options.demo ? 30_000 : 600_000,
    })
    popularity.start()
    lifecycle.add('popularity job', () => popularity.stop())
    const server = await listen(app, config.http)
    port = server.port
    lifecycle.add('http', () => server.close())
    logger.info({ port, host: config.http.host }, 'api listening')
    if (verifier?.demoToken) {
      logger.info(
        { url: `http://localhost:${port}/you/stats#token=${verifier.demoToken}` },
        `demo: the stats page of artist ${DEMO_ARTIST} (a token signed with a secret made up for this run)`,
      )
    }
  }
  return { port, lifecycle, statsWriter }
}

/** The demo's most played artist (its catalog's first). */
const DEMO_ARTIST = 1

/**
 * Tokens are verified with AUTH_SECRET or AUTH_PUBLIC_KEY. With neither, the stats routes answer 503,
 * except in the demo, which makes up a secret for the run and logs a token for the page.
 */
async function tokenVerifier(
  config: Config,
  demo: boolean,
  logger: Logger,
): Promise<{ verifier: TokenVerifier; demoToken?: string } | undefined> {
  if (config.auth.secret || config.auth.publicKey) return { verifier: new TokenVerifier(config.auth) }
  if (!demo) {
    logger.warn('neither AUTH_SECRET nor AUTH_PUBLIC_KEY is set: the stats routes answer 503')
    return undefined
  }
  const secret = randomBytes(32).toString('hex')
  return {
    verifier: new TokenVerifier({ secret }),
    demoToken: await mintToken(secret, { userId: DEMO_ARTIST, ttlSeconds: 7 * 86_400 }),
  }
}
