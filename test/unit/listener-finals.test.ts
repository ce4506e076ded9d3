// The kept listeners of settled days: when a kept count may stand for a bucket, and how many are kept.
import { describe, expect, it } from 'vitest'
import { type FinalListeners, ListenerFinals, stillHolds } from '../../rollups/listener-finals.js'
import type { Totals } from '../../rollups/stats-reader.js'

const totals = (counts: Partial<Totals> = {}): Totals => ({
  plays: 10,
  listeners: 4,
  likes: 2,
  reposts: 1,
  comments: 0,
  downloads: 3,
  ...counts,
})

/** Kept from a bucket with totals() whose newest event was logged at 1,000. */
const kept: FinalListeners = { events: 16, logged: 1_000, listeners: 4 }

describe('stillHolds', () => {
  it('holds while the summed counts and the newest logged time are unchanged', () => {
    expect(stillHolds(kept, totals(), 1_000)).toBe(true)
    // The listeners the query answered for a kept day are not finalized (zero): they do not matter.
    expect(stillHolds(kept, totals({ listeners: 0 }), 1_000)).toBe(true)
  })

  it('fails once any of the five counts grew, or a newer event was logged', () => {
    for (const metric of ['plays', 'likes', 'reposts', 'comments', 'downloads'] as const) {
      expect(stillHolds(kept, totals({ [metric]: totals()[metric] + 1 }), 1_000)).toBe(false)
    }
    expect(stillHolds(kept, totals(), 1_001)).toBe(false)
  })
})

describe('ListenerFinals', () => {
  it('keeps the newest buckets up to its capacity, the oldest set going first', () => {
    const finals = new ListenerFinals(2)
    finals.set('a', kept)
    finals.set('b', kept)
    finals.set('c', kept)
    expect(finals.size).toBe(2)
    expect(finals.get('a')).toBeUndefined()
    expect(finals.get('b')).toEqual(kept)
    expect(finals.get('c')).toEqual(kept)
  })

  it('counts a bucket set again as the newest', () => {
    const finals = new ListenerFinals(2)
    finals.set('a', kept)
    finals.set('b', kept)
    finals.set('a', { ...kept, listeners: 5 })
    finals.set('c', kept)
    expect(finals.get('b')).toBeUndefined()
    expect(finals.get('a')?.listeners).toBe(5)
  })

  it('forgets a deleted bucket', () => {
    const finals = new ListenerFinals()
    finals.set('a', kept)
    finals.delete('a')
    expect(finals.get('a')).toBeUndefined()
    expect(finals.size).toBe(0)
  })
})
