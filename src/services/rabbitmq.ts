// Local RabbitMQ for development and tests: reuse one that answers at AMQP_URL, else start Debian's
// rabbitmq-server (installing the package when we may).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import amqp from 'amqplib'
import { redactUrl } from '../config.js'
import type { Logger } from '../logger.js'
import {
  aptInstall,
  commandExists,
  isLoopbackHost,
  isRoot,
  run,
  ServiceStartError,
  tailOf,
  waitUntil,
} from './process.js'
import type { ServiceStatus } from './status.js'

/** Connects once and reports the broker's version, or undefined when nothing answers. */
export async function probeRabbitMQ(url: string, timeoutMs = 3_000): Promise<string | undefined> {
  try {
    const model = await amqp.connect(url, { timeout: timeoutMs })
    const version = (model.connection.serverProperties as { version?: string }).version ?? 'unknown'
    await model.close().catch(() => undefined)
    return version
  } catch {
    return undefined
  }
}

const markerFile = (servicesDir: string) => path.join(servicesDir, 'rabbitmq.started-by-search-stats')
const brokerLog = () => `/var/log/rabbitmq/rabbit@${os.hostname().split('.')[0]}.log`

export async function rabbitmqStatus(url: string, servicesDir: string): Promise<ServiceStatus> {
  const version = await probeRabbitMQ(url)
  return {
    name: 'RabbitMQ',
    up: version !== undefined,
    url: redactUrl(url),
    version,
    managedBy:
      version === undefined ? 'none' : existsSync(markerFile(servicesDir)) ? 'search-stats' : 'external',
  }
}

export async function ensureRabbitMQ(
  url: string,
  servicesDir: string,
  logger: Logger,
): Promise<ServiceStatus> {
  const existing = await rabbitmqStatus(url, servicesDir)
  if (existing.up) return existing
  const target = new URL(url)
  if (!isLoopbackHost(target.hostname)) {
    throw new ServiceStartError(
      `RabbitMQ does not answer at ${redactUrl(url)}, and that is not this machine, so nothing was started. ` +
        'Check AMQP_URL, or unset it to use a local broker.',
    )
  }
  if (!(await commandExists('rabbitmq-server'))) {
    logger.info('installing rabbitmq-server from Debian packages')
    await aptInstall(['rabbitmq-server'], 'A local RabbitMQ')
  }
  if (!isRoot()) {
    throw new ServiceStartError(
      "Debian's rabbitmq-server runs only as root or the rabbitmq user. Start it with " +
        '`sudo rabbitmq-server -detached`, or point AMQP_URL at a running broker.',
    )
  }
  const port = target.port || '5672'
  logger.info({ port }, 'starting rabbitmq-server')
  // The package's postinst may already have started a node (on machines with an init system).
  const env = { ...process.env, RABBITMQ_NODE_PORT: port, RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1' }
  const started = await run('rabbitmq-server', ['-detached'], { env, timeoutMs: 60_000 })
  if (started.code !== 0) {
    throw new ServiceStartError(
      `rabbitmq-server -detached failed (exit ${started.code}): ${started.stderr.trim()}${tailOf(brokerLog())}`,
    )
  }
  mkdirSync(servicesDir, { recursive: true })
  writeFileSync(markerFile(servicesDir), new Date().toISOString())
  const version = await waitUntil(() => probeRabbitMQ(url), {
    timeoutMs: 120_000,
    intervalMs: 1_000,
    what: `RabbitMQ at ${redactUrl(url)}`,
    describeFailure: () => tailOf(brokerLog()),
  })
  return { name: 'RabbitMQ', up: true, url: redactUrl(url), version, managedBy: 'search-stats' }
}

export async function stopRabbitMQ(servicesDir: string, logger: Logger): Promise<boolean> {
  if (!existsSync(markerFile(servicesDir))) return false
  logger.info('stopping rabbitmq-server')
  const result = await run('rabbitmqctl', ['stop'], { timeoutMs: 60_000 })
  if (result.code !== 0) throw new ServiceStartError(`rabbitmqctl stop failed: ${result.stderr.trim()}`)
  rmSync(markerFile(servicesDir), { force: true })
  return true
}
