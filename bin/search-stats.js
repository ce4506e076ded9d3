#!/usr/bin/env node
// The installed entry point: runs the compiled command line (npm install builds it via `prepare`).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/bin/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write(
    'search-stats is not built yet: run `npm install` or `npm run build` in the project.\n',
  )
  process.exit(1)
}
await import(entry.href)
