// Demo traffic for `serve --demo` (what `npm start` runs): a steady trickle of synthetic stats events
// through the broker, so a newcomer sees the pipeline work. Every ten seconds it logs what the stats
// log holds. Stops with the service.

import { TABLES } from '../rollups/tables.js'
import type { AmqpConnection } from '../src/amqp/connection.js'
import { ConfirmPublisher } from '../src/amqp/publisher.js'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import type { Topology } from '../src/contracts/topology.js'
import type { Logger } from '../src/logger.js'
import { StatsEventPublisher } from '../src/publishing/stats-events.publisher.js'
import { statsWorkload } from '../src/workload/stats-workload.js'

export async function startDemoTraffic(options: {
  amqp: AmqpConnection
  topology: Topology
  clickhouse: ClickHouseClient
  logger: Logger
  eventsPerSecond?: number
}): Promise<() => Promise<void>> {
  const { logger } = options
  const publisher = new StatsEventPublisher(
    await ConfirmPublisher.create(options.amqp),
    options.topology.exchanges.stats,
  )
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
