// Numbered SQL migrations (rollups/migrations/NNNN_name.sql), applied in order, each recorded with its
// checksum. A shipped migration is never edited: a changed checksum stops the run. Statements are
// written to be idempotent (IF NOT EXISTS), so a run interrupted halfway is simply run again.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { projectRoot } from '../src/paths.js'
import { TABLES } from './tables.js'

export interface Migration {
  version: number
  name: string
  statements: string[]
  checksum: string
}

export const migrationsDir = () => path.join(projectRoot(), 'rollups', 'migrations')

export function loadMigrations(dir = migrationsDir()): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(dir, file), 'utf8')
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        statements: splitStatements(text),
        checksum: createHash('sha256').update(text).digest('hex'),
      }
    })
}

/** Splits on semicolons that end a line; `--` comment lines are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0)
}

export interface MigrateResult {
  applied: string[]
  alreadyApplied: string[]
}

export async function migrate(
  client: ClickHouseClient,
  options: { migrations?: Migration[]; onProgress?: (message: string) => void } = {},
): Promise<MigrateResult> {
  const migrations = options.migrations ?? loadMigrations()
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${TABLES.schemaMigrations} (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
  })
  const rows = await (
    await client.query({
      query: `SELECT version, name, checksum FROM ${TABLES.schemaMigrations} FINAL ORDER BY version`,
      format: 'JSONEachRow',
    })
  ).json<{ version: number; name: string; checksum: string }>()
  const applied = new Map(rows.map((row) => [Number(row.version), row]))
  const result: MigrateResult = { applied: [], alreadyApplied: [] }
  for (const migration of migrations) {
    const done = applied.get(migration.version)
    if (done) {
      if (done.checksum !== migration.checksum) {
        throw new Error(
          `migration ${migration.name} was changed after it was applied (checksum differs). ` +
            'Shipped migrations are never edited: put the change in a new numbered migration.',
        )
      }
      result.alreadyApplied.push(migration.name)
      continue
    }
    options.onProgress?.(`applying ${migration.name} (${migration.statements.length} statements)`)
    for (const statement of migration.statements) await client.command({ query: statement })
    await client.insert({
      table: TABLES.schemaMigrations,
      values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      format: 'JSONEachRow',
    })
    result.applied.push(migration.name)
  }
  return result
}
