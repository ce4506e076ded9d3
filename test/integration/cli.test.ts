// The command line as an operator runs it: doctor finds all three real dependencies and prints their
// versions; a bad configuration stops a command with a message naming the variable.
import { spawn } from 'node:child_process'
import amqp from 'amqplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import {
  declareTestTopology,
  eventually,
  removeTestTopology,
  type TestEnv,
  testEnv,
} from '../support/harness.js'

let env: TestEnv

beforeAll(() => {
  env = testEnv('cli')
})
afterAll(async () => {
  // serve declared its queues and exchanges under this file's prefix: remove them.
  await removeTestTopology(env.config.amqp.url, env.topology)
  // serve created its indexes under this file's prefix too.
  await fetch(new URL(`/${env.prefix}*`, env.config.elasticsearch.url), { method: 'DELETE' })
  env.cleanup()
})

const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
  runCli(args, { DATA_DIR: env.dataDir, ...extraEnv })

describe('search-stats command line', () => {
  it('doctor prints RabbitMQ, Elasticsearch and ClickHouse with their versions', async () => {
    const result = await cli(['doctor'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/RabbitMQ\s+up\s+amqp:\/\/\S+ version 3\.\d+/)
    expect(result.stdout).toMatch(/Elasticsearch\s+up\s+http:\/\/\S+ version 8\.19\.\d+/)
    expect(result.stdout).toMatch(/ClickHouse\s+up\s+embedded chDB.* version \d+\.\d+/)
  })

  it('doctor exits non-zero and says what is missing when a dependency is down', async () => {
    const result = await cli(['doctor'], { ELASTICSEARCH_URL: 'http://127.0.0.1:1' })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/Elasticsearch\s+DOWN/)
    expect(result.stdout).toContain('missing: Elasticsearch')
  })

  it('a bad environment variable stops the command with a message naming it', async () => {
    const result = await cli(['doctor'], { PORT: 'not-a-port' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('PORT:')
    expect(result.stderr).not.toContain('    at ') // no stack trace
  })

  it('migrate applies the schema and is safe to run twice', async () => {
    const first = await cli(['migrate'])
    expect(first.code).toBe(0)
    const second = await cli(['migrate'])
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/migrations: 0 applied, \d+ already applied/)
  })

  it('serve --role all answers /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/main.ts', 'serve', '--role', 'all'], {
      env: {
        ...process.env,
        DATA_DIR: env.dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        AMQP_PREFIX: env.prefix,
        ELASTICSEARCH_INDEX_PREFIX: env.prefix,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const match = /"port":(\d+)[^\n]*"msg":"api listening"/.exec(out)
        if (match) resolve(Number(match[1]))
      })
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${out}`)))
    })
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    const ready = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`)
      expect(res.status).toBe(200)
      return (await res.json()) as { checks: Record<string, { ok: boolean }> }
    })
    expect(Object.keys(ready.checks).sort()).toEqual(['broker', 'clickhouse', 'elasticsearch'])
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('publish stats sends generated events through the broker, confirmed, in messages of the size asked', async () => {
    await declareTestTopology(env.config.amqp.url, env.topology)
    const result = await cli(['publish', 'stats', '--generate', '30', '--per-message', '10'], {
      AMQP_PREFIX: env.prefix,
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^published 30 events/m)
    const connection = await amqp.connect(env.config.amqp.url)
    const channel = await connection.createChannel()
    const { messageCount } = await channel.checkQueue(env.topology.queues.statsWriter.name)
    await connection.close()
    expect(messageCount).toBe(3)
  })

  it('publish stats says what to do when the broker cannot be reached', async () => {
    const result = await cli(['publish', 'stats', '--generate', '5'], {
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:1',
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('cannot reach RabbitMQ')
  })

  it('every command has --help', async () => {
    for (const command of [[], ['serve'], ['services'], ['doctor'], ['migrate']]) {
      const result = await cli([...command, '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('Usage: search-stats')
    }
  })
})
