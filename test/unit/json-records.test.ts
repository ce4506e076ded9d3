import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readJsonRecords } from '../../src/json-records.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'json-records-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function read(content: string): Promise<unknown[]> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, content)
  const out: unknown[] = []
  for await (const record of readJsonRecords(file)) out.push(record)
  return out
}

describe('readJsonRecords', () => {
  it('reads one JSON value per line, skipping blank lines', async () => {
    expect(await read('{"id":1}\n\n{"id":2}\n')).toEqual([{ id: 1 }, { id: 2 }])
  })

  it('reads a JSON array spread over lines', async () => {
    expect(await read('[\n  {"id": 1},\n  {"id": 2}\n]\n')).toEqual([{ id: 1 }, { id: 2 }])
  })

  it('names the file and line of a bad record', async () => {
    await expect(read('{"id":1}\n{oops\n')).rejects.toThrow(/:2: not JSON/)
  })
})
