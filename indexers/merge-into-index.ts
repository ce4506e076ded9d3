// Merges record states into an index: read what the index holds, join (record-state.ts), write back
// with optimistic concurrency, and go round again for the records someone else wrote meanwhile. The
// live indexer merges the states of a batch's events; a rebuild merges an old index's states and a
// snapshot's records. Joins commute, so all of them can run at once against the same index.
import type { Client } from '@elastic/elasticsearch'
import type { ModelClass } from '../src/contracts/model-events.js'
import { type ArtistInfo, artistInfo, trackDocument, userDocument } from './documents.js'
import { readStates, type WriteRequest, writeDocuments } from './index-store.js'
import { joinStates, type RecordState } from './record-state.js'

const MAX_CONFLICT_ROUNDS = 5

export interface MergeTarget {
  es: Client
  /** The alias (or index) to merge into. */
  index: string
  /** Where tracks read their artist's fields from. */
  usersIndex: string
  /** `index` is an alias that may disappear (live writes): never create an index in its place. */
  requireAlias?: boolean
  /**
   * Records carrying a create are usually new: write them as creates without reading first. One that
   * exists after all is refused (409) and merged in the next round like any conflict.
   */
  createsWithoutRead?: boolean
}

export interface MergeResult {
  written: number
  conflicts: number
  /** Records whose documents Elasticsearch refused (a mapping error): retrying cannot help. */
  rejected: Map<number, string>
  /** Artists whose copied fields (username, permalink, verified) changed: their tracks need them. */
  changedArtists: Map<number, ArtistInfo | undefined>
  /** Every incoming record's state as the index now holds it (callers need not read it back). */
  states: Map<number, RecordState>
}

/** Throws when Elasticsearch is unreachable or asks to retry (429, 5xx): the caller retries it all. */
export async function mergeIntoIndex(
  target: MergeTarget,
  model: ModelClass,
  incoming: Map<number, RecordState>,
): Promise<MergeResult> {
  const result: MergeResult = {
    written: 0,
    conflicts: 0,
    rejected: new Map(),
    changedArtists: new Map(),
    states: new Map(),
  }
  let pending = incoming
  for (let round = 0; pending.size > 0; round++) {
    if (round === MAX_CONFLICT_ROUNDS) throw new Error(`${pending.size} ${model} writes kept conflicting`)
    const unread =
      round === 0 && target.createsWithoutRead
        ? new Set([...pending.values()].filter((s) => s.createdVersion !== null).map((s) => s.id))
        : new Set<number>()
    const stored = await readStates(
      target.es,
      target.index,
      model,
      [...pending.keys()].filter((id) => !unread.has(id)),
    )
    const merged = new Map<number, RecordState>()
    for (const [id, state] of pending) {
      const before = stored.get(id)?.state
      const after = before ? joinStates(before, state) : state
      result.states.set(id, after)
      if (before && JSON.stringify(after) === JSON.stringify(before)) continue // nothing new
      merged.set(id, after)
      if (model === 'User') {
        const was = artistInfo(before)
        const now = artistInfo(after)
        if (!sameArtist(was, now)) result.changedArtists.set(id, now)
      }
    }
    const artists =
      model === 'Track' ? await artistsOf(target, [...merged.values()]) : new Map<number, ArtistInfo>()
    const requests: WriteRequest[] = [...merged].map(([id, state]) => {
      const found = stored.get(id)
      return {
        id,
        document:
          model === 'User'
            ? userDocument(state)
            : {
                ...trackDocument(state, artists.get(state.fields.user_id as number)),
                // The popularity job's figures stay: the write is conditional on the version read with them.
                ...(found?.popularity === undefined ? {} : { popularity: found.popularity }),
              },
        expected: found ? { seqNo: found.seqNo, primaryTerm: found.primaryTerm } : undefined,
      }
    })
    const written = await writeDocuments(target.es, target.index, requests, {
      requireAlias: target.requireAlias,
    })
    const conflicted = new Map<number, RecordState>()
    for (const item of written) {
      if (item.status === 'ok') result.written++
      else if (item.status === 'conflict') conflicted.set(item.id, pending.get(item.id)!)
      else if (item.status === 'retry') throw new Error(`Elasticsearch asked to retry: ${item.reason}`)
      else result.rejected.set(item.id, item.reason)
    }
    result.conflicts += conflicted.size
    pending = conflicted
  }
  return result
}

async function artistsOf(target: MergeTarget, tracks: RecordState[]): Promise<Map<number, ArtistInfo>> {
  const ids = [
    ...new Set(tracks.map((t) => t.fields.user_id).filter((id): id is number => typeof id === 'number')),
  ]
  const stored = await readStates(target.es, target.usersIndex, 'User', ids)
  const artists = new Map<number, ArtistInfo>()
  for (const [id, { state }] of stored) {
    const info = artistInfo(state)
    if (info) artists.set(id, info)
  }
  return artists
}

function sameArtist(a: ArtistInfo | undefined, b: ArtistInfo | undefined): boolean {
  if (!a || !b) return a === b
  return a.username === b.username && a.permalink === b.permalink && a.verified === b.verified
}
