// A local PostgreSQL standing in for the Mothership's read replica (development and tests): reuse one
// that answers at REPLICA_URL, else initialise a cluster in SERVICES_DIR from Debian's postgresql
// package (installed when missing) and start it on loopback as the unprivileged service user (the
// server refuses root), with the role and database REPLICA_URL names.
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { redactUrl } from '../config.js'
import type { Logger } from '../logger.js'
import {
  aptInstall,
  ensureServiceUser,
  isLoopbackHost,
  isRoot,
  run,
  SERVICE_USER,
  ServiceStartError,
  tailOf,
  waitUntil,
} from './process.js'
import type { ServiceStatus } from './status.js'

export async function probePostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
    const result = await client.query<{ server_version: string }>('SHOW server_version')
    return result.rows[0]?.server_version ?? 'unknown'
  } catch {
    return undefined
  } finally {
    await client.end().catch(() => undefined)
  }
}

const dataDir = (servicesDir: string) => path.join(servicesDir, 'postgres-replica')

export async function postgresStatus(url: string | undefined, servicesDir: string): Promise<ServiceStatus> {
  if (!url)
    return { name: 'Replica (PG)', up: true, url: 'not configured (REPLICA_URL empty)', managedBy: 'none' }
  const version = await probePostgres(url)
  return {
    name: 'Replica (PG)',
    up: version !== undefined,
    url: redactUrl(url),
    version,
    managedBy:
      version === undefined
        ? 'none'
        : existsSync(path.join(dataDir(servicesDir), 'PG_VERSION'))
          ? 'search-stats'
          : 'external',
  }
}

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
  const found = versions
    .map((v) => path.join(root, v, 'bin'))
    .find((dir) => existsSync(path.join(dir, 'pg_ctl')))
  return found
}

export async function ensurePostgres(
  url: string | undefined,
  servicesDir: string,
  logger: Logger,
): Promise<ServiceStatus> {
  const existing = await postgresStatus(url, servicesDir)
  if (!url || existing.up) return existing
  const target = new URL(url)
  if (!isLoopbackHost(target.hostname)) {
    throw new ServiceStartError(
      `The replica does not answer at ${redactUrl(url)}, and that is not this machine. Check REPLICA_URL.`,
    )
  }
  let bin = binDir()
  if (!bin) {
    logger.info('installing postgresql from Debian packages')
    await aptInstall(['postgresql'], 'A local replica database')
    bin = binDir()
    if (!bin)
      throw new ServiceStartError(
        'postgresql was installed but pg_ctl was not found under /usr/lib/postgresql',
      )
  }
  const dir = dataDir(servicesDir)
  const log = path.join(servicesDir, 'postgres-replica.log')
  const port = target.port || '5432'
  const asUser = async (command: string, args: string[]) => {
    if (!isRoot()) return run(command, args, { timeoutMs: 120_000 })
    await ensureServiceUser()
    return run('runuser', ['-u', SERVICE_USER, '--', command, ...args], { timeoutMs: 120_000 })
  }
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    mkdirSync(dir, { recursive: true })
    if (isRoot()) await run('chown', ['-R', `${SERVICE_USER}:`, dir])
    // Trust on loopback only: a development stand-in for a replica, never reachable from elsewhere.
    const init = await asUser(path.join(bin, 'initdb'), [
      '-D',
      dir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
    ])
    if (init.code !== 0)
      throw new ServiceStartError(`initdb failed: ${init.stderr.trim() || init.stdout.trim()}`)
  }
  if (isRoot()) await run('touch', [log]).then(() => run('chown', [`${SERVICE_USER}:`, log]))
  const started = await asUser(path.join(bin, 'pg_ctl'), [
    '-D',
    dir,
    '-l',
    log,
    '-w',
    '-o',
    `-p ${port} -c listen_addresses=127.0.0.1 -k /tmp`,
    'start',
  ])
  if (started.code !== 0)
    throw new ServiceStartError(`pg_ctl start failed: ${started.stderr.trim()}${tailOf(log)}`)
  const admin = new URL(url)
  admin.username = 'postgres'
  admin.password = ''
  admin.pathname = '/postgres'
  await waitUntil(() => probePostgres(admin.toString()), {
    timeoutMs: 60_000,
    what: 'PostgreSQL',
    describeFailure: () => tailOf(log),
  })
  // The role and database that REPLICA_URL names.
  const client = new pg.Client({ connectionString: admin.toString() })
  await client.connect()
  try {
    const role = decodeURIComponent(target.username || 'search_stats')
    const database = decodeURIComponent(target.pathname.replace(/^\//, '') || 'mothership')
    const password = decodeURIComponent(target.password || '')
    const roleExists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])
    const ident = (name: string) => `"${name.replace(/"/g, '""')}"`
    if (roleExists.rowCount === 0) {
      await client.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`)
    }
    const dbExists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (dbExists.rowCount === 0) await client.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(role)}`)
  } finally {
    await client.end()
  }
  const version = await waitUntil(() => probePostgres(url), {
    timeoutMs: 30_000,
    what: `the replica at ${redactUrl(url)}`,
  })
  return { name: 'Replica (PG)', up: true, url: redactUrl(url), version, managedBy: 'search-stats' }
}

export async function stopPostgres(servicesDir: string): Promise<boolean> {
  const dir = dataDir(servicesDir)
  const bin = binDir()
  if (!bin || !existsSync(path.join(dir, 'postmaster.pid'))) return false
  const args = ['-D', dir, '-m', 'fast', '-w', 'stop']
  const result = isRoot()
    ? await run('runuser', ['-u', SERVICE_USER, '--', path.join(bin, 'pg_ctl'), ...args])
    : await run(path.join(bin, 'pg_ctl'), args)
  return result.code === 0
}
