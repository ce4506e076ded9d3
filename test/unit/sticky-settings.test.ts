// The chDB connection sends each setting only when the session does not have it at that value yet.
import { describe, expect, it } from 'vitest'
import { type ClientConnection, withStickySettings } from '../../src/clickhouse/sticky-settings.js'

type Settings = Record<string, unknown> | undefined

/** A connection that records the settings each call received and finishes calls when told to. */
function recording() {
  const calls: { method: string; settings: Settings }[] = []
  const running: (() => void)[] = []
  let fail = false
  const call = (method: string) => (params: { clickhouse_settings?: Settings }) =>
    new Promise((resolve, reject) => {
      calls.push({ method, settings: params.clickhouse_settings })
      running.push(() => (fail ? reject(new Error('refused')) : resolve({ method })))
    })
  const connection = {
    query: call('query'),
    exec: call('exec'),
    command: call('command'),
    insert: call('insert'),
    ping: async () => ({ success: true }),
    close: async () => undefined,
  } as unknown as ClientConnection
  return {
    connection: withStickySettings(connection),
    calls,
    /** Finishes the running call (failing it if `failing`), then lets the next one start. */
    async finish(failing = false) {
      fail = failing
      await new Promise((resolve) => setImmediate(resolve))
      running.shift()?.()
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
}

const asked = (settings: Settings) => ({ query: 'SELECT 1', clickhouse_settings: settings }) as never

describe('a chDB connection with sticky settings', () => {
  it('sends a setting once, then only when its value changes', async () => {
    const { connection, calls, finish } = recording()
    const answers = [
      connection.query(asked({ a: 0, b: 'iso' })),
      connection.query(asked({ a: 0, b: 'iso' })),
      connection.exec(asked({ a: 1, b: 'iso' })),
      connection.insert(asked({ a: 1, c: true, default_format: 'JSON' })),
    ]
    for (let i = 0; i < answers.length; i++) await finish()
    await Promise.all(answers)
    expect(calls).toEqual([
      { method: 'query', settings: { a: 0, b: 'iso' } },
      { method: 'query', settings: {} },
      { method: 'exec', settings: { a: 1 } },
      // default_format is an option of the call, not a SET: it goes with every call that asks.
      { method: 'insert', settings: { c: true, default_format: 'JSON' } },
    ])
  })

  it('starts a call only when the one before it has ended, so the session runs them in order', async () => {
    const { connection, calls, finish } = recording()
    const first = connection.query(asked({ a: 1 }))
    const second = connection.command(asked({ a: 2 }))
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls.map((call) => call.method)).toEqual(['query'])
    await finish()
    expect(calls.map((call) => call.method)).toEqual(['query', 'command'])
    await finish()
    await Promise.all([first, second])
  })

  it('sends every setting again after a call failed (the session may have taken some of them)', async () => {
    const { connection, calls, finish } = recording()
    const failed = connection.query(asked({ a: 1, b: 2 }))
    const next = connection.query(asked({ a: 1, b: 2 }))
    await finish(true)
    await expect(failed).rejects.toThrow('refused')
    await finish()
    await next
    expect(calls.map((call) => call.settings)).toEqual([
      { a: 1, b: 2 },
      { a: 1, b: 2 },
    ])
  })
})
