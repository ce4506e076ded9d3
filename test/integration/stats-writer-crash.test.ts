// Exactly once through a crash: the stats writer runs as its own process (`serve --role stats-writer`),
// is killed with SIGKILL in the middle of a stream of events under load, and restarted; the broker
// redelivers whatever was not acked. Every count in the log must then equal the ground truth.
import { type ChildProcess, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TABLES } from '../../rollups/tables.js'
import { AmqpConnection } from '../../src/amqp/connection.js'
import { ConfirmPublisher } from '../../src/amqp/publisher.js'
import { createClickHouse } from '../../src/clickhouse/client.js'
import { silentLogger } from '../../src/logger.js'
import { StatsEventPublisher } from '../../src/publishing/stats-events.publisher.js'
import { statsWorkload, take } from '../../src/workload/stats-workload.js'
import {
  declareTestTopology,
  eventually,
  removeTestTopology,
  type TestEnv,
  testEnv,
} from '../support/harness.js'

let env: TestEnv
let connection: AmqpConnection

beforeAll(async () => {
  env = testEnv('crash')
  connection = new AmqpConnection({ url: env.config.amqp.url, logger: silentLogger })
  await connection.start()
  await declareTestTopology(env.config.amqp.url, env.topology)
})

afterAll(async () => {
  await removeTestTopology(env.config.amqp.url, env.topology)
  await connection.close()
  env.cleanup()
})

interface Writer {
  child: ChildProcess
  batches: { rows: number; inserted: number; duplicates: number }[]
  /** The exit code, or the signal that ended the process. */
  exited: Promise<number | string | null>
}

function startWriter(): Writer {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bin/main.ts', 'serve', '--role', 'stats-writer'],
    {
      env: {
        ...process.env,
        DATA_DIR: env.dataDir,
        AMQP_PREFIX: env.prefix,
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const writer: Writer = {
    child,
    batches: [],
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal))),
  }
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.includes('"batch written"')) continue
      const entry = JSON.parse(line) as { rows: number; inserted: number; duplicates: number }
      writer.batches.push({ rows: entry.rows, inserted: entry.inserted, duplicates: entry.duplicates })
    }
  })
  return writer
}

async function queueDepth(): Promise<{ messageCount: number; consumerCount: number }> {
  const model = await connection.waitForConnection(5_000)
  const channel = await model.createChannel()
  try {
    return await channel.checkQueue(env.topology.queues.statsWriter.name)
  } finally {
    await channel.close()
  }
}

describe('stats writer killed mid-batch', () => {
  it('counts every event exactly once after SIGKILL and restart', async () => {
    const from = new Date('2026-02-20T00:00:00Z')
    const to = new Date('2026-03-10T00:00:00Z')
    const unique = take(statsWorkload({ seed: 21, from, to, artists: 200, idPrefix: 'k-' }), 24_000)
    // Producers resend some events, in batches of another shape.
    const resent = unique.filter((_, i) => i % 10 === 0)

    const first = startWriter()
    await eventually(async () => expect((await queueDepth()).consumerCount).toBe(1), { timeoutMs: 60_000 })

    const publisher = new StatsEventPublisher(
      await ConfirmPublisher.create(connection),
      env.topology.exchanges.stats,
    )
    // Mostly single-event messages: the writer flushes a batch at half its prefetch's messages (20,000
    // of them), so its first batch cannot hold all 24,000 events, however fast they arrive (it also
    // waits up to a second for a batch, which on this machine covers about 8,000 of them).
    const publishing = (async () => {
      await publisher.publishAll(unique.slice(0, 20_000), { perMessage: 1 })
      await publisher.publishAll(unique.slice(20_000), { perMessage: 200 })
      await publisher.publishAll(resent, { perMessage: 60 })
    })()

    // Kill it once it has written a batch: under load, with more in flight.
    await eventually(() => expect(first.batches.length).toBeGreaterThanOrEqual(1), {
      timeoutMs: 60_000,
      intervalMs: 5,
    })
    first.child.kill('SIGKILL')
    await first.exited
    const insertedBeforeKill = first.batches.reduce((sum, b) => sum + b.inserted, 0)
    expect(insertedBeforeKill).toBeGreaterThan(0)
    expect(insertedBeforeKill).toBeLessThan(unique.length) // it really died in the middle

    await publishing
    const second = startWriter()
    await eventually(
      async () => {
        const depth = await queueDepth()
        expect(depth.consumerCount).toBe(1)
        expect(depth.messageCount).toBe(0)
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    )
    // An orderly stop writes and acks what it holds; afterwards nothing may be left unacked.
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    expect((await queueDepth()).messageCount).toBe(0)

    const clickhouse = await createClickHouse(env.config.clickhouse)
    try {
      const [totals] = await (
        await clickhouse.query({
          query: `SELECT count() AS rows, uniqExact(event_id) AS ids FROM ${TABLES.statsEvents}`,
          format: 'JSONEachRow',
        })
      ).json<{ rows: number; ids: number }>()
      expect(totals).toEqual({ rows: unique.length, ids: unique.length })

      const truth = new Map<string, number>()
      for (const e of unique) {
        const key = `${e.owner_id}/${e.type}`
        truth.set(key, (truth.get(key) ?? 0) + 1)
      }
      const counted = await (
        await clickhouse.query({
          query: `SELECT owner_id, type, count() AS n FROM ${TABLES.statsEvents} GROUP BY owner_id, type`,
          format: 'JSONEachRow',
        })
      ).json<{ owner_id: number; type: string; n: number }>()
      expect(new Map(counted.map((r) => [`${r.owner_id}/${r.type}`, r.n]))).toEqual(truth)
    } finally {
      await clickhouse.close()
    }
  }, 240_000)
})
