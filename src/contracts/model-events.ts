// Model events (CONTRACT section 1, the ModelBroadcast pattern): routing key `<action>.<Class>`, a body
// with the record's attributes (create, destroy) or its changes (save: {"field": [old, new]}), the id of
// a save in the AMQP header `model_id`. Parsed into one normal form, a ModelChange: which record, when
// (its updated_at), and the attribute values it asserts.
import { z } from 'zod'

export const MODEL_ACTIONS = ['create', 'save', 'destroy'] as const
export const MODEL_CLASSES = ['Track', 'User'] as const
export type ModelAction = (typeof MODEL_ACTIONS)[number]
export type ModelClass = (typeof MODEL_CLASSES)[number]

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER)
const text = z.string().max(100_000)
const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 time')
const count = z.number().int().min(0)

/** Track attributes, named as in the SoundCloud public API. Unknown attributes are ignored. */
export const trackAttributes = z.object({
  id,
  user_id: id,
  title: text,
  permalink: text,
  description: text.nullable(),
  genre: text.nullable(),
  tag_list: text.nullable(),
  duration: count.nullable(),
  sharing: z.enum(['public', 'private']),
  state: z.enum(['processing', 'finished', 'failed']),
  streamable: z.boolean(),
  downloadable: z.boolean(),
  license: text.nullable(),
  label_name: text.nullable(),
  release_date: text.nullable(),
  bpm: z.number().nonnegative().nullable(),
  created_at: instant,
  updated_at: instant,
})

export const userAttributes = z.object({
  id,
  username: text,
  permalink: text,
  full_name: text.nullable(),
  description: text.nullable(),
  city: text.nullable(),
  country_code: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .transform((v) => v.toUpperCase())
    .nullable(),
  avatar_url: text.nullable(),
  followers_count: count,
  followings_count: count,
  track_count: count,
  verified: z.boolean(),
  created_at: instant,
  updated_at: instant,
})

export type TrackAttributes = z.output<typeof trackAttributes>
export type UserAttributes = z.output<typeof userAttributes>
export type Attributes = Partial<TrackAttributes> | Partial<UserAttributes>

const schemas = { Track: trackAttributes, User: userAttributes } as const
const knownFields = {
  Track: new Set(Object.keys(trackAttributes.shape)),
  User: new Set(Object.keys(userAttributes.shape)),
} as const
// Built once: zod compiles a schema's parser on its first use, so a schema derived per message (a
// `.partial()` in the handler) cost 100 us an event.
const saveSchemas = { Track: trackAttributes.partial(), User: userAttributes.partial() } as const
const destroySchemas = {
  Track: trackAttributes.partial().extend({ id, updated_at: instant }),
  User: userAttributes.partial().extend({ id, updated_at: instant }),
} as const

export interface ModelChange {
  model: ModelClass
  action: ModelAction
  id: number
  /** updated_at in epoch ms: the order of the record's states. */
  version: number
  /** The attribute values this event asserts (all of them for create, the changed ones for save). */
  fields: Record<string, unknown>
}

export type ParsedModelEvent =
  | { kind: 'change'; change: ModelChange }
  /** A routing key for another class (save.Comment ...): not ours, never an error. */
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string }

export function parseRoutingKey(routingKey: string): { action: ModelAction; model: ModelClass } | undefined {
  const [action, model, ...rest] = routingKey.split('.')
  if (rest.length > 0) return undefined
  if (!MODEL_ACTIONS.includes(action as ModelAction) || !MODEL_CLASSES.includes(model as ModelClass))
    return undefined
  return { action: action as ModelAction, model: model as ModelClass }
}

/** Parses one message. `modelId` is the AMQP header (a number, or a numeric string from CLI clients). */
export function parseModelEvent(
  routingKey: string,
  body: Buffer | string,
  modelId?: unknown,
): ParsedModelEvent {
  const route = parseRoutingKey(routingKey)
  if (!route)
    return { kind: 'ignored', reason: `routing key ${routingKey} is not <create|save|destroy>.<Track|User>` }
  let json: unknown
  try {
    json = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'))
  } catch (err) {
    return { kind: 'invalid', reason: `body is not JSON: ${(err as Error).message}` }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'invalid', reason: 'body must be a JSON object' }
  }
  const known = knownFields[route.model]

  if (route.action === 'save') {
    const changes = json as Record<string, unknown>
    const recordId = saveId(changes, modelId)
    if (recordId === undefined) {
      return {
        kind: 'invalid',
        reason: 'save without a record id: set the model_id header (or a numeric "id")',
      }
    }
    const asserted: Record<string, unknown> = {}
    for (const [field, change] of Object.entries(changes)) {
      if (field === 'id' || !known.has(field)) continue
      if (!Array.isArray(change) || change.length !== 2) {
        return { kind: 'invalid', reason: `${field}: a save carries [old, new] for each changed attribute` }
      }
      asserted[field] = change[1]
    }
    if (!('updated_at' in asserted))
      return { kind: 'invalid', reason: 'updated_at: a save must change updated_at' }
    const parsed = saveSchemas[route.model].safeParse(asserted)
    if (!parsed.success) return { kind: 'invalid', reason: describe(parsed.error) }
    const { updated_at, ...fields } = parsed.data as Record<string, unknown> & { updated_at: string }
    return {
      kind: 'change',
      change: { model: route.model, action: 'save', id: recordId, version: Date.parse(updated_at), fields },
    }
  }

  // create and destroy carry the whole record; only known attributes are kept. Plain loops, not
  // entries/fromEntries and a rest pattern: those built each event's objects in V8's slow paths.
  const record = json as Record<string, unknown>
  const attributes: Record<string, unknown> = {}
  for (const field in record) if (known.has(field)) attributes[field] = record[field]
  const parsed =
    route.action === 'create'
      ? schemas[route.model].safeParse(attributes)
      : destroySchemas[route.model].safeParse(attributes)
  if (!parsed.success) return { kind: 'invalid', reason: describe(parsed.error) }
  const data = parsed.data as Record<string, unknown> & { id: number; updated_at: string }
  const fields: Record<string, unknown> = {}
  if (route.action === 'create') {
    for (const field in data) if (field !== 'id' && field !== 'updated_at') fields[field] = data[field]
  }
  return {
    kind: 'change',
    change: {
      model: route.model,
      action: route.action,
      id: data.id,
      version: Date.parse(data.updated_at),
      fields,
    },
  }
}

function saveId(changes: Record<string, unknown>, header: unknown): number | undefined {
  const candidates = [header, changes.id]
  for (const value of candidates) {
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
    if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) return n
  }
  return undefined
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')
}
