// GET /healthz: the process is alive. GET /readyz: every store and the broker answer; 503 names the
// failing one, with Retry-After, so a load balancer takes the instance out until it recovers.
import { Hono } from 'hono'
import { errorBody } from './errors.js'

/** A readiness check resolves when its dependency answers and rejects with the reason when not. */
export type ReadinessCheck = () => Promise<unknown>

export interface HealthRoutesOptions {
  checks: Record<string, ReadinessCheck>
  /** A dependency that takes longer than this counts as down. */
  timeoutMs?: number
}

export function healthRoutes(options: HealthRoutesOptions): Hono {
  const timeoutMs = options.timeoutMs ?? 2_000
  const app = new Hono()
  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store')
    return c.json({ status: 'ok' })
  })
  app.get('/readyz', async (c) => {
    c.header('Cache-Control', 'no-store')
    const results = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs)
          return [name, { ok: true }] as const
        } catch (err) {
          return [name, { ok: false, error: (err as Error).message || String(err) }] as const
        }
      }),
    )
    const checks = Object.fromEntries(results)
    const failing = results.filter(([, r]) => !r.ok).map(([name]) => name)
    if (failing.length === 0) return c.json({ status: 'ready', checks })
    c.header('Retry-After', '5')
    return c.json(
      errorBody('not_ready', `not ready: ${failing.join(', ')} unreachable`, { failing, checks }),
      503,
    )
  })
  return app
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}
