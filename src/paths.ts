// Files that ship beside the code (SQL migrations, static pages) are found from the project root, which
// is the same whether we run from the TypeScript sources or from dist/.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

export function projectRoot(): string {
  if (root) return root
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error('package.json not found above the running code')
    dir = parent
  }
  root = dir
  return dir
}
