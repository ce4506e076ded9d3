// Local Elasticsearch for development and tests: reuse one that answers at ELASTICSEARCH_URL, else run
// the test distribution Elastic publishes on Maven Central (integ-test-zip). It is the real server with
// a reduced module set (no analysis-common, mapper-extras, painless or rest-root), downloaded once into
// SERVICES_DIR, run single-node on loopback with security off, as an unprivileged user (it refuses root).
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import type { Logger } from '../logger.js'
import {
  aptInstall,
  commandExists,
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

/** Pinned with the client: @elastic/elasticsearch 8.19.x in package.json. */
export const ELASTICSEARCH_VERSION = '8.19.21'
const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ELASTICSEARCH_VERSION}:zip`

interface Layout {
  zip: string
  home: string
  node: string
  config: string
  data: string
  logs: string
  tmp: string
  pidFile: string
  log: string
}

function layout(servicesDir: string): Layout {
  const node = path.join(servicesDir, 'elasticsearch-node')
  return {
    zip: path.join(servicesDir, 'downloads', `elasticsearch-${ELASTICSEARCH_VERSION}.zip`),
    home: path.join(servicesDir, `elasticsearch-${ELASTICSEARCH_VERSION}`),
    node,
    config: path.join(node, 'config'),
    data: path.join(node, 'data'),
    logs: path.join(node, 'logs'),
    tmp: path.join(node, 'tmp'),
    pidFile: path.join(node, 'elasticsearch.pid'),
    log: path.join(node, 'logs', 'search-stats.log'),
  }
}

/** Asks the cluster for its health and the node's version; undefined when nothing (or not ES) answers. */
export async function probeElasticsearch(url: string, timeoutMs = 3_000): Promise<string | undefined> {
  try {
    const health = await fetch(new URL('/_cluster/health', url), { signal: AbortSignal.timeout(timeoutMs) })
    if (!health.ok || health.headers.get('x-elastic-product') !== 'Elasticsearch') return undefined
    const body = (await health.json()) as { status?: string }
    if (body.status !== 'green' && body.status !== 'yellow') return undefined
    const nodes = await fetch(new URL('/_nodes/_local?filter_path=nodes.*.version', url), {
      signal: AbortSignal.timeout(timeoutMs),
    })
    const info = (await nodes.json()) as { nodes?: Record<string, { version?: string }> }
    return Object.values(info.nodes ?? {})[0]?.version ?? 'unknown'
  } catch {
    return undefined
  }
}

function ourPid(servicesDir: string): number | undefined {
  const { pidFile } = layout(servicesDir)
  if (!existsSync(pidFile)) return undefined
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}

export async function elasticsearchStatus(url: string, servicesDir: string): Promise<ServiceStatus> {
  const version = await probeElasticsearch(url)
  return {
    name: 'Elasticsearch',
    up: version !== undefined,
    url,
    version,
    managedBy: version === undefined ? 'none' : ourPid(servicesDir) ? 'search-stats' : 'external',
  }
}

export async function ensureElasticsearch(
  url: string,
  servicesDir: string,
  heap: string,
  logger: Logger,
): Promise<ServiceStatus> {
  const existing = await elasticsearchStatus(url, servicesDir)
  if (existing.up) {
    if (existing.version && !existing.version.startsWith('8.')) {
      throw new ServiceStartError(
        `Elasticsearch ${existing.version} answers at ${url}, but this service's client speaks 8.x. ` +
          'Point ELASTICSEARCH_URL at an 8.x server.',
      )
    }
    return existing
  }
  const target = new URL(url)
  if (!isLoopbackHost(target.hostname)) {
    throw new ServiceStartError(
      `Elasticsearch does not answer at ${url}, and that is not this machine, so nothing was started. ` +
        'Check ELASTICSEARCH_URL, or unset it to use a local node.',
    )
  }
  const paths = layout(servicesDir)
  if (ourPid(servicesDir)) {
    // Started earlier and still booting (or stuck): wait for it rather than start a second node.
    logger.info('a local Elasticsearch started earlier is still coming up; waiting')
  } else {
    const javaHome = await findJava(logger)
    await download(paths, logger)
    await extract(paths, logger)
    prepareNode(paths, target.port || '9200', heap)
    await start(paths, javaHome, logger)
  }
  const version = await waitUntil(() => probeElasticsearch(url), {
    timeoutMs: 180_000,
    intervalMs: 1_000,
    what: `Elasticsearch at ${url}`,
    describeFailure: () => tailOf(paths.log),
  })
  return { name: 'Elasticsearch', up: true, url, version, managedBy: 'search-stats' }
}

export async function stopElasticsearch(servicesDir: string, logger: Logger): Promise<boolean> {
  const pid = ourPid(servicesDir)
  if (!pid) return false
  logger.info({ pid }, 'stopping Elasticsearch')
  process.kill(pid, 'SIGTERM')
  await waitUntil(async () => (ourPid(servicesDir) ? undefined : true), {
    timeoutMs: 60_000,
    what: 'Elasticsearch shutdown',
  })
  return true
}

/** 8.19 runs on JDK 17 to 24; prefer 17, the one it is tested with most, and install it if none fits. */
async function findJava(logger: Logger): Promise<string> {
  const roots = existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm') : []
  const candidates = roots
    .map((name) => ({ name, major: Number(/(?:^|-)(\d{2})(?:[.-]|$)/.exec(name)?.[1]) }))
    .filter((jdk) => jdk.major >= 17 && jdk.major <= 24)
    .filter((jdk) => existsSync(path.join('/usr/lib/jvm', jdk.name, 'bin', 'java')))
    .sort((a, b) => a.major - b.major)
  if (candidates[0]) return path.join('/usr/lib/jvm', candidates[0].name)
  logger.info('no JDK 17-24 under /usr/lib/jvm; installing openjdk-17-jre-headless')
  await aptInstall(['openjdk-17-jre-headless'], 'Elasticsearch 8.19')
  return findJava(logger)
}

async function download(paths: Layout, logger: Logger): Promise<void> {
  if (existsSync(paths.zip)) return
  if (!(await commandExists('mvn')))
    await aptInstall(['maven'], 'Downloading Elasticsearch from Maven Central')
  logger.info({ artifact: ARTIFACT }, 'downloading Elasticsearch (once; cached in SERVICES_DIR)')
  const outputDirectory = path.dirname(paths.zip)
  mkdirSync(outputDirectory, { recursive: true })
  const result = await run(
    'mvn',
    ['-q', '-B', 'dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${outputDirectory}`],
    { timeoutMs: 600_000 },
  )
  if (result.code !== 0 || !existsSync(paths.zip)) {
    throw new ServiceStartError(
      `Downloading ${ARTIFACT} with Maven failed (exit ${result.code}):\n` +
        `${(result.stdout + result.stderr).slice(-2_000)}`,
    )
  }
}

async function extract(paths: Layout, logger: Logger): Promise<void> {
  if (existsSync(path.join(paths.home, 'bin', 'elasticsearch'))) return
  if (!(await commandExists('unzip'))) await aptInstall(['unzip'], 'Unpacking Elasticsearch')
  logger.info({ home: paths.home }, 'unpacking Elasticsearch')
  // Unpack beside the target and rename, so an interrupted unpack never looks like a finished one.
  const staging = `${paths.home}.partial`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  const result = await run('unzip', ['-q', '-o', paths.zip, '-d', staging], { timeoutMs: 300_000 })
  if (result.code !== 0) throw new ServiceStartError(`unzip ${paths.zip} failed: ${result.stderr.trim()}`)
  const inner = path.join(staging, `elasticsearch-${ELASTICSEARCH_VERSION}`)
  rmSync(paths.home, { recursive: true, force: true })
  renameSync(inner, paths.home)
  rmSync(staging, { recursive: true, force: true })
}

function prepareNode(paths: Layout, port: string, heap: string): void {
  for (const dir of [
    paths.config,
    paths.data,
    paths.logs,
    paths.tmp,
    path.join(paths.config, 'jvm.options.d'),
  ]) {
    mkdirSync(dir, { recursive: true })
  }
  for (const file of [
    'jvm.options',
    'log4j2.properties',
    'roles.yml',
    'role_mapping.yml',
    'users',
    'users_roles',
  ]) {
    const source = path.join(paths.home, 'config', file)
    if (existsSync(source)) copyFileSync(source, path.join(paths.config, file))
  }
  writeFileSync(
    path.join(paths.config, 'elasticsearch.yml'),
    [
      'cluster.name: search-stats',
      'node.name: local',
      // Loopback only: security is off, so nothing beyond this machine may reach it.
      'network.host: 127.0.0.1',
      `http.port: ${port}`,
      'discovery.type: single-node',
      'xpack.security.enabled: false',
      `path.data: ${paths.data}`,
      `path.logs: ${paths.logs}`,
      // A development node on a shared disk: do not go read-only when the disk is 90% full.
      'cluster.routing.allocation.disk.threshold_enabled: false',
      'action.destructive_requires_name: false',
      '',
    ].join('\n'),
  )
  // Equal min and max heap (no resize pauses); 512 MB to 1 GB fits a 2-core, 24 GiB machine.
  writeFileSync(path.join(paths.config, 'jvm.options.d', 'heap.options'), `-Xms${heap}\n-Xmx${heap}\n`)
}

async function start(paths: Layout, javaHome: string, logger: Logger): Promise<void> {
  const env: Record<string, string> = {
    ES_PATH_CONF: paths.config,
    ES_JAVA_HOME: javaHome,
    ES_TMPDIR: paths.tmp,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  }
  const launcher = path.join(paths.home, 'bin', 'elasticsearch')
  const args = ['-d', '-p', paths.pidFile]
  let command: string
  let commandArgs: string[]
  if (isRoot()) {
    await ensureServiceUser()
    const owned = await run('chown', ['-R', `${SERVICE_USER}:`, paths.node])
    if (owned.code !== 0) throw new ServiceStartError(`chown ${paths.node} failed: ${owned.stderr.trim()}`)
    command = 'runuser'
    commandArgs = [
      '-u',
      SERVICE_USER,
      '--',
      'env',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      launcher,
      ...args,
    ]
  } else {
    command = launcher
    commandArgs = args
  }
  logger.info({ javaHome, user: isRoot() ? SERVICE_USER : process.env.USER }, 'starting Elasticsearch')
  const result = await run(command, commandArgs, {
    env: isRoot() ? process.env : { ...process.env, ...env },
    timeoutMs: 180_000,
  })
  if (result.code !== 0) {
    throw new ServiceStartError(
      `Elasticsearch did not start (exit ${result.code}): ${(result.stdout + result.stderr).trim().slice(-2_000)}` +
        tailOf(paths.log),
    )
  }
}
