// ClickHouse client factory: the same @clickhouse/client API over the embedded engine (chDB, in-process,
// data under DATA_DIR) when CLICKHOUSE_URL is unset, or over HTTP to a ClickHouse server when it is set.
// All SQL is plain ClickHouse SQL, so the same statements run on both.
import { mkdirSync } from 'node:fs'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { type ClientConnection, withStickySettings } from './sticky-settings.js'

export type { ClickHouseClient }

export interface ClickHouseOptions {
  url: string | undefined
  database: string
  dataDir: string
  /** Shown in the server's query log. */
  application?: string
  requestTimeoutMs?: number
}

/**
 * chDB allows one data directory per process (a second process gets "Cannot lock file ... status");
 * within a process, several connections on the same directory run their queries side by side, so give
 * each role (API, writers, long jobs) its own client. The database is created on first use.
 */
export async function createClickHouse(options: ClickHouseOptions): Promise<ClickHouseClient> {
  const bootstrap = await connect(options, undefined)
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)}` })
  } finally {
    await bootstrap.close()
  }
  return connect(options, options.database)
}

async function connect(options: ClickHouseOptions, database: string | undefined): Promise<ClickHouseClient> {
  const common = {
    database,
    application: options.application ?? 'search-stats',
    request_timeout: options.requestTimeoutMs ?? 60_000,
    // The server quotes 64-bit integers in JSON by default and chDB does not: ask both for plain numbers
    // (our counts and ids stay far below 2^53), so results look the same on either engine.
    clickhouse_settings: {
      date_time_output_format: 'iso' as const,
      output_format_json_quote_64bit_integers: 0 as const,
    },
  }
  if (options.url) return createClient({ url: options.url, ...common })
  if (options.dataDir !== ':memory:') mkdirSync(options.dataDir, { recursive: true })
  // Loaded lazily: a deployment against a server never loads the native engine.
  const { createChdbConnection } = await import('chdb/connection')
  // chdb types its Connection against @clickhouse/client-common, which the client now bundles under its
  // own path: the same interface twice, hence the cast.
  const connection = withStickySettings(
    createChdbConnection({ path: options.dataDir }) as unknown as ClientConnection,
  )
  const client = createClient({ connection, ...common })
  // chDB ignores the client's `database` option; its session keeps a current database instead.
  if (database) await client.command({ query: `USE ${quoteIdentifier(database)}` })
  return client
}

/** Identifiers come from configuration (validated), never from requests; quoting is belt and braces. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`)
  return `\`${name}\``
}

export async function clickhouseVersion(client: ClickHouseClient): Promise<string> {
  const result = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
  const rows = await result.json<{ version: string }>()
  return rows[0]?.version ?? 'unknown'
}
