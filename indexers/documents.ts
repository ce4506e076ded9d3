// From a record's state to the document Elasticsearch holds. Only visible records (tracks: public,
// finished, not destroyed; users: not destroyed) get searchable fields; every other document holds its
// id, `visible: false` and the merge state, so a bug in a query can never surface a private title.

import { fold, parseTags } from '../src/text.js'
import { isAlive, type RecordState } from './record-state.js'

/** What a track document copies from its artist. */
export interface ArtistInfo {
  id: number
  username: string
  permalink: string
  verified: boolean
  /** The artist record's version these values come from. */
  version: number
}

export type MergeState = Omit<RecordState, 'model' | 'id'>

function mergeState(state: RecordState): MergeState {
  const { model: _model, id: _id, ...rest } = state
  return rest
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const nonEmpty = (value: string | undefined) => (value ? value : undefined)

export function trackVisible(state: RecordState): boolean {
  return isAlive(state) && state.fields.sharing === 'public' && state.fields.state === 'finished'
}

// The documents are written as literals without spreading a common base: V8 builds `{ ...base, <20
// more fields> }` one property at a time in its runtime, 15 us a document, most of an indexer's CPU.
export function trackDocument(state: RecordState, artist: ArtistInfo | undefined): Record<string, unknown> {
  const f = state.fields
  if (!trackVisible(state)) return { id: state.id, merge_state: mergeState(state), visible: false }
  const title = str(f.title) ?? ''
  const tags = parseTags(str(f.tag_list))
  const username = artist?.username ?? ''
  return {
    id: state.id,
    merge_state: mergeState(state),
    visible: true,
    user_id: typeof f.user_id === 'number' ? f.user_id : null,
    title,
    title_folded: fold(title),
    permalink: str(f.permalink) ?? null,
    description_folded: fold(str(f.description) ?? ''),
    genre: nonEmpty(str(f.genre)) ?? null,
    tags,
    tags_folded: tags.map(fold).join(' | '),
    duration: typeof f.duration === 'number' ? f.duration : null,
    license: nonEmpty(str(f.license)) ?? null,
    label_name: nonEmpty(str(f.label_name)) ?? null,
    bpm: typeof f.bpm === 'number' ? f.bpm : null,
    release_date: nonEmpty(str(f.release_date)) ?? null,
    streamable: f.streamable === true,
    downloadable: f.downloadable === true,
    created_at: str(f.created_at) ?? null,
    updated_at: new Date(state.version).toISOString(),
    user: artist
      ? {
          id: artist.id,
          username,
          username_folded: fold(username),
          permalink: artist.permalink,
          verified: artist.verified,
          version: artist.version,
        }
      : null,
    suggest: { input: [fold(title), ...(username ? [fold(`${username} ${title}`)] : [])].filter(Boolean) },
  }
}

export function userDocument(state: RecordState): Record<string, unknown> {
  const f = state.fields
  if (!isAlive(state)) return { id: state.id, merge_state: mergeState(state), visible: false }
  const username = str(f.username) ?? ''
  const fullName = str(f.full_name) ?? ''
  return {
    id: state.id,
    merge_state: mergeState(state),
    visible: true,
    username,
    username_folded: fold(username),
    full_name: fullName || null,
    full_name_folded: fold(fullName),
    permalink: str(f.permalink) ?? null,
    description_folded: fold(str(f.description) ?? ''),
    city: nonEmpty(str(f.city)) ?? null,
    country_code: nonEmpty(str(f.country_code)) ?? null,
    avatar_url: str(f.avatar_url) ?? null,
    followers_count: typeof f.followers_count === 'number' ? f.followers_count : 0,
    followings_count: typeof f.followings_count === 'number' ? f.followings_count : 0,
    track_count: typeof f.track_count === 'number' ? f.track_count : 0,
    verified: f.verified === true,
    created_at: str(f.created_at) ?? null,
    updated_at: new Date(state.version).toISOString(),
    suggest: { input: [fold(username), ...(fullName ? [fold(fullName)] : [])].filter(Boolean) },
  }
}

/** The artist fields a track copies, from the artist's state (undefined while the artist is unknown). */
export function artistInfo(state: RecordState | undefined): ArtistInfo | undefined {
  if (!state || !isAlive(state)) return undefined
  return {
    id: state.id,
    username: str(state.fields.username) ?? '',
    permalink: str(state.fields.permalink) ?? '',
    verified: state.fields.verified === true,
    version: state.version,
  }
}

/** Reads a stored document's merge state back into a RecordState. */
export function stateOfDocument(
  model: RecordState['model'],
  id: number,
  source: unknown,
): RecordState | undefined {
  const stored = (source as { merge_state?: MergeState } | undefined)?.merge_state
  if (!stored) return undefined
  return { model, id, ...stored }
}
