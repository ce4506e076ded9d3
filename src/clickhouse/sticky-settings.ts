// chDB runs a query's settings as SET statements ahead of it in the same session, and a SET holds for
// the session's later queries too. So a setting that the session already has at the value asked for
// need not be sent again: this connection sends only the settings that change. Each query still runs
// with exactly the settings it would run with otherwise (every setting it asks for is in force, and
// the others are whatever earlier queries left, as before).
//
// Every reader query asked for five settings (two from the client, three of the reader's), each one
// more statement for the engine to parse and run: SELECT 1 took 1.56 ms with them and 1.02 without.
// Side by side on the stats page of the benchmark's head artist (its four queries at once, 38 pages of
// each preset with and without, interleaved), the process spent 276 against 287 ms of CPU for one page
// of each of the five presets, and gave the same answers.
//
// Exact only if the session runs the queries in the order they were sent, so calls go one at a time
// (chDB runs one query at a time per connection anyway). After a failure the session's settings are
// unknown (some of the SETs may have run), so the next call sends all of its own.
import type { createClient } from '@clickhouse/client'

export type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>
type Settings = Record<string, unknown> | undefined

/** Settings the chDB connection turns into options of the call rather than SET statements. */
const NOT_SET = new Set(['default_format'])

export function withStickySettings(connection: ClientConnection): ClientConnection {
  /** The value each setting has in the session (as JSON), as far as this connection knows. */
  const inForce = new Map<string, string>()
  let previous: Promise<unknown> = Promise.resolve()

  const changed = (settings: Settings): Settings => {
    if (!settings) return settings
    const sent: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(settings)) {
      if (value === undefined) continue
      const json = JSON.stringify(value)
      if (NOT_SET.has(name) || inForce.get(name) !== json) sent[name] = value
      if (!NOT_SET.has(name)) inForce.set(name, json)
    }
    return sent
  }

  const inTurn =
    <P extends { clickhouse_settings?: Settings }, R>(call: (params: P) => Promise<R>) =>
    (params: P): Promise<R> => {
      const result = previous.then(() =>
        call({ ...params, clickhouse_settings: changed(params.clickhouse_settings) }),
      )
      previous = result.catch(() => inForce.clear())
      return result
    }

  const wrapped: Partial<Record<keyof ClientConnection, unknown>> = {
    query: inTurn(connection.query.bind(connection)),
    exec: inTurn(connection.exec.bind(connection)),
    command: inTurn(connection.command.bind(connection)),
    insert: inTurn(connection.insert.bind(connection)),
  }
  return new Proxy(connection, {
    get(target, name) {
      if (typeof name === 'string' && name in wrapped) return wrapped[name as keyof ClientConnection]
      // The connection's own getters read its private fields: they must see it, not the proxy.
      const value = Reflect.get(target, name)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
