// Readiness probes for the three backing services, shared by /readyz and the command line.
import type { AmqpConnection } from './amqp/connection.js'
import type { ClickHouseClient } from './clickhouse/client.js'
import type { ElasticsearchClient } from './elasticsearch/client.js'

export const brokerReady = (connection: AmqpConnection) => async () => {
  if (!connection.connected) throw new Error('no connection to the broker')
}

export const elasticsearchReady = (client: ElasticsearchClient) => async () => {
  const health = await client.cluster.health({ timeout: '2s' }, { requestTimeout: 2_000, maxRetries: 0 })
  if (health.status === 'red') throw new Error('cluster health is red')
}

export const clickhouseReady = (client: ClickHouseClient) => async () => {
  const result = await client.ping()
  if (!result.success) throw result.error
}
