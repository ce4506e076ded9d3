// Elasticsearch client factory. The client's major version is pinned to the server's (8.x) in
// package.json; the server we start locally is the 8.19 test distribution from Maven Central.
import { Client } from '@elastic/elasticsearch'

export interface ElasticsearchOptions {
  url: string
  requestTimeoutMs?: number
  maxRetries?: number
}

export function createElasticsearchClient(options: ElasticsearchOptions): Client {
  return new Client({
    node: options.url,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 2,
    compression: false,
  })
}

/**
 * The server's version. The test distribution has no `rest-root` module, so `GET /` (client.info())
 * answers 405 there; the local node's info answers on every distribution.
 */
export async function elasticsearchVersion(client: Client): Promise<string> {
  const info = await client.nodes.info({ node_id: '_local', metric: '_none', filter_path: 'nodes.*.version' })
  const node = Object.values(info.nodes ?? {})[0] as { version?: string } | undefined
  if (!node?.version) throw new Error('Elasticsearch answered without a version')
  return node.version
}

export type { Client as ElasticsearchClient }
