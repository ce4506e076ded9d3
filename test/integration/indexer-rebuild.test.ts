// A rebuild under concurrent writes: the live indexer keeps applying events while a new index is
// filled from a snapshot and the old index, searches keep answering throughout, and after the alias
// swap every document equals the newest state of its record. Then verify against a source.
import type { Client } from '@elastic/elasticsearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trackDocument } from '../../indexers/documents.js'
import { indexOfAlias } from '../../indexers/index-store.js'
import type { ModelIndexer } from '../../indexers/model-indexer.js'
import { rebuildIndex, verifyIndex } from '../../indexers/rebuild.js'
import { applyChange, emptyState } from '../../indexers/record-state.js'
import { parseModelEvent } from '../../src/contracts/model-events.js'
import { silentLogger } from '../../src/logger.js'
import type { ModelEventPublisher } from '../../src/publishing/model-events.publisher.js'
import { eventually } from '../support/harness.js'
import { type IndexerFixture, startIndexerFixture } from '../support/indexer-fixture.js'

let indexer: ModelIndexer
let models: ModelEventPublisher
let es: Client

const time = (minute: number) => new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toISOString()

function track(id: number, minute = 0): Record<string, unknown> {
  return {
    id,
    user_id: 1,
    title: `Song ${id}`,
    permalink: `song-${id}`,
    description: null,
    genre: 'Pop',
    tag_list: '',
    duration: 180_000,
    sharing: 'public',
    state: 'finished',
    streamable: true,
    downloadable: false,
    license: null,
    label_name: null,
    release_date: null,
    bpm: null,
    created_at: time(0),
    updated_at: time(minute),
  }
}

let fixture: IndexerFixture

beforeAll(async () => {
  fixture = await startIndexerFixture('rebuild')
  ;({ indexer, models, es } = fixture)
})

afterAll(() => fixture.stop())

async function* each<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item
}

async function visibleCount(): Promise<number> {
  const result = await es.count({ index: indexer.aliases.tracks, query: { term: { visible: true } } })
  return result.count
}

describe('index rebuild', () => {
  it('loses nothing written during the rebuild, and searching answers throughout', async () => {
    const events: { key: string; body: Record<string, unknown>; header?: number }[] = []
    const send = async (key: string, body: Record<string, unknown>, header?: number) => {
      events.push({ key, body, header })
      await models.raw(key, body, header ? { model_id: header } : undefined)
    }
    for (let id = 1; id <= 150; id++) await send('create.Track', track(id))
    await eventually(async () => {
      await es.indices.refresh({ index: indexer.aliases.tracks })
      expect(await visibleCount()).toBe(150)
    })
    const before = await indexOfAlias(es, indexer.aliases.tracks)
    const snapshot = Array.from({ length: 150 }, (_, i) => track(i + 1))

    // Searches during the rebuild: every one must answer.
    let searching = true
    let searches = 0
    const searcher = (async () => {
      while (searching) {
        const result = await es.search({
          index: indexer.aliases.tracks,
          query: { match: { title_folded: 'song' } },
        })
        expect(result.hits.hits.length).toBeGreaterThan(0)
        searches++
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
    // Live writes during the rebuild: renames, new tracks, destroys.
    const writer = (async () => {
      for (let i = 1; i <= 60; i++) {
        const id = 1 + ((i * 7) % 150)
        await send(
          'save.Track',
          { title: [`Song ${id}`, `Song ${id} (take ${i})`], updated_at: [time(0), time(i)] },
          id,
        )
        if (i % 3 === 0) await send('create.Track', track(1000 + i, i))
        if (i % 10 === 0) await send('destroy.Track', track(2 + i, 100 + i))
        await new Promise((resolve) => setTimeout(resolve, 15))
      }
    })()
    const result = await rebuildIndex({
      es,
      model: 'Track',
      alias: indexer.aliases.tracks,
      usersAlias: indexer.aliases.users,
      records: each(snapshot),
      logger: silentLogger,
      settleMs: 300,
      batchSize: 40,
    })
    await writer
    searching = false
    await searcher
    expect(searches).toBeGreaterThan(5)
    expect(result.previous).toBe(before)
    expect(result.index).not.toBe(before)
    expect(await indexOfAlias(es, indexer.aliases.tracks)).toBe(result.index)
    expect(await es.indices.exists({ index: before! })).toBe(false)

    // Every record ends in its newest state: the events applied once, in order.
    const ids = [...new Set(events.map((e) => (e.header ?? e.body.id) as number))]
    await eventually(
      async () => {
        const stored = await es.mget<Record<string, unknown>>({
          index: indexer.aliases.tracks,
          ids: ids.map(String),
        })
        for (const doc of stored.docs) {
          const id = Number(doc._id)
          let state = emptyState('Track', id)
          for (const e of events) {
            const parsed = parseModelEvent(e.key, JSON.stringify(e.body), e.header)
            if (parsed.kind === 'change' && parsed.change.id === id)
              state = applyChange(state, parsed.change).state
          }
          const { user: _u, ...expected } = trackDocument(state, undefined)
          expect('found' in doc && doc.found).toBe(true)
          const { user: _v, ...got } = ('_source' in doc ? doc._source : {}) as Record<string, unknown>
          expect(got).toEqual(expected)
        }
      },
      { timeoutMs: 20_000 },
    )
  })

  it('verify lists the differences between an index and its source, and none when they agree', async () => {
    // The source is built from a search: it must see the last writes (verify reads in real time).
    await es.indices.refresh({ index: indexer.aliases.tracks })
    const stored = await es.search<{ id: number; title: string }>({
      index: indexer.aliases.tracks,
      size: 1_000,
      query: { term: { visible: true } },
      _source: ['id', 'title'],
    })
    const source = stored.hits.hits.map((h) => {
      const id = h._source!.id
      const t = track(id)
      return { ...t, title: h._source!.title, updated_at: t.updated_at }
    })
    // The index holds renamed titles: the agreeing source is built from it.
    const agree = await verifyIndex({
      es,
      model: 'Track',
      alias: indexer.aliases.tracks,
      usersAlias: indexer.aliases.users,
      records: each(source),
    })
    expect(agree.differences).toEqual([])

    const tampered = source.map((record, i) =>
      i === 0 ? { ...record, title: 'Not What The Index Says' } : record,
    )
    tampered.pop() // and one visible document the source does not know
    const differ = await verifyIndex({
      es,
      model: 'Track',
      alias: indexer.aliases.tracks,
      usersAlias: indexer.aliases.users,
      records: each(tampered),
    })
    expect(differ.differences.some((d) => d.problem.startsWith('title:'))).toBe(true)
    expect(differ.differences.some((d) => d.problem === 'in the index but not in the source')).toBe(true)
  })
})
