#!/usr/bin/env -S node --max-semi-space-size=64
// The installed entry point: runs the compiled command line (npm install builds it via `prepare`).
// The young generation's size (see src/gc-tuning.ts) can only be set when node starts, hence the flag
// here, in `npm start` and in docker-compose.yml.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/bin/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write(
    'search-stats is not built yet: run `npm install` or `npm run build` in the project.\n',
  )
  process.exit(1)
}
await import(entry.href)
