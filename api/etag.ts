// Responses with an ETag, and 304 when the client already holds them. Hono's etag middleware reads
// the finished response back through a cloned web stream to hash it, which took the response off
// @hono/node-server's fast path: measured, 0.3 ms of the API's 0.55 ms over Elasticsearch per search.
// Here the body is hashed as the string it is before it is sent.
import { createHash } from 'node:crypto'
import type { Context } from 'hono'

function tagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`
}

/** If-None-Match holds `tag` (weak or strong; a list; or `*`). */
function alreadyHeld(ifNoneMatch: string | undefined, tag: string): boolean {
  if (!ifNoneMatch) return false
  if (ifNoneMatch.trim() === '*') return true
  return (ifNoneMatch.match(/"[^"]*"/g) ?? ([] as string[])).includes(tag)
}

/** `body` with its ETag, or an empty 304 when the client's copy is current. */
export function sendTagged(c: Context, body: string, contentType: string): Response {
  const tag = tagOf(body)
  c.header('ETag', tag)
  if (alreadyHeld(c.req.header('If-None-Match'), tag)) return c.body(null, 304)
  return c.body(body, 200, { 'Content-Type': contentType })
}

export function jsonTagged(c: Context, value: unknown): Response {
  return sendTagged(c, JSON.stringify(value), 'application/json')
}
