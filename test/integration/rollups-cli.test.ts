// The data engineers' rollup jobs as they run them: list, status, backfill, rebuild and verify on a log
// written by the workload generator, and clear errors for bad ranges and a held data directory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClickHouse } from '../../src/clickhouse/client.js'
import { runCli } from '../support/cli.js'
import { type TestEnv, testEnv } from '../support/harness.js'

let env: TestEnv

beforeAll(async () => {
  env = testEnv('rollups-cli')
  const written = await cli([
    'publish',
    'stats',
    '--generate',
    '20000',
    '--direct',
    '--days',
    '40',
    '--artists',
    '50',
  ])
  expect(written.code, written.stderr).toBe(0)
}, 120_000)

afterAll(() => env.cleanup())

const cli = (args: string[]) => runCli(args, { DATA_DIR: env.dataDir }, 90_000)

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)

describe('search-stats rollups', () => {
  it('list shows every tier with rows and bytes beside the log', async () => {
    const result = await cli(['rollups', 'list', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const inventory = JSON.parse(result.stdout)
    expect(inventory.log.rows).toBe(20_000)
    expect(inventory.tiers.map((tier: { name: string }) => tier.name)).toEqual(['counts', 'top', 'listeners'])
    for (const tier of inventory.tiers) {
      expect(tier.rows).toBeGreaterThan(0)
      expect(tier.viewPresent).toBe(true)
    }
  })

  it('status reports no lag behind the log', async () => {
    const result = await cli(['rollups', 'status'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/lag: 0 ms behind the log/)
  })

  it('verify passes, backfill and rebuild recompute with progress, and verify still passes', async () => {
    const verify = await cli(['rollups', 'verify', '--from', day(-45), '--to', day(1)])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/counts: \d+ buckets, 0 differ from the raw log/)
    expect(verify.stdout).toMatch(/top: \d+ buckets, 0 differ from the raw log/)

    const backfill = await cli([
      'rollups',
      'backfill',
      '--from',
      day(-45),
      '--to',
      day(1),
      '--rollup',
      'counts',
    ])
    expect(backfill.code, backfill.stderr).toBe(0)
    expect(backfill.stdout).toMatch(/recomputed \d year\(s\) [\d, ]+ of counts from the raw log/)
    expect(backfill.stderr).toMatch(/rollups backfill: 1\/\d/)

    const rebuild = await cli(['rollups', 'rebuild'])
    expect(rebuild.code, rebuild.stderr).toBe(0)
    expect(rebuild.stdout).toMatch(/of counts, top, listeners from the raw log/)

    const again = await cli(['rollups', 'verify', '--from', day(-45), '--to', day(1), '--json'])
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).map((r: { differences: number }) => r.differences)).toEqual([0, 0, 0])
  })

  it('zones add registers a zone, fills its whole days from the log, and verify agrees', async () => {
    const none = await cli(['rollups', 'zones', 'list'])
    expect(none.stdout).toMatch(/no zones registered/)
    const added = await cli(['rollups', 'zones', 'add', 'Asia/Kathmandu', 'Europe/Berlin'])
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toMatch(
      /Asia\/Kathmandu, Europe\/Berlin: whole days from 3 minute\(s\) of the UTC day, ready/,
    )
    expect(added.stderr).toMatch(/rollups zones add: 1\/\d/)
    const listed = await cli(['rollups', 'zones', 'list', '--json'])
    expect(JSON.parse(listed.stdout)).toEqual([
      { zone: 'Asia/Kathmandu', phase: 1095, ready: true },
      { zone: 'Europe/Berlin', phase: 1320, ready: true },
      { zone: 'Europe/Berlin', phase: 1380, ready: true },
    ])
    // The backfilled days hold the log's events: every bucket, whole days included, equals the log's.
    const verify = await cli(['rollups', 'verify', '--from', day(-45), '--to', day(1), '--rollup', 'counts'])
    expect(verify.code, verify.stdout).toBe(0)
    const bad = await cli(['rollups', 'zones', 'add', 'Mars/Olympus'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/unknown time zone Mars\/Olympus/)
  })

  it('verify exits 1 and shows the bucket when a tier differs from the log', async () => {
    const client = await createClickHouse(env.config.clickhouse)
    await client.command({
      query: `INSERT INTO stats_rollup (owner_id, track_id, span_minutes, bucket, plays)
              VALUES (1, 0, 1440, toStartOfDay(now() - INTERVAL 3 DAY), 1)`,
    })
    await client.close()
    const verify = await cli(['rollups', 'verify', '--from', day(-45), '--to', day(1), '--rollup', 'counts'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toMatch(/counts: \d+ buckets, 1 differ from the raw log/)
    expect(verify.stdout).toMatch(/"span_minutes":"1440"/)
  })

  it('a bad range or tier is refused with a message naming it', async () => {
    const bad = await cli(['rollups', 'backfill', '--from', 'last tuesday', '--to', day(0)])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/--from must be a date \(YYYY-MM-DD\) or an ISO-8601 instant/)
    const reversed = await cli(['rollups', 'verify', '--from', day(0), '--to', day(-3)])
    expect(reversed.code).toBe(1)
    expect(reversed.stderr).toMatch(/--from .* must be before --to/)
    const tier = await cli(['rollups', 'backfill', '--from', day(-1), '--to', day(0), '--rollup', 'hourly'])
    expect(tier.code).not.toBe(0)
    expect(tier.stderr).toMatch(/hourly/)
  })

  it('says why it cannot run while another process holds the embedded data directory', async () => {
    const holder = await createClickHouse(env.config.clickhouse)
    try {
      const result = await cli(['rollups', 'list'])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/held by another process .*search-stats serve.*CLICKHOUSE_URL/)
    } finally {
      await holder.close()
    }
  })
})
