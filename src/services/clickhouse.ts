// ClickHouse's status: a server at CLICKHOUSE_URL, or the embedded engine (chDB) whose data directory
// only one process may hold at a time.

import { clickhouseVersion, createClickHouse } from '../clickhouse/client.js'
import type { Config } from '../config.js'
import { redactUrl } from '../config.js'
import type { ServiceStatus } from './status.js'

async function versionAt(options: Config['clickhouse']): Promise<string> {
  const client = await createClickHouse({ ...options, requestTimeoutMs: 5_000 })
  try {
    return await clickhouseVersion(client)
  } finally {
    await client.close()
  }
}

export async function clickhouseStatus(config: Config): Promise<ServiceStatus> {
  const { url, dataDir } = config.clickhouse
  if (url) {
    try {
      const version = await versionAt(config.clickhouse)
      return { name: 'ClickHouse', up: true, url: redactUrl(url), version, managedBy: 'external' }
    } catch (err) {
      return {
        name: 'ClickHouse',
        up: false,
        url: redactUrl(url),
        managedBy: 'none',
        detail: (err as Error).message.split('\n')[0],
      }
    }
  }
  const where = `embedded chDB, data in ${dataDir}`
  try {
    const version = await versionAt(config.clickhouse)
    return { name: 'ClickHouse', up: true, url: where, version, managedBy: 'embedded' }
  } catch (err) {
    // Most likely a running `serve` holds the directory ("Cannot lock file ... status"). The engine is
    // the same library either way, so ask an in-memory instance for the version.
    try {
      const version = await versionAt({ ...config.clickhouse, dataDir: ':memory:' })
      return {
        name: 'ClickHouse',
        up: true,
        url: where,
        version,
        managedBy: 'embedded',
        detail:
          'the data directory is held by another process (a running `serve`); one process per chDB directory',
      }
    } catch {
      return { name: 'ClickHouse', up: false, url: where, managedBy: 'none', detail: (err as Error).message }
    }
  }
}
