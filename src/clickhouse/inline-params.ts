// Query parameters written into the query text as literals. chdb-node runs every query that has
// parameters one at a time across the whole process (its engine's parameter state is not kept per
// connection, so it serialises them), which made the stats page's "side by side" queries, and every
// request's, wait for each other. Only values that need no escaping are accepted: safe integers,
// strings of letters, digits and `_ / + - . :` (ids, limits, zone and dimension names), and arrays
// of those; anything else throws, so no request text can change a query's meaning.

const PLAIN_STRING = /^[A-Za-z0-9_/+\-.:]*$/
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g

/** The query with each `{name:Type}` replaced by its value from `params` as a literal. */
export function inlineParams(query: string, params: Record<string, unknown>): string {
  return query.replace(PLACEHOLDER, (_, name: string) => {
    if (!Object.hasOwn(params, name)) throw new Error(`no value for query parameter ${name}`)
    return literal(params[name], name)
  })
}

function literal(value: unknown, name: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  if (typeof value === 'string' && PLAIN_STRING.test(value)) return `'${value}'`
  if (Array.isArray(value)) return `[${value.map((item) => literal(item, name)).join(', ')}]`
  throw new Error(
    `query parameter ${name} is not a safe integer or plain string: ${String(value).slice(0, 40)}`,
  )
}
