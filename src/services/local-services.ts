// `services up|down|status`: the local RabbitMQ and Elasticsearch for development and tests, and a
// the local stand-in for the Mothership's read replica (PostgreSQL), and a report on ClickHouse
// (embedded in-process by default, so there is nothing to start).
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import { clickhouseStatus } from './clickhouse.js'
import { elasticsearchStatus, ensureElasticsearch, stopElasticsearch } from './elasticsearch.js'
import { ensurePostgres, postgresStatus, stopPostgres } from './postgres.js'
import { ensureRabbitMQ, rabbitmqStatus, stopRabbitMQ } from './rabbitmq.js'
import type { ServiceStatus } from './status.js'

export async function servicesUp(config: Config, logger: Logger): Promise<ServiceStatus[]> {
  // One after the other: both are memory- and CPU-hungry while booting on a 2-core machine.
  const rabbitmq = await ensureRabbitMQ(config.amqp.url, config.services.dir, logger)
  const elasticsearch = await ensureElasticsearch(
    config.elasticsearch.url,
    config.services.dir,
    config.services.elasticsearchHeap,
    logger,
  )
  const replica = await ensurePostgres(config.replica.url, config.services.dir, logger)
  return [rabbitmq, elasticsearch, replica]
}

export async function servicesDown(config: Config, logger: Logger): Promise<string[]> {
  const stopped: string[] = []
  if (await stopElasticsearch(config.services.dir, logger)) stopped.push('Elasticsearch')
  if (await stopRabbitMQ(config.services.dir, logger)) stopped.push('RabbitMQ')
  if (await stopPostgres(config.services.dir)) stopped.push('Replica (PostgreSQL)')
  return stopped
}

export async function servicesStatus(config: Config): Promise<ServiceStatus[]> {
  return Promise.all([
    rabbitmqStatus(config.amqp.url, config.services.dir),
    elasticsearchStatus(config.elasticsearch.url, config.services.dir),
    clickhouseStatus(config),
    postgresStatus(config.replica.url, config.services.dir),
  ])
}
