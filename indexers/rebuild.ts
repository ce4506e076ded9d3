// Rebuilding an index with no downtime, and verifying one against its source.
//
// Rebuild: create a new concrete index behind the alias `<alias>-next`, from which moment the live
// indexer merges every batch into it too; copy the merge states of the current index into it (so
// tombstones and changes newer than the snapshot survive); merge the snapshot's records into it; then
// swap the alias atomically. Merging is a join (record-state.ts), so the copy, the snapshot and the
// live events can interleave in any order and the new index still ends in the newest state of every
// record. The alias points at the old index until the swap, so searching answers throughout.
import type { Client } from '@elastic/elasticsearch'
import { type ModelClass, parseModelEvent } from '../src/contracts/model-events.js'
import type { Logger } from '../src/logger.js'
import { stateOfDocument, trackDocument, userDocument } from './documents.js'
import { concreteIndexName, indexOfAlias } from './index-store.js'
import { trackIndex, userIndex } from './mappings.js'
import { type MergeTarget, mergeIntoIndex } from './merge-into-index.js'
import { REBUILD_CHECK_MS, REBUILD_SUFFIX } from './model-indexer.js'
import { joinStates, type RecordState, stateOfChange } from './record-state.js'

export interface RebuildOptions {
  es: Client
  model: ModelClass
  alias: string
  /** Where tracks read their artist's fields from (the live users alias). */
  usersAlias: string
  /** The source's records (attributes as in a create event). */
  records: AsyncIterable<unknown>
  logger: Logger
  onProgress?: (stage: 'copy' | 'load', done: number) => void
  /** Time for batches already in flight when the new index appeared to finish (they write the old one only). */
  settleMs?: number
  /** Delete the old index after the swap (default true). */
  deleteOld?: boolean
  batchSize?: number
}

export interface RebuildResult {
  index: string
  previous: string | undefined
  copied: number
  loaded: number
  /** Source records that are not valid records, with the reason. */
  invalid: { line: number; reason: string }[]
}

export async function rebuildIndex(options: RebuildOptions): Promise<RebuildResult> {
  const { es, model, alias } = options
  const definition = model === 'Track' ? trackIndex : userIndex
  const batchSize = options.batchSize ?? 1_000
  const previous = await indexOfAlias(es, alias)
  const index = concreteIndexName(alias)
  const next = `${alias}${REBUILD_SUFFIX}`
  if (await es.indices.existsAlias({ name: next })) {
    throw new Error(
      `a rebuild of ${alias} is already running (alias ${next} exists); if it died, delete that alias`,
    )
  }
  await es.indices.create({
    index,
    settings: { ...definition.settings, refresh_interval: '30s' },
    mappings: definition.mappings,
    aliases: { [next]: {} },
  })
  const target = { es, index, usersIndex: options.usersAlias }
  try {
    // The indexer looks for the rebuild alias at most once a second: wait that out, plus batches in flight.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(options.settleMs ?? 3_000, REBUILD_CHECK_MS + 500)),
    )

    const copied = previous ? await copyStates(es, previous, target, model, batchSize, options.onProgress) : 0

    let loaded = 0
    let line = 0
    const invalid: RebuildResult['invalid'] = []
    let batch = new Map<number, RecordState>()
    const flush = async () => {
      if (batch.size === 0) return
      await mergeIntoIndex(target, model, batch)
      loaded += batch.size
      options.onProgress?.('load', loaded)
      batch = new Map()
    }
    for await (const record of options.records) {
      line++
      const parsed = parseModelEvent(`create.${model}`, JSON.stringify(record))
      if (parsed.kind !== 'change') {
        invalid.push({ line, reason: parsed.reason })
        continue
      }
      const state = stateOfChange(parsed.change)
      const known = batch.get(state.id)
      batch.set(state.id, known ? joinStates(known, state) : state)
      if (batch.size >= batchSize) await flush()
    }
    await flush()

    await es.indices.putSettings({
      index,
      settings: { refresh_interval: definition.settings.refresh_interval },
    })
    await es.indices.refresh({ index })
    // One atomic alias change: searches see the old index until this returns, the new one after.
    await es.indices.updateAliases({
      actions: [
        ...(previous ? [{ remove: { index: previous, alias } }] : []),
        { add: { index, alias, is_write_index: true } },
        { remove: { index, alias: next } },
      ],
    })
    if (previous && (options.deleteOld ?? true)) await es.indices.delete({ index: previous })
    options.logger.info({ alias, index, previous, copied, loaded, invalid: invalid.length }, 'rebuild done')
    return { index, previous, copied, loaded, invalid }
  } catch (err) {
    // Leave the live index alone; drop the half-built one so a new rebuild can start.
    await es.indices.delete({ index, ignore_unavailable: true }).catch(() => undefined)
    throw err
  }
}

/** Merges every merge state of `from` into the target; returns how many documents were read. */
async function copyStates(
  es: Client,
  from: string,
  target: MergeTarget,
  model: ModelClass,
  batchSize: number,
  onProgress: RebuildOptions['onProgress'],
): Promise<number> {
  // Searches see refreshed documents only: make the latest writes to the old index visible first.
  await es.indices.refresh({ index: from })
  let copied = 0
  let after: number[] | undefined
  for (;;) {
    const page = await es.search<{ merge_state?: unknown }>({
      index: from,
      size: batchSize,
      sort: [{ id: 'asc' }],
      _source: ['merge_state'],
      ...(after ? { search_after: after } : {}),
      query: { match_all: {} },
    })
    const hits = page.hits.hits
    if (hits.length === 0) return copied
    const states = new Map<number, RecordState>()
    for (const hit of hits) {
      const state = stateOfDocument(model, Number(hit._id), hit._source)
      if (state) states.set(state.id, state)
    }
    await mergeIntoIndex(target, model, states)
    copied += hits.length
    onProgress?.('copy', copied)
    after = hits[hits.length - 1]!.sort as number[]
  }
}

export interface VerifyResult {
  checked: number
  differences: { id: number; problem: string }[]
}

const IGNORED = new Set(['merge_state', 'user', 'updated_at', 'suggest'])

/** Compares an index with its source: every record's document as the source says, nothing extra. */
export async function verifyIndex(options: {
  es: Client
  model: ModelClass
  alias: string
  usersAlias: string
  records: AsyncIterable<unknown>
}): Promise<VerifyResult> {
  const { es, model, alias } = options
  const differences: VerifyResult['differences'] = []
  const expected = new Map<number, Record<string, unknown>>()
  for await (const record of options.records) {
    const parsed = parseModelEvent(`create.${model}`, JSON.stringify(record))
    if (parsed.kind !== 'change') continue
    const state = stateOfChange(parsed.change)
    expected.set(state.id, model === 'Track' ? trackDocument(state, undefined) : userDocument(state))
  }
  const ids = [...expected.keys()]
  for (let i = 0; i < ids.length; i += 1_000) {
    const chunk = ids.slice(i, i + 1_000)
    const stored = await es.mget<Record<string, unknown>>({ index: alias, ids: chunk.map(String) })
    for (const doc of stored.docs) {
      const id = Number(doc._id)
      const want = expected.get(id)!
      if (!('found' in doc) || !doc.found) {
        differences.push({ id, problem: 'missing from the index' })
        continue
      }
      for (const [field, value] of Object.entries(want)) {
        if (IGNORED.has(field)) continue
        const got = doc._source?.[field]
        if (JSON.stringify(got ?? null) !== JSON.stringify(value ?? null)) {
          differences.push({
            id,
            problem: `${field}: index has ${JSON.stringify(got)}, source has ${JSON.stringify(value)}`,
          })
        }
      }
    }
  }
  // Visible documents the source does not know.
  let after: number[] | undefined
  for (;;) {
    const page = await es.search({
      index: alias,
      size: 1_000,
      sort: [{ id: 'asc' }],
      _source: false,
      query: { term: { visible: true } },
      ...(after ? { search_after: after } : {}),
    })
    const hits = page.hits.hits
    if (hits.length === 0) break
    for (const hit of hits) {
      const id = Number(hit._id)
      if (!expected.has(id)) differences.push({ id, problem: 'in the index but not in the source' })
    }
    after = hits[hits.length - 1]!.sort as number[]
  }
  return { checked: expected.size, differences }
}
