// Per-test-file fixtures: a private data directory for chDB, a unique prefix for queues, exchanges and
// indexes (so files run side by side on one broker and one node), and eventually() for polling.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import amqp from 'amqplib'
import { declareTopology } from '../../src/amqp/topology.js'
import { type Config, loadConfig } from '../../src/config.js'
import { type Topology, topology } from '../../src/contracts/topology.js'

export function uniqueName(label: string): string {
  return `t${process.pid}-${label}-${Math.random().toString(36).slice(2, 8)}`.toLowerCase()
}

export interface TestEnv {
  config: Config
  prefix: string
  topology: Topology
  dataDir: string
  cleanup(): void
}

export function testEnv(label: string, overrides: Record<string, string> = {}): TestEnv {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `search-stats-${label}-`))
  const prefix = `${uniqueName(label)}.`
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...overrides })
  return {
    config,
    prefix,
    topology: topology(prefix),
    dataDir,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  }
}

/** Polls until `check` stops throwing (returning its value), or rethrows its last error at the deadline. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000)
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100))
    }
  }
}

/** Declares the prefixed exchanges and queues of a test file (on a short-lived connection of its own). */
export async function declareTestTopology(url: string, names: Topology): Promise<void> {
  const model = await amqp.connect(url)
  try {
    const channel = await model.createChannel()
    await declareTopology(channel, names)
  } finally {
    await model.close()
  }
}

/** Removes what a test file declared, so runs leave nothing behind on a shared broker. */
export async function removeTestTopology(url: string, names: Topology): Promise<void> {
  const model = await amqp.connect(url)
  try {
    const channel = await model.createChannel()
    for (const queue of Object.values(names.queues)) {
      await channel.deleteQueue(queue.name)
      await channel.deleteQueue(queue.deadLetter)
    }
    await channel.deleteExchange(names.exchanges.models)
    await channel.deleteExchange(names.exchanges.stats)
  } finally {
    await model.close()
  }
}
