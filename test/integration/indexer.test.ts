// The search indexer end to end: ModelBroadcast events through the real broker into the real
// Elasticsearch, in and out of order, duplicated, partial, destroyed; bad bodies dead-lettered while
// good ones flow; artists' renames reaching their tracks; private data never searchable.
import type { Client } from '@elastic/elasticsearch'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ArtistInfo, artistInfo, trackDocument } from '../../indexers/documents.js'
import type { ModelIndexer } from '../../indexers/model-indexer.js'
import { applyChange, emptyState } from '../../indexers/record-state.js'
import type { AmqpConnection } from '../../src/amqp/connection.js'
import { DEATH_REASON_HEADER } from '../../src/amqp/consumer.js'
import { parseModelEvent } from '../../src/contracts/model-events.js'
import type { ModelEventPublisher } from '../../src/publishing/model-events.publisher.js'
import { fold } from '../../src/text.js'
import { eventually, type TestEnv } from '../support/harness.js'
import { type IndexerFixture, startIndexerFixture } from '../support/indexer-fixture.js'
import { day, trackRecord, userRecord } from '../support/records.js'

let env: TestEnv
let connection: AmqpConnection
let indexer: ModelIndexer
let models: ModelEventPublisher
let es: Client

const at = day
const track = trackRecord
const user = userRecord

let fixture: IndexerFixture

beforeAll(async () => {
  fixture = await startIndexerFixture('indexer')
  ;({ env, connection, indexer, models, es } = fixture)
})

afterAll(() => fixture.stop())

async function doc(alias: 'tracks' | 'users', id: number): Promise<Record<string, unknown> | undefined> {
  const index = alias === 'tracks' ? indexer.aliases.tracks : indexer.aliases.users
  const result = await es.get<Record<string, unknown>>({ index, id: String(id) }, { ignore: [404] })
  return result.found ? result._source : undefined
}

async function searchTitles(query: string): Promise<string[]> {
  await es.indices.refresh({ index: indexer.aliases.tracks })
  const result = await es.search<{ title: string }>({
    index: indexer.aliases.tracks,
    query: {
      bool: {
        must: { match: { title_folded: fold(query) } },
        filter: { term: { visible: true } },
      },
    },
  })
  return result.hits.hits.map((h) => h._source!.title)
}

describe('search indexer', () => {
  it('indexes a create, searchable with diacritics folded both ways', async () => {
    await models.create('User', user(500, { username: 'Beyoncé' }))
    await models.create('Track', track(1, { title: 'Motörhead Tribute' }))
    await eventually(async () => expect((await doc('tracks', 1))?.visible).toBe(true))
    expect(await searchTitles('motorhead')).toEqual(['Motörhead Tribute'])
    expect(await searchTitles('MOTÖRHEAD')).toEqual(['Motörhead Tribute'])
    const stored = await doc('tracks', 1)
    expect(stored?.tags).toEqual(['synth', 'dream pop'])
    expect(stored?.user).toMatchObject({ id: 500, username: 'Beyoncé', username_folded: 'beyonce' })
  })

  it('ends in the newest state whatever the order: save before create, late create after destroy', async () => {
    // Track 2: a save arrives before its create; the create is older than the save.
    await models.save('Track', 2, { title: ['Track 2', 'Renamed'], updated_at: [at(1), at(3)] })
    await models.create('Track', track(2))
    // Track 3: a destroy arrives first; a late (older) create and save must not bring it back.
    await models.destroy('Track', track(3, { updated_at: at(5) }))
    await models.create('Track', track(3))
    await models.save('Track', 3, { title: ['Track 3', 'Zombie'], updated_at: [at(1), at(2)] })
    await eventually(async () => {
      expect((await doc('tracks', 2))?.title).toBe('Renamed')
      expect((await doc('tracks', 3))?.visible).toBe(false)
    })
    expect(await doc('tracks', 3)).not.toHaveProperty('title')
  })

  it('never makes private or unfinished tracks searchable', async () => {
    await models.create('Track', track(4, { title: 'Secret Demo', sharing: 'private' }))
    await models.create('Track', track(5, { title: 'Secret Upload', state: 'processing' }))
    await eventually(async () => expect(await doc('tracks', 5)).toBeDefined())
    expect(await searchTitles('secret')).toEqual([])
    expect(await doc('tracks', 4)).not.toHaveProperty('title')
    // Publishing it later makes it visible.
    await models.save('Track', 4, { sharing: ['private', 'public'], updated_at: [at(1), at(6)] })
    await eventually(async () => expect(await searchTitles('secret')).toEqual(['Secret Demo']))
  })

  it("copies an artist's rename into all their tracks", async () => {
    await models.create('Track', track(6, { title: 'Another One' }))
    await eventually(async () => expect((await doc('tracks', 6))?.visible).toBe(true))
    await models.save('User', 500, {
      username: ['Beyoncé', 'Queen B'],
      verified: [false, true],
      updated_at: [at(1), at(7)],
    })
    await eventually(async () => {
      for (const id of [1, 6]) {
        expect((await doc('tracks', id))?.user).toMatchObject({ username: 'Queen B', verified: true })
      }
    })
  })

  it('dead-letters bad bodies with their reason while good events keep flowing', async () => {
    await models.raw('create.Track', Buffer.from('{broken'))
    await models.raw('create.Track', { ...track(7), duration: 'very long' })
    await models.raw('save.Track', { title: ['a', 'b'], updated_at: [at(1), at(2)] }) // no model_id
    await models.raw('save.Comment', { body: ['x', 'y'] }) // not ours: ignored, not an error
    await models.create('Track', track(8, { title: 'Still Flowing' }))
    await eventually(async () => expect((await doc('tracks', 8))?.visible).toBe(true))
    const model = await connection.waitForConnection(5_000)
    const channel = await model.createChannel()
    const reasons: string[] = []
    for (;;) {
      const message = await channel.get(env.topology.queues.searchIndexer.deadLetter, { noAck: true })
      if (!message) break
      reasons.push(String(message.properties.headers?.[DEATH_REASON_HEADER]))
    }
    await channel.close()
    expect(reasons).toHaveLength(3)
    expect(reasons.some((r) => r.startsWith('body is not JSON'))).toBe(true)
    expect(reasons.some((r) => r.includes('duration'))).toBe(true)
    expect(reasons.some((r) => r.includes('model_id'))).toBe(true)
  })

  it('random streams of creates, saves and destroys, duplicated and shuffled, end as if applied in order', async () => {
    const fields = ['title', 'genre', 'sharing', 'state', 'tag_list'] as const
    const values: Record<(typeof fields)[number], string[]> = {
      title: ['Alpha', 'Beta', 'Gamma', 'Délta'],
      genre: ['Rock', 'Jazz', 'Hip Hop'],
      sharing: ['public', 'private'],
      state: ['finished', 'processing', 'failed'],
      tag_list: ['a b', '"c d" e', ''],
    }
    const stream = fc.array(
      fc.record({
        track: fc.integer({ min: 100, max: 105 }),
        kind: fc.constantFrom('save', 'save', 'save', 'destroy'),
        field: fc.constantFrom(...fields),
        pick: fc.nat(10),
      }),
      { minLength: 5, maxLength: 40 },
    )
    const [steps] = fc.sample(stream, { seed: 42, numRuns: 1 })
    // The true history, in order: every track created at version 1, then the random saves and destroys.
    const history: { key: string; body: Record<string, unknown>; header?: number }[] = []
    const current = new Map<number, Record<string, unknown>>()
    for (let id = 100; id <= 105; id++) {
      const created = track(id, { updated_at: at(1) })
      current.set(id, created)
      history.push({ key: 'create.Track', body: created })
    }
    steps!.forEach((step, i) => {
      const updatedAt = new Date(Date.UTC(2026, 0, 2) + i * 60_000).toISOString()
      const now = current.get(step.track)!
      if (step.kind === 'destroy') {
        history.push({ key: 'destroy.Track', body: { ...now, updated_at: updatedAt } })
        return
      }
      const options = values[step.field]
      const value = options[step.pick % options.length]
      history.push({
        key: 'save.Track',
        body: { [step.field]: [now[step.field], value], updated_at: [now.updated_at, updatedAt] },
        header: step.track,
      })
      current.set(step.track, { ...now, [step.field]: value, updated_at: updatedAt })
    })
    // Expected: the same events applied once, in order, through the same pure state machine.
    const artist: ArtistInfo | undefined = artistInfo(
      applyChange(emptyState('User', 500), {
        model: 'User',
        action: 'create',
        id: 500,
        version: Date.parse(at(7)),
        fields: { username: 'Queen B', permalink: 'artist-500', verified: true },
      }).state,
    )
    const expected = new Map<number, Record<string, unknown>>()
    for (let id = 100; id <= 105; id++) {
      let state = emptyState('Track', id)
      for (const event of history) {
        const parsed = parseModelEvent(event.key, JSON.stringify(event.body), event.header)
        if (parsed.kind === 'change' && parsed.change.id === id)
          state = applyChange(state, parsed.change).state
      }
      expected.set(id, trackDocument(state, artist))
    }
    // Delivered: shuffled, with a third of the events sent twice.
    const delivered = fc.sample(
      fc.shuffledSubarray([...history, ...history.filter((_, i) => i % 3 === 0)], {
        minLength: history.length + Math.ceil(history.length / 3),
      }),
      { seed: 7, numRuns: 1 },
    )[0]!
    for (const event of delivered)
      await models.raw(event.key, event.body, event.header ? { model_id: event.header } : undefined)
    await eventually(
      async () => {
        for (let id = 100; id <= 105; id++) {
          const stored = await doc('tracks', id)
          const { user: storedUser, ...rest } = stored ?? {}
          const { user: expectedUser, ...expectedRest } = expected.get(id)!
          expect(rest).toEqual(expectedRest)
          if (expectedRest.visible) expect((storedUser as { username: string }).username).toBe('Queen B')
        }
      },
      { timeoutMs: 20_000 },
    )
  })
})
