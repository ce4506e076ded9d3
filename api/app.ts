// createApp(deps) builds the hono app without listening, so tests call app.request() and the server
// entry point decides the port. Routes are grouped by area, one file each.
import { Hono } from 'hono'
import type { Logger } from '../src/logger.js'
import { errorBody, handleError } from './errors.js'
import { healthRoutes, type ReadinessCheck } from './health.routes.js'

export interface AppDeps {
  logger: Logger
  readiness: Record<string, ReadinessCheck>
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono()
  app.onError(handleError(deps.logger))
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404))
  app.route('/', healthRoutes({ checks: deps.readiness }))
  return app
}
