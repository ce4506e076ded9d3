// The real ClickHouse engine (chDB, in-process) through @clickhouse/client: migrations, a table, an
// insert, an aggregate, and parameters that carry hostile strings as data, never as SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../rollups/migrate.js'
import { TABLES } from '../../rollups/tables.js'
import { type ClickHouseClient, clickhouseVersion, createClickHouse } from '../../src/clickhouse/client.js'
import { type TestEnv, testEnv } from '../support/harness.js'

let env: TestEnv
let client: ClickHouseClient

beforeAll(async () => {
  env = testEnv('clickhouse')
  client = await createClickHouse(env.config.clickhouse)
})

afterAll(async () => {
  await client.close()
  env.cleanup()
})

describe('ClickHouse on chDB', () => {
  it('is the embedded engine, in our data directory', async () => {
    expect(await clickhouseVersion(client)).toMatch(/^\d+\.\d+/)
    const rows = await (
      await client.query({ query: 'SELECT currentDatabase() AS db', format: 'JSONEachRow' })
    ).json<{ db: string }>()
    expect(rows[0]?.db).toBe(env.config.clickhouse.database)
  })

  it('creates a table, inserts and aggregates', async () => {
    await client.command({
      query: `CREATE TABLE plays (track_id UInt64, country LowCardinality(String), at DateTime('UTC'))
              ENGINE = MergeTree ORDER BY (track_id, at)`,
    })
    await client.insert({
      table: 'plays',
      format: 'JSONEachRow',
      values: [
        { track_id: 1, country: 'DE', at: '2026-01-01 10:00:00' },
        { track_id: 1, country: 'DE', at: '2026-01-01 11:00:00' },
        { track_id: 1, country: 'US', at: '2026-01-02 10:00:00' },
        { track_id: 2, country: 'US', at: '2026-01-02 10:00:00' },
      ],
    })
    const rows = await (
      await client.query({
        query: `SELECT country, count() AS plays FROM plays WHERE track_id = {track:UInt64}
                GROUP BY country ORDER BY country`,
        query_params: { track: 1 },
        format: 'JSONEachRow',
      })
    ).json<{ country: string; plays: number }>()
    expect(rows).toEqual([
      { country: 'DE', plays: 2 },
      { country: 'US', plays: 1 },
    ])
  })

  it('binds hostile strings as values', async () => {
    const hostile = "x' OR 1=1; DROP TABLE plays; --"
    const rows = await (
      await client.query({
        query: 'SELECT count() AS n FROM plays WHERE country = {country:String}',
        query_params: { country: hostile },
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>()
    expect(rows[0]?.n).toBe(0)
    const still = await (
      await client.query({ query: 'SELECT count() AS n FROM plays', format: 'JSONEachRow' })
    ).json()
    expect(still).toEqual([{ n: 4 }])
  })

  it('applies migrations once; a second run applies nothing', async () => {
    const first = await migrate(client)
    const second = await migrate(client)
    expect(second.applied).toEqual([])
    expect(second.alreadyApplied).toEqual([...first.applied, ...first.alreadyApplied])
    const ledger = await (
      await client.query({
        query: `SELECT count() AS n FROM ${TABLES.schemaMigrations} FINAL`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>()
    expect(Number(ledger[0]?.n)).toBe(first.applied.length)
  })

  it('refuses to run when a shipped migration was edited', async () => {
    const edited = [{ version: 9999, name: '9999_probe', statements: ['SELECT 1'], checksum: 'a' }]
    await migrate(client, { migrations: edited })
    await expect(migrate(client, { migrations: [{ ...edited[0]!, checksum: 'b' }] })).rejects.toThrow(
      /changed after it was applied/,
    )
  })

  it('keeps a setting asked for once in force for the next queries that ask for it (sent once)', async () => {
    const maxThreads = async (settings: Record<string, number>) => {
      const result = await client.query({
        query: "SELECT toUInt64(getSetting('max_threads')) AS n",
        format: 'JSONEachRow',
        clickhouse_settings: settings,
      })
      return Number((await result.json<{ n: number }>())[0]?.n)
    }
    expect(await maxThreads({ max_threads: 7 })).toBe(7)
    // The connection does not send it again: the session still has it (so the elision is exact).
    expect(await maxThreads({ max_threads: 7 })).toBe(7)
    expect(await maxThreads({ max_threads: 5 })).toBe(5)
    // A failed query leaves the settings unknown: the next one sends its own again.
    await expect(maxThreads({ max_threads: 3, no_such_setting: 1 })).rejects.toThrow(/no_such_setting/)
    expect(await maxThreads({ max_threads: 3 })).toBe(3)
  })
})
