import { type RecordState, stateOfChange } from '../../indexers/record-state.js'
import { parseModelEvent } from '../../src/contracts/model-events.js'
// Valid Track and User attributes as a create event carries them (CONTRACT section 1), for tests.
// Override what a test is about; the rest stays valid.

/** 2026-01-<day> at <hour>:00 UTC, ISO-8601. */
export const day = (d: number, hour = 0) => new Date(Date.UTC(2026, 0, d, hour)).toISOString()

export function trackRecord(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    user_id: 500,
    title: `Track ${id}`,
    permalink: `track-${id}`,
    description: 'A song',
    genre: 'Electronic',
    tag_list: 'synth "dream pop"',
    duration: 200_000,
    sharing: 'public',
    state: 'finished',
    streamable: true,
    downloadable: false,
    license: 'all-rights-reserved',
    label_name: null,
    release_date: null,
    bpm: 120,
    created_at: day(1),
    updated_at: day(1),
    ...overrides,
  }
}

export function userRecord(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    username: `artist${id}`,
    permalink: `artist-${id}`,
    full_name: null,
    description: null,
    city: 'Berlin',
    country_code: 'DE',
    avatar_url: null,
    followers_count: 10,
    followings_count: 1,
    track_count: 1,
    verified: false,
    created_at: day(1),
    updated_at: day(1),
    ...overrides,
  }
}

/** Records as the indexer holds them after their create events (for writing indexes directly). */
export function createdStates(
  model: 'Track' | 'User',
  records: Record<string, unknown>[],
): Map<number, RecordState> {
  const out = new Map<number, RecordState>()
  for (const record of records) {
    const parsed = parseModelEvent(`create.${model}`, JSON.stringify(record))
    if (parsed.kind !== 'change') throw new Error(parsed.reason)
    out.set(parsed.change.id, stateOfChange(parsed.change))
  }
  return out
}
