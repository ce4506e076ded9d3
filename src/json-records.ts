// Reads records from a file (or stdin, '-'): one JSON value per line (NDJSON), or a JSON array. Used
// by `publish` (events) and `index rebuild|verify` (snapshot records). A bad line names file and line.
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

export async function* readJsonRecords(file: string): AsyncGenerator<unknown> {
  const input = file === '-' ? process.stdin : createReadStream(file)
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  let array = ''
  let lineNo = 0
  for await (const line of lines) {
    lineNo++
    if (array || (lineNo === 1 && line.trimStart().startsWith('['))) {
      array += `${line}\n`
      continue
    }
    if (!line.trim()) continue
    try {
      yield JSON.parse(line)
    } catch (err) {
      throw new Error(`${file}:${lineNo}: not JSON (${(err as Error).message})`)
    }
  }
  if (!array) return
  let values: unknown
  try {
    values = JSON.parse(array)
  } catch (err) {
    throw new Error(`${file}: not a JSON array (${(err as Error).message})`)
  }
  if (!Array.isArray(values)) throw new Error(`${file}: expected a JSON array`)
  yield* values
}
