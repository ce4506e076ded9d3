// A running search indexer for one test file: its own prefixed queues and indexes, a connection, a
// publisher of model events, and a client for assertions. stop() removes everything it created.
import type { Client } from '@elastic/elasticsearch'
import { ModelIndexer } from '../../indexers/model-indexer.js'
import type { ReplicaSource } from '../../indexers/replica-source.js'
import { AmqpConnection } from '../../src/amqp/connection.js'
import { ConfirmPublisher } from '../../src/amqp/publisher.js'
import { createElasticsearchClient } from '../../src/elasticsearch/client.js'
import { silentLogger } from '../../src/logger.js'
import { ModelEventPublisher } from '../../src/publishing/model-events.publisher.js'
import { declareTestTopology, removeTestTopology, type TestEnv, testEnv } from './harness.js'

export interface IndexerFixture {
  env: TestEnv
  connection: AmqpConnection
  models: ModelEventPublisher
  indexer: ModelIndexer
  /** A direct client, for assertions. */
  es: Client
  stop(): Promise<void>
}

export async function startIndexerFixture(
  label: string,
  options: { indexerClient?: Client; replica?: ReplicaSource } = {},
): Promise<IndexerFixture> {
  const env = testEnv(label)
  const es = createElasticsearchClient({ url: env.config.elasticsearch.url })
  await declareTestTopology(env.config.amqp.url, env.topology)
  const connection = new AmqpConnection({ url: env.config.amqp.url, logger: silentLogger })
  await connection.start()
  const models = new ModelEventPublisher(
    await ConfirmPublisher.create(connection),
    env.topology.exchanges.models,
  )
  const base = env.prefix.replace(/\.$/, '')
  const indexer = new ModelIndexer({
    connection,
    queue: env.topology.queues.searchIndexer,
    es: options.indexerClient ?? es,
    aliases: { tracks: `${base}-tracks`, users: `${base}-users` },
    logger: silentLogger,
    replica: options.replica,
    maxWaitMs: 20,
  })
  await indexer.start()
  return {
    env,
    connection,
    models,
    indexer,
    es,
    async stop() {
      await indexer.stop()
      await es.indices.delete({ index: `${base}-*`, ignore_unavailable: true })
      await removeTestTopology(env.config.amqp.url, env.topology)
      await connection.close()
      await es.close()
      env.cleanup()
    },
  }
}
