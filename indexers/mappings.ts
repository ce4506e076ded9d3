// Index definitions for tracks and users, built only from analysis that core Elasticsearch has (the
// test distribution lacks analysis-common): the standard analyzer, a shingle filter for phrase-ish
// matches, `index_prefixes` for as-you-type, `completion` for suggestions and the `lowercase`
// normalizer for exact keywords. Diacritics are folded in our code (indexers/text.ts) into the
// `*_folded` fields, and queries are folded the same way.
//
// Aliases `tracks` and `users` point at versioned concrete indexes (`tracks_v<N>_<stamp>`), so a
// rebuild fills a new index and swaps the alias atomically.
import type { estypes } from '@elastic/elasticsearch'

/** Bumped when the mapping changes incompatibly; part of every concrete index name. */
export const MAPPING_VERSION = 1

const settings: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  number_of_replicas: 0,
  refresh_interval: '1s',
  analysis: {
    filter: {
      word_pairs: { type: 'shingle', min_shingle_size: 2, max_shingle_size: 2, output_unigrams: false },
    },
    analyzer: { pairs: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'word_pairs'] } },
    normalizer: { folded_keyword: { type: 'custom', filter: ['lowercase'] } },
  },
}

/** A name or title: the original words, their folded form with prefixes and word pairs, an exact key. */
const searchableText = (): estypes.MappingProperty => ({
  type: 'text',
  analyzer: 'standard',
  fields: { exact: { type: 'keyword', normalizer: 'folded_keyword', ignore_above: 256 } },
})

const foldedText = (): estypes.MappingProperty => ({
  type: 'text',
  analyzer: 'standard',
  index_prefixes: { min_chars: 1, max_chars: 10 },
  fields: { pairs: { type: 'text', analyzer: 'pairs' } },
})

/** What the indexer keeps to merge later events (attribute values and their versions): stored, never indexed. */
const state: estypes.MappingProperty = { type: 'object', enabled: false }

export const trackIndex = {
  alias: 'tracks',
  settings,
  mappings: {
    dynamic: 'strict',
    properties: {
      id: { type: 'long' },
      user_id: { type: 'long' },
      // Only documents with visible=true may ever be returned: public, finished, not destroyed.
      visible: { type: 'boolean' },
      title: searchableText(),
      title_folded: foldedText(),
      permalink: { type: 'keyword' },
      description_folded: { type: 'text', analyzer: 'standard' },
      genre: { type: 'keyword', normalizer: 'folded_keyword' },
      tags: { type: 'keyword', normalizer: 'folded_keyword' },
      tags_folded: { type: 'text', analyzer: 'standard' },
      duration: { type: 'long' },
      license: { type: 'keyword' },
      label_name: { type: 'keyword' },
      bpm: { type: 'float' },
      release_date: { type: 'keyword' },
      streamable: { type: 'boolean' },
      downloadable: { type: 'boolean' },
      created_at: { type: 'date' },
      updated_at: { type: 'date' },
      user: {
        properties: {
          id: { type: 'long' },
          username: searchableText(),
          username_folded: foldedText(),
          permalink: { type: 'keyword' },
          verified: { type: 'boolean' },
          version: { type: 'long' },
        },
      },
      suggest: { type: 'completion', analyzer: 'standard', preserve_separators: true, max_input_length: 100 },
      popularity: {
        properties: {
          plays_recent: { type: 'long' },
          plays_total: { type: 'long' },
          likes_total: { type: 'long' },
        },
      },
      merge_state: state,
    },
  } satisfies estypes.MappingTypeMapping,
} as const

export const userIndex = {
  alias: 'users',
  settings,
  mappings: {
    dynamic: 'strict',
    properties: {
      id: { type: 'long' },
      visible: { type: 'boolean' },
      username: searchableText(),
      username_folded: foldedText(),
      full_name: { type: 'text', analyzer: 'standard' },
      full_name_folded: foldedText(),
      permalink: { type: 'keyword' },
      description_folded: { type: 'text', analyzer: 'standard' },
      city: { type: 'keyword', normalizer: 'folded_keyword' },
      country_code: { type: 'keyword' },
      avatar_url: { type: 'keyword', index: false },
      followers_count: { type: 'long' },
      followings_count: { type: 'long' },
      track_count: { type: 'long' },
      verified: { type: 'boolean' },
      created_at: { type: 'date' },
      updated_at: { type: 'date' },
      suggest: { type: 'completion', analyzer: 'standard', preserve_separators: true, max_input_length: 100 },
      merge_state: state,
    },
  } satisfies estypes.MappingTypeMapping,
} as const

export type IndexDefinition = typeof trackIndex | typeof userIndex
