// GET /docs: the OpenAPI document, browsable and tryable, with Swagger UI from its npm package
// (served from here, so the page works without outside network).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Hono } from 'hono'

const require = createRequire(import.meta.url)

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>search-stats API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger', deepLinking: true })\n`

const ASSETS: Record<string, { body: () => string; type: string }> = {
  '/docs': { body: () => PAGE, type: 'text/html' },
  '/docs/init.js': { body: () => INIT, type: 'text/javascript' },
  '/docs/swagger-ui-bundle.js': {
    body: () => readFileSync(require.resolve('swagger-ui-dist/swagger-ui-bundle.js'), 'utf8'),
    type: 'text/javascript',
  },
  '/docs/swagger-ui.css': {
    body: () => readFileSync(require.resolve('swagger-ui-dist/swagger-ui.css'), 'utf8'),
    type: 'text/css',
  },
}

export function docsRoutes(): Hono {
  const app = new Hono()
  const cache = new Map<string, string>()
  for (const [route, asset] of Object.entries(ASSETS)) {
    app.get(route, (c) => {
      const body = cache.get(route) ?? asset.body()
      cache.set(route, body)
      return c.body(body, 200, {
        'Content-Type': `${asset.type}; charset=utf-8`,
        'Cache-Control': 'public, max-age=300',
        'X-Content-Type-Options': 'nosniff',
      })
    })
  }
  return app
}
