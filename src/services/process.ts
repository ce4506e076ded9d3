// Small helpers for starting and waiting on local service processes.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to completion, capturing output. Never throws for a non-zero exit; callers decide. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; inherit?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', options.inherit ? 'inherit' : 'pipe', options.inherit ? 'inherit' : 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ code: null, stdout, stderr: `${stderr}${err.message}` })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export async function commandExists(command: string): Promise<boolean> {
  const result = await run('sh', ['-c', `command -v ${command}`])
  return result.code === 0
}

export const isRoot = () => process.getuid?.() === 0

/** Polls `check` until it returns a value, or throws with `describeFailure()` appended after the deadline. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; what: string; describeFailure?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) {
      const detail = options.describeFailure?.() ?? ''
      throw new ServiceStartError(
        `${options.what} did not answer within ${options.timeoutMs / 1000} s.${detail}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500))
  }
}

export function tailOf(file: string, lines = 30): string {
  if (!existsSync(file)) return `\n(no log at ${file})`
  const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  return `\nLast lines of ${file}:\n${text}`
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || hostname.startsWith('127.')
}

/** A service could not be started or reached; the message says what to do. */
export class ServiceStartError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ServiceStartError'
  }
}

let aptUpdated = false

/** Installs Debian packages when we may (root with apt-get); otherwise says how. */
export async function aptInstall(packages: string[], why: string): Promise<void> {
  if (!isRoot() || !(await commandExists('apt-get'))) {
    throw new ServiceStartError(
      `${why} needs the Debian package(s) ${packages.join(' ')}. Install them as root: ` +
        `apt-get install -y ${packages.join(' ')}`,
    )
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  if (!aptUpdated) {
    await run('apt-get', ['update', '-qq'], { env, timeoutMs: 300_000 })
    aptUpdated = true
  }
  const result = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env,
    timeoutMs: 600_000,
  })
  if (result.code !== 0) {
    throw new ServiceStartError(
      `apt-get install ${packages.join(' ')} failed (exit ${result.code}):\n${result.stderr.slice(-2_000)}`,
    )
  }
}

/** Elasticsearch and PostgreSQL refuse to run as root; when we are root, they run as this system user. */
export const SERVICE_USER = 'search-stats'

export async function ensureServiceUser(): Promise<void> {
  if ((await run('id', ['-u', SERVICE_USER])).code === 0) return
  const result = await run('useradd', [
    '--system',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    SERVICE_USER,
  ])
  if (result.code !== 0)
    throw new ServiceStartError(`useradd ${SERVICE_USER} failed: ${result.stderr.trim()}`)
}
