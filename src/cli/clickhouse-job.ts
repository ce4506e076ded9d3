// ClickHouse for a command-line job. With the embedded engine only one process may hold the data
// directory, so while `serve` runs a job cannot open it: say so plainly and what to do instead.
import { type ClickHouseClient, createClickHouse } from '../clickhouse/client.js'
import type { Config } from '../config.js'

export async function openClickHouseForJob(config: Config, application: string): Promise<ClickHouseClient> {
  try {
    return await createClickHouse({ ...config.clickhouse, application, requestTimeoutMs: 3_600_000 })
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0] ?? ''
    // chDB prints "Cannot lock file ... status" itself and then fails with "Failed to create connection".
    if (!config.clickhouse.url && /lock|failed to create connection/i.test(reason)) {
      throw new Error(
        `the embedded ClickHouse data directory ${config.clickhouse.dataDir} is held by another process ` +
          '(a running `search-stats serve`: one process per chDB directory). Stop it and run this again, ' +
          'or run ClickHouse as a server and point CLICKHOUSE_URL at it for both.',
      )
    }
    throw new Error(`cannot open ClickHouse: ${reason}`)
  }
}
