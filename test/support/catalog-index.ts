// Writes a relevance catalog (relevance-catalog.ts) into track and user indexes as the indexer writes
// documents, with popularity as the popularity job writes it. Used by the relevance test and the
// search benchmark.
import type { Client } from '@elastic/elasticsearch'
import { ensureIndex } from '../../indexers/index-store.js'
import { trackIndex, userIndex } from '../../indexers/mappings.js'
import { mergeIntoIndex } from '../../indexers/merge-into-index.js'
import { createdStates, trackRecord, userRecord } from './records.js'
import type { CatalogTrack, CatalogUser } from './relevance-catalog.js'

export async function indexCatalog(
  es: Client,
  aliases: { tracks: string; users: string },
  catalog: { users: CatalogUser[]; tracks: CatalogTrack[] },
  onProgress?: (indexed: number) => void,
): Promise<void> {
  await ensureIndex(es, userIndex, aliases.users)
  await ensureIndex(es, trackIndex, aliases.tracks)
  await mergeIntoIndex(
    { es, index: aliases.users, usersIndex: aliases.users },
    'User',
    createdStates(
      'User',
      catalog.users.map((user) => userRecord(user.id, { ...user, permalink: `u-${user.id}` })),
    ),
  )
  await es.indices.refresh({ index: aliases.users })
  const chunk = 5_000
  for (let i = 0; i < catalog.tracks.length; i += chunk) {
    const part = catalog.tracks.slice(i, i + chunk)
    await mergeIntoIndex(
      { es, index: aliases.tracks, usersIndex: aliases.users },
      'Track',
      createdStates(
        'Track',
        part.map(({ plays_recent: _, likes_total: __, ...track }) =>
          trackRecord(track.id, {
            ...track,
            permalink: `t-${track.id}`,
            description: 'a song',
            updated_at: track.created_at,
          }),
        ),
      ),
    )
    const operations = part.flatMap((track) => [
      { update: { _index: aliases.tracks, _id: String(track.id) } },
      {
        doc: {
          popularity: {
            plays_recent: track.plays_recent,
            plays_total: track.plays_recent * 20,
            likes_total: track.likes_total,
          },
        },
      },
    ])
    const response = await es.bulk({ operations })
    if (response.errors) throw new Error('a popularity update was refused')
    onProgress?.(Math.min(i + chunk, catalog.tracks.length))
  }
  await es.indices.refresh({ index: aliases.tracks })
}
