// The one place that reads process.env. Parsed once at start; every component gets only its slice.
// A bad value stops the process with a message that names the variable and what was wrong with it.
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'

const urlWithScheme = (schemes: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''))
      } catch {
        return false
      }
    },
    { message: `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}` },
  )

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value)

/** Where `services up` keeps downloads and the local nodes it starts. Root gets a path an unprivileged
 * service user can traverse (root's home is usually 0700). */
const defaultServicesDir = () =>
  process.getuid?.() === 0
    ? '/var/lib/search-stats'
    : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'search-stats')

export const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    AMQP_URL: urlWithScheme(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672'),
    AMQP_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, dot, dash and underscore')
      .default(''),
    ELASTICSEARCH_URL: urlWithScheme(['http', 'https']).default('http://127.0.0.1:9200'),
    ELASTICSEARCH_INDEX_PREFIX: z
      .string()
      .regex(/^[a-z0-9._-]*$/, 'may hold only lowercase letters, digits, dot, dash and underscore')
      .default(''),
    // The Mothership's read replica (PostgreSQL): completes partial records and feeds rebuilds.
    // Empty disables it. The default is the local stand-in that `services up` starts.
    REPLICA_URL: z
      .union([z.literal(''), urlWithScheme(['postgres', 'postgresql'])])
      .default('postgres://search_stats:search_stats@127.0.0.1:5433/mothership'),
    CLICKHOUSE_URL: z.preprocess(emptyAsUndefined, urlWithScheme(['http', 'https']).optional()),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)')
      .default('search_stats'),
    DATA_DIR: z.string().min(1).default('./data'),
    AUTH_SECRET: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .min(32, 'must be at least 32 characters (an HMAC key shorter than that is guessable)')
        .optional(),
    ),
    AUTH_PUBLIC_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SERVICES_DIR: z.string().min(1).default(defaultServicesDir),
    ELASTICSEARCH_HEAP: z
      .string()
      .regex(/^\d+[mg]$/, 'must be a JVM heap size such as 768m or 1g')
      .default('768m'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  })
  .superRefine((env, ctx) => {
    if (env.AUTH_SECRET && env.AUTH_PUBLIC_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_PUBLIC_KEY'],
        message: 'set AUTH_SECRET or AUTH_PUBLIC_KEY, not both',
      })
    }
  })

export type Env = z.infer<typeof envSchema>

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}\n` +
        'Fix the environment variables above and start again.',
    )
    this.name = 'ConfigError'
  }
}

export interface Config {
  http: { port: number; host: string }
  /** `prefix` goes before every exchange and queue name: '' in production (the contract's names). */
  amqp: { url: string; prefix: string }
  /** `indexPrefix` goes before the `tracks` and `users` aliases: '' in production. */
  elasticsearch: { url: string; indexPrefix: string }
  clickhouse: { url: string | undefined; database: string; dataDir: string }
  /** The read replica's URL; undefined when disabled. */
  replica: { url: string | undefined }
  auth: { secret: string | undefined; publicKey: string | undefined }
  log: { level: Env['LOG_LEVEL'] }
  services: { dir: string; elasticsearchHeap: string }
  shutdownTimeoutMs: number
  dataDir: string
}

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(source)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(environment)')
        return { variable, message: `${issue.message} (got ${describeValue(variable, source[variable])})` }
      }),
    )
  }
  const env = parsed.data
  const dataDir = path.resolve(env.DATA_DIR)
  return {
    http: { port: env.PORT, host: env.HOST },
    amqp: { url: env.AMQP_URL, prefix: env.AMQP_PREFIX },
    elasticsearch: { url: env.ELASTICSEARCH_URL, indexPrefix: env.ELASTICSEARCH_INDEX_PREFIX },
    clickhouse: {
      url: env.CLICKHOUSE_URL,
      database: env.CLICKHOUSE_DATABASE,
      dataDir: path.join(dataDir, 'clickhouse'),
    },
    replica: { url: env.REPLICA_URL || undefined },
    auth: { secret: env.AUTH_SECRET, publicKey: env.AUTH_PUBLIC_KEY },
    log: { level: env.LOG_LEVEL },
    services: { dir: path.resolve(env.SERVICES_DIR), elasticsearchHeap: env.ELASTICSEARCH_HEAP },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    dataDir,
  }
}

/** Secrets are never echoed back, not even in an error. */
function describeValue(variable: string, value: string | undefined): string {
  if (value === undefined) return 'nothing'
  if (/SECRET|KEY|PASSWORD/.test(variable)) return `a value of ${value.length} characters`
  return JSON.stringify(redactUrl(value))
}

/** Passwords never reach a log line or `doctor` output. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return value
  }
}
