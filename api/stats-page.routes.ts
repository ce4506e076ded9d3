// The artist's stats page, GET /you/stats: static HTML, CSS and JavaScript that need no build, plus
// Chart.js from its npm package. The page reads the token from the URL fragment (never sent to a
// server) or the tab's session, and asks /v1/stats/artists/{id}/page for everything in one request.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Hono } from 'hono'
import { projectRoot } from '../src/paths.js'

const FILES: Record<string, { file: () => string; type: string }> = {
  '/you/stats': {
    file: () => path.join(projectRoot(), 'api', 'stats-page', 'index.html'),
    type: 'text/html',
  },
  '/you/stats/app.js': {
    file: () => path.join(projectRoot(), 'api', 'stats-page', 'app.js'),
    type: 'text/javascript',
  },
  '/you/stats/app.css': {
    file: () => path.join(projectRoot(), 'api', 'stats-page', 'app.css'),
    type: 'text/css',
  },
  '/you/stats/chart.umd.min.js': {
    // The UMD build is not among the package's exports: found beside its main file (dist/).
    file: () =>
      path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'),
    type: 'text/javascript',
  },
}

const SECURITY = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
}

export function statsPageRoutes(): Hono {
  const app = new Hono()
  const cache = new Map<string, string>()
  for (const [route, { file, type }] of Object.entries(FILES)) {
    app.get(route, (c) => {
      let body = cache.get(route)
      if (body === undefined) {
        body = readFileSync(file(), 'utf8')
        cache.set(route, body)
      }
      return c.body(body, 200, {
        'Content-Type': `${type}; charset=utf-8`,
        'Cache-Control': route === '/you/stats' ? 'no-cache' : 'public, max-age=300',
        ...SECURITY,
      })
    })
  }
  return app
}
