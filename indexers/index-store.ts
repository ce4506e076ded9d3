// Elasticsearch persistence for the indexers: versioned concrete indexes behind an alias, reading the
// stored merge states of many records at once, and writing documents with optimistic concurrency
// (a document changed by someone else since we read it is a conflict to re-read and re-apply, never an
// overwrite).
import type { Client } from '@elastic/elasticsearch'
import type { ModelClass } from '../src/contracts/model-events.js'
import { stateOfDocument } from './documents.js'
import { type IndexDefinition, MAPPING_VERSION } from './mappings.js'
import type { RecordState } from './record-state.js'

export interface StoredState {
  state: RecordState
  seqNo: number
  primaryTerm: number
  /** Fields another writer keeps in the document (the popularity job's), carried over on rewrite. */
  popularity?: unknown
}

/** Makes sure `alias` points at a concrete index with our mapping; creates `<alias>_v<N>_<time>` if not. */
export async function ensureIndex(es: Client, definition: IndexDefinition, alias: string): Promise<string> {
  const current = await indexOfAlias(es, alias)
  if (current) return current
  const index = concreteIndexName(alias)
  try {
    await es.indices.create({
      index,
      settings: definition.settings,
      mappings: definition.mappings,
      aliases: { [alias]: { is_write_index: true } },
    })
  } catch (err) {
    // Another process created it first: use theirs.
    const created = await indexOfAlias(es, alias)
    if (created) return created
    throw err
  }
  return index
}

/** The concrete index behind an alias, or undefined when the alias does not exist. */
export async function indexOfAlias(es: Client, alias: string): Promise<string | undefined> {
  if (!(await es.indices.existsAlias({ name: alias }))) return undefined
  return Object.keys(await es.indices.getAlias({ name: alias }))[0]
}

export function concreteIndexName(alias: string): string {
  return `${alias}_v${MAPPING_VERSION}_${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 17)}`
}

/** The stored states of these records (missing ones are absent from the map). */
export async function readStates(
  es: Client,
  alias: string,
  model: ModelClass,
  ids: number[],
): Promise<Map<number, StoredState>> {
  const found = new Map<number, StoredState>()
  if (ids.length === 0) return found
  const response = await es.mget<Record<string, unknown>>({
    index: alias,
    ids: ids.map(String),
    _source_includes: ['merge_state', 'popularity'],
  })
  for (const doc of response.docs) {
    if (!('found' in doc) || !doc.found) continue
    const id = Number(doc._id)
    const state = stateOfDocument(model, id, doc._source)
    if (state && doc._seq_no !== undefined && doc._primary_term !== undefined) {
      const popularity = doc._source?.popularity
      found.set(id, {
        state,
        seqNo: doc._seq_no,
        primaryTerm: doc._primary_term,
        ...(popularity === undefined ? {} : { popularity }),
      })
    }
  }
  return found
}

export interface WriteRequest {
  id: number
  document: Record<string, unknown>
  /** The version we read (undefined: the record was not in the index, so create it). */
  expected: { seqNo: number; primaryTerm: number } | undefined
}

export type WriteResult = { id: number } & (
  | { status: 'ok' }
  /** Someone wrote the record since we read it: re-read and re-apply. */
  | { status: 'conflict' }
  /** Elasticsearch is overloaded or failing (429, 5xx): retry later. */
  | { status: 'retry'; reason: string }
  /** The document itself is refused (a mapping error): retrying cannot help. */
  | { status: 'rejected'; reason: string }
)

/**
 * With `requireAlias`, `alias` must be an alias: a write to an alias that has just gone away (a rebuild
 * swapped it) fails and is retried, instead of silently creating an index of that name.
 */
export async function writeDocuments(
  es: Client,
  alias: string,
  requests: WriteRequest[],
  options: { requireAlias?: boolean } = {},
): Promise<WriteResult[]> {
  if (requests.length === 0) return []
  const requireAlias = options.requireAlias ?? false
  const operations = requests.flatMap((request) => [
    request.expected
      ? {
          index: {
            _index: alias,
            _id: String(request.id),
            if_seq_no: request.expected.seqNo,
            if_primary_term: request.expected.primaryTerm,
            require_alias: requireAlias,
          },
        }
      : { create: { _index: alias, _id: String(request.id), require_alias: requireAlias } },
    request.document,
  ])
  // Only what is read below: the full answer (index, version, shards, seq_no per item) is most of the
  // bytes Elasticsearch writes and the client parses for a batch of thousands.
  const response = await es.bulk({ operations, filter_path: 'items.*.status,items.*.error' })
  return response.items.map((item, i) => {
    const result = item.index ?? item.create
    const id = requests[i]!.id
    if (!result?.error) return { id, status: 'ok' }
    const status = result.status
    const reason = `${result.error.type}: ${result.error.reason ?? ''}`
    if (status === 409) return { id, status: 'conflict' }
    if (status === 429 || status >= 500 || result.error.type === 'index_not_found_exception') {
      return { id, status: 'retry', reason }
    }
    return { id, status: 'rejected', reason }
  })
}
