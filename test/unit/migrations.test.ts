import { describe, expect, it } from 'vitest'
import { loadMigrations, splitStatements } from '../../rollups/migrate.js'

describe('splitStatements', () => {
  it('splits on semicolons that end a line and drops comment lines', () => {
    const sql = "-- a comment; with a semicolon\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\nSELECT ';' ;\n"
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a (x UInt8) ENGINE = Memory', "SELECT ';'"])
  })
})

describe('loadMigrations', () => {
  it('finds the numbered migrations in order, each with statements', () => {
    const migrations = loadMigrations()
    const versions = migrations.map((m) => m.version)
    expect(versions).toEqual([...versions].sort((a, b) => a - b))
    expect(new Set(versions).size).toBe(versions.length)
    for (const migration of migrations) expect(migration.statements.length).toBeGreaterThan(0)
  })
})
