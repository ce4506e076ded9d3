// Builds Elasticsearch queries for public search. User input only ever reaches Elasticsearch as values
// inside structured queries (match, term, range), never as query-string syntax, so Lucene operators in
// a search box are just characters. Every query goes through publicOnly(): the one place that keeps
// private, unfinished and destroyed records out of results, suggestions, facets and totals.
import type { estypes } from '@elastic/elasticsearch'
import { fold } from '../src/text.js'

/** The only way a search query is sent: wrapped so that only visible documents can match. */
export function publicOnly(query: estypes.QueryDslQueryContainer): estypes.QueryDslQueryContainer {
  return { bool: { must: [query], filter: [{ term: { visible: true } }] } }
}

/** Queries longer than this are cut: nobody types more, and long inputs only cost. */
const MAX_QUERY_CHARS = 200

/** Folded, control characters removed, whitespace collapsed, length capped. */
export function normalizeQuery(q: string | undefined): string {
  if (!q) return ''
  return fold(q)
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_QUERY_CHARS)
}

export interface TrackSearch {
  q: string
  genre?: string
  tag?: string
  license?: string
  durationMin?: number
  durationMax?: number
  createdFrom?: string
  createdTo?: string
  sort: 'relevance' | 'recent' | 'popular'
}

/** Title above artist name above tags above description; exact and phrase above partial; typos forgiven. */
export function trackQuery(search: TrackSearch): estypes.QueryDslQueryContainer {
  const filters: estypes.QueryDslQueryContainer[] = []
  if (search.genre) filters.push({ term: { genre: search.genre } })
  if (search.tag) filters.push({ term: { tags: search.tag } })
  if (search.license) filters.push({ term: { license: search.license } })
  if (search.durationMin !== undefined || search.durationMax !== undefined) {
    filters.push({ range: { duration: { gte: search.durationMin, lte: search.durationMax } } })
  }
  if (search.createdFrom || search.createdTo) {
    filters.push({ range: { created_at: { gte: search.createdFrom, lt: search.createdTo } } })
  }
  const text: estypes.QueryDslQueryContainer = search.q
    ? {
        bool: {
          should: [
            { term: { 'title.exact': { value: search.q, boost: 10 } } },
            { match_phrase: { title_folded: { query: search.q, boost: 6 } } },
            { match: { 'title_folded.pairs': { query: search.q, boost: 3 } } },
            { match_phrase_prefix: { title_folded: { query: search.q, boost: 2 } } },
            {
              multi_match: {
                query: search.q,
                fields: ['title_folded^4', 'user.username_folded^3'],
                fuzziness: 'AUTO',
                prefix_length: 1,
                operator: 'and',
              },
            },
            {
              multi_match: {
                query: search.q,
                fields: ['tags_folded^2', 'description_folded^0.5'],
                operator: 'and',
              },
            },
            { match: { 'user.username_folded': { query: search.q, boost: 2 } } },
          ],
          minimum_should_match: 1,
        },
      }
    : { match_all: {} }
  return publicOnly({
    function_score: {
      query: { bool: { must: [text], filter: filters } },
      // Gentle lifts, added to the text score (a title match scores tens): plays of the last 7 days and
      // likes from the stats pipeline (popularity-job.ts), recent uploads, verified artists.
      functions: [
        {
          field_value_factor: {
            field: 'popularity.plays_recent',
            modifier: 'log1p',
            factor: 0.5,
            missing: 0,
          },
        },
        {
          field_value_factor: { field: 'popularity.likes_total', modifier: 'log1p', factor: 0.5, missing: 0 },
        },
        { gauss: { created_at: { origin: 'now', scale: '365d', offset: '30d', decay: 0.5 } }, weight: 1 },
        { filter: { term: { 'user.verified': true } }, weight: 1 },
      ],
      score_mode: 'sum',
      boost_mode: 'sum',
    },
  })
}

export function trackSort(sort: TrackSearch['sort']): estypes.SortCombinations[] {
  // A stable tiebreak on id makes search_after cursors exact.
  if (sort === 'recent') return [{ created_at: { order: 'desc', missing: '_last' } }, { id: 'asc' }]
  if (sort === 'popular')
    return [{ 'popularity.plays_total': { order: 'desc', missing: '_last' } }, { id: 'asc' }]
  return [{ _score: { order: 'desc' } }, { id: 'asc' }]
}

export interface UserSearch {
  q: string
  countryCode?: string
  verified?: boolean
}

export function userQuery(search: UserSearch): estypes.QueryDslQueryContainer {
  const filters: estypes.QueryDslQueryContainer[] = []
  if (search.countryCode) filters.push({ term: { country_code: search.countryCode } })
  if (search.verified !== undefined) filters.push({ term: { verified: search.verified } })
  const text: estypes.QueryDslQueryContainer = search.q
    ? {
        bool: {
          should: [
            { term: { 'username.exact': { value: search.q, boost: 10 } } },
            { match_phrase_prefix: { username_folded: { query: search.q, boost: 3 } } },
            {
              multi_match: {
                query: search.q,
                fields: ['username_folded^3', 'full_name_folded^2', 'description_folded^0.3'],
                fuzziness: 'AUTO',
                prefix_length: 1,
              },
            },
          ],
          minimum_should_match: 1,
        },
      }
    : { match_all: {} }
  return publicOnly({
    function_score: {
      query: { bool: { must: [text], filter: filters } },
      // A gentle lift for people others follow, and for verified artists.
      functions: [
        { field_value_factor: { field: 'followers_count', modifier: 'log1p', missing: 0 } },
        { filter: { term: { verified: true } }, weight: 1.2 },
      ],
      score_mode: 'sum',
      boost_mode: 'sum',
    },
  })
}

/** Opaque cursors: the last hit's sort values, base64url-encoded JSON. */
export function encodeCursor(sort: unknown[] | undefined): string | null {
  return sort ? Buffer.from(JSON.stringify(sort)).toString('base64url') : null
}

export function decodeCursor(cursor: string): estypes.SortResults | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (
      Array.isArray(value) &&
      value.length <= 4 &&
      value.every((v) => ['number', 'string'].includes(typeof v) || v === null)
    ) {
      return value as estypes.SortResults
    }
  } catch {
    // fall through
  }
  return undefined
}
