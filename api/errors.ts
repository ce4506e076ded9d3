// One error shape for every failure: {"error": {"code", "message", "details"}}. Never a stack trace.
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Logger } from '../src/logger.js'

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const badRequest = (parameter: string, message: string, details?: unknown) =>
  new ApiError(400, 'bad_request', `${parameter}: ${message}`, { parameter, ...(details as object) })

export const unavailable = (what: string, message: string, retryAfterSeconds = 5) =>
  new ApiError(
    503,
    'unavailable',
    `${what}: ${message}`,
    { dependency: what },
    {
      'Retry-After': String(retryAfterSeconds),
    },
  )

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } }
}

export function handleError(logger: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) {
      if (err.status >= 500) logger.warn({ err: err.cause ?? err, path: c.req.path }, err.message)
      for (const [name, value] of Object.entries(err.headers)) c.header(name, value)
      return c.json(errorBody(err.code, err.message, err.details), err.status)
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode
      return c.json(
        errorBody(status >= 500 ? 'internal' : 'http_error', err.message || 'request failed'),
        status,
      )
    }
    logger.error({ err, path: c.req.path }, 'unhandled error')
    return c.json(errorBody('internal', 'internal error'), 500)
  }
}
