// createApp(deps) builds the hono app without listening, so tests call app.request() and the server
// entry point decides the port. Routes are grouped by area, one file each.
import { Hono } from 'hono'
import type { Logger } from '../src/logger.js'
import type { Metrics } from '../src/metrics.js'
import { docsRoutes } from './docs.routes.js'
import { errorBody, handleError } from './errors.js'
import { healthRoutes, type ReadinessCheck } from './health.routes.js'
import { openApiRoutes } from './openapi.js'
import { type SearchRoutesOptions, searchRoutes } from './search.routes.js'
import { type StatsRoutesOptions, statsRoutes } from './stats.routes.js'
import { statsPageRoutes } from './stats-page.routes.js'

export interface AppDeps {
  logger: Logger
  readiness: Record<string, ReadinessCheck>
  metrics?: Metrics
  search?: SearchRoutesOptions
  stats?: StatsRoutesOptions
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono()
  app.onError(handleError(deps.logger))
  if (deps.metrics) {
    const { httpRequests, registry } = deps.metrics
    app.use(async (c, next) => {
      const end = httpRequests.startTimer()
      await next()
      // The route pattern, not the path: ids in paths must not explode the label set.
      end({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) })
    })
    app.get('/metrics', async (c) => {
      c.header('Cache-Control', 'no-store')
      return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType })
    })
  }
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404))
  app.route('/', healthRoutes({ checks: deps.readiness }))
  app.route('/', openApiRoutes())
  app.route('/', docsRoutes())
  const shed = deps.metrics?.httpShed
  const onShed = shed && ((group: string, reason: string) => shed.inc({ group, reason }))
  if (deps.search) app.route('/', searchRoutes({ onShed, ...deps.search }))
  if (deps.stats) {
    app.route('/', statsRoutes({ onShed, ...deps.stats }))
    app.route('/', statsPageRoutes())
  }
  return app
}
