// The indexer's ordering guarantee as a property: whatever order model events arrive in, and however
// often each arrives, the state equals that of the same events applied once, in order.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyChange,
  emptyState,
  isAlive,
  joinStates,
  materialize,
  type RecordState,
  stateOfChange,
} from '../../indexers/record-state.js'
import type { ModelChange } from '../../src/contracts/model-events.js'

const FIELDS = ['title', 'genre', 'sharing', 'state', 'tag_list']

/** A record's true history: a create, saves of some fields, maybe a destroy, maybe a re-create. */
const history = fc
  .record({
    saves: fc.array(fc.subarray(FIELDS, { minLength: 1 }), { maxLength: 8 }),
    destroyAt: fc.option(fc.nat(9), { nil: undefined }),
    recreate: fc.boolean(),
    values: fc.array(fc.string({ maxLength: 3 }), { minLength: 60, maxLength: 60 }),
  })
  .map(({ saves, destroyAt, recreate, values }) => {
    let version = 1_000
    let v = 0
    const value = () => values[v++ % values.length]
    const events: ModelChange[] = [
      {
        model: 'Track',
        action: 'create',
        id: 1,
        version,
        fields: Object.fromEntries(FIELDS.map((f) => [f, value()])),
      },
    ]
    saves.forEach((fields, i) => {
      version += 1 + (i % 3)
      if (destroyAt === i)
        events.push({ model: 'Track', action: 'destroy', id: 1, version: version++, fields: {} })
      events.push({
        model: 'Track',
        action: 'save',
        id: 1,
        version,
        fields: Object.fromEntries(fields.map((f) => [f, value()])),
      })
    })
    if (destroyAt !== undefined && recreate) {
      events.push({
        model: 'Track',
        action: 'create',
        id: 1,
        version: version + 10,
        fields: Object.fromEntries(FIELDS.map((f) => [f, value()])),
      })
    }
    return events
  })

/** The same events as delivered: some of them more than once, all in a random order. */
const delivery = history.chain((events) =>
  fc.array(fc.nat(events.length - 1), { maxLength: 10 }).chain((repeats) => {
    const all = [...events, ...repeats.map((i) => events[i]!)]
    return fc.shuffledSubarray(all, { minLength: all.length }).map((delivered) => ({ events, delivered }))
  }),
)

const fold = (events: ModelChange[]): RecordState =>
  events.reduce((state, change) => applyChange(state, change).state, emptyState('Track', 1))

describe('record state', () => {
  it('ends in the same state whatever the order and duplication of delivery', () => {
    fc.assert(
      fc.property(delivery, ({ events, delivered }) => {
        // The whole state, not just what is shown: the stored merge state must converge too.
        expect(fold(delivered)).toEqual(fold(events))
      }),
      { numRuns: 500 },
    )
  })

  it('joins states like applying their events: commutative, associative, idempotent', () => {
    fc.assert(
      fc.property(delivery, fc.nat(), ({ events, delivered }, cut) => {
        const split = cut % (delivered.length + 1)
        const left = fold(delivered.slice(0, split))
        const right = fold(delivered.slice(split))
        const all = fold(events)
        expect(joinStates(left, right)).toEqual(all)
        expect(joinStates(right, left)).toEqual(all)
        expect(joinStates(all, all)).toEqual(all)
        const viaJoin = delivered.reduce(
          (state, change) => joinStates(state, stateOfChange(change)),
          emptyState('Track', 1),
        )
        expect(viaJoin).toEqual(all)
      }),
      { numRuns: 300 },
    )
  })

  it('builds the state of one event as applying it to an empty state does', () => {
    fc.assert(
      fc.property(history, (events) => {
        // Also before 1970 (a negative version), where the empty state's version 0 stays the newest.
        for (const change of [...events, ...events.map((e) => ({ ...e, version: -e.version }))]) {
          expect(stateOfChange(change)).toEqual(applyChange(emptyState('Track', 1), change).state)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('never brings a destroyed record back through an older create or save', () => {
    const create: ModelChange = {
      model: 'Track',
      action: 'create',
      id: 1,
      version: 10,
      fields: { title: 'a' },
    }
    const save: ModelChange = { model: 'Track', action: 'save', id: 1, version: 20, fields: { title: 'b' } }
    const destroy: ModelChange = { model: 'Track', action: 'destroy', id: 1, version: 30, fields: {} }
    const state = fold([destroy, save, create])
    expect(isAlive(state)).toBe(false)
    expect(materialize(state)).toEqual({ status: 'destroyed', id: 1, version: 30 })
  })

  it('keeps a save that arrives before its create, and shows the record only once the create is there', () => {
    const save: ModelChange = { model: 'Track', action: 'save', id: 1, version: 20, fields: { title: 'new' } }
    const create: ModelChange = {
      model: 'Track',
      action: 'create',
      id: 1,
      version: 10,
      fields: { title: 'old', genre: 'x' },
    }
    const pending = fold([save])
    expect(materialize(pending).status).toBe('pending')
    expect(materialize(fold([save, create]))).toEqual({
      status: 'alive',
      id: 1,
      version: 20,
      fields: { title: 'new', genre: 'x' },
    })
  })

  it('keeps a late save of one field when a newer save changed another', () => {
    const create: ModelChange = {
      model: 'Track',
      action: 'create',
      id: 1,
      version: 10,
      fields: { title: 'a', genre: 'g' },
    }
    const older: ModelChange = { model: 'Track', action: 'save', id: 1, version: 20, fields: { title: 'b' } }
    const newer: ModelChange = { model: 'Track', action: 'save', id: 1, version: 30, fields: { genre: 'h' } }
    expect(materialize(fold([create, newer, older]))).toEqual({
      status: 'alive',
      id: 1,
      version: 30,
      fields: { title: 'b', genre: 'h' },
    })
  })

  it('reports no change for a duplicate', () => {
    const create: ModelChange = {
      model: 'Track',
      action: 'create',
      id: 1,
      version: 10,
      fields: { title: 'a' },
    }
    const once = applyChange(emptyState('Track', 1), create).state
    expect(applyChange(once, create).changed).toBe(false)
  })
})
