// A generated catalog for the relevance test set: a few dozen known artists and tracks (diacritics,
// multi-word tags, near-duplicate titles: remixes, live versions, covers by others) among about 3,000
// generated tracks whose titles reuse the same words, and a table of queries with the results a
// listener would expect at the top (graded: 3 the one they mean, 2 a close version, 1 acceptable).
import { random } from '../../src/workload/stats-workload.js'

export interface CatalogUser {
  id: number
  username: string
  full_name: string | null
  country_code: string
  verified: boolean
  followers_count: number
}

export interface CatalogTrack {
  id: number
  user_id: number
  title: string
  genre: string
  tag_list: string
  created_at: string
  /** Plays of the last 7 days and likes, as the popularity job would copy them. */
  plays_recent: number
  likes_total: number
}

export interface Judgement {
  q: string
  /** track id -> grade */
  grades: Record<number, number>
}

const KNOWN_USERS: [number, string, string | null, string, boolean, number][] = [
  [1, 'Beyoncé', 'Beyoncé Knowles', 'US', true, 9_000_000],
  [2, 'Motörhead', null, 'GB', true, 800_000],
  [3, 'M83', 'Anthony Gonzalez', 'FR', true, 1_200_000],
  [4, 'Björk', 'Björk Guðmundsdóttir', 'IS', true, 2_000_000],
  [5, 'Sigur Rós', null, 'IS', true, 900_000],
  [6, 'Beach House', null, 'US', true, 700_000],
  [7, 'Cocteau Twins', null, 'GB', false, 300_000],
  [8, 'Röyksopp', null, 'NO', true, 600_000],
  [9, 'Måneskin', null, 'IT', true, 3_000_000],
  [10, 'Céline Dion', 'Céline Marie Claudette Dion', 'CA', true, 5_000_000],
  [11, 'Ólafur Arnalds', null, 'IS', true, 500_000],
  [12, 'Antonín Dvořák', null, 'CZ', false, 100_000],
  [13, 'Goldie', null, 'GB', true, 200_000],
  [14, 'Lofi Girl', null, 'FR', true, 4_000_000],
  [15, 'nightdriver', 'Some Fan', 'DE', false, 120],
  [16, 'halo kid', null, 'US', false, 80],
]

/** [id, user, title, genre, tags, plays of the last 7 days, likes, created year] */
const KNOWN_TRACKS: [number, number, string, string, string, number, number, number][] = [
  [101, 1, 'Halo', 'Pop', 'pop "r&b"', 90_000, 400_000, 2008],
  [102, 1, 'Halo (Live)', 'Pop', 'pop live', 4_000, 9_000, 2010],
  [103, 1, 'Single Ladies (Put a Ring on It)', 'Pop', 'pop dance', 70_000, 350_000, 2008],
  [104, 1, 'Crazy in Love', 'Pop', 'pop "r&b"', 80_000, 380_000, 2003],
  [105, 16, 'Halo Remix', 'Electronic', 'remix', 30, 4, 2025],
  [106, 15, 'Crazy in Love (Cover)', 'Acoustic', 'cover acoustic', 20, 3, 2025],
  [201, 2, 'Ace of Spades', 'Rock', 'metal "hard rock"', 50_000, 200_000, 1980],
  [202, 2, 'Overkill', 'Rock', 'metal "speed metal"', 12_000, 60_000, 1979],
  [301, 3, 'Midnight City', 'Electronic', 'synthpop "dream pop"', 60_000, 300_000, 2011],
  [302, 3, 'Midnight City (Eric Prydz Remix)', 'Electronic', 'remix house', 8_000, 30_000, 2012],
  [303, 15, 'Midnight in the City', 'Electronic', 'synth', 40, 5, 2024],
  [401, 4, 'Jóga', 'Electronic', 'art pop', 20_000, 90_000, 1997],
  [402, 4, 'Army of Me', 'Electronic', 'art pop industrial', 15_000, 70_000, 1995],
  [501, 5, 'Hoppípolla', 'Post-Rock', 'post-rock ambient', 25_000, 120_000, 2005],
  [502, 5, 'Svefn-g-englar', 'Post-Rock', 'post-rock ambient', 9_000, 50_000, 1999],
  [601, 6, 'Space Song', 'Indie', '"dream pop" indie', 45_000, 220_000, 2015],
  [602, 6, 'Myth', 'Indie', '"dream pop" indie', 20_000, 90_000, 2012],
  [701, 7, 'Heaven or Las Vegas', 'Indie', '"dream pop" shoegaze', 15_000, 80_000, 1990],
  [801, 8, 'Eple', 'Electronic', 'electronica chill', 14_000, 60_000, 2001],
  [901, 9, "Beggin'", 'Rock', 'rock italian', 70_000, 300_000, 2021],
  [902, 9, 'Zitti e buoni', 'Rock', 'rock italian eurovision', 40_000, 180_000, 2021],
  [1001, 10, 'My Heart Will Go On', 'Pop', 'pop ballad soundtrack', 50_000, 250_000, 1997],
  [1101, 11, 'Saman', 'Classical', 'neoclassical piano', 10_000, 40_000, 2018],
  [1102, 11, 'Near Light', 'Classical', 'neoclassical ambient', 12_000, 45_000, 2013],
  [1201, 12, 'Symphony No. 9 "From the New World"', 'Classical', 'classical symphony', 6_000, 20_000, 1893],
  [1301, 13, 'Inner City Life', 'Drum & Bass', '"drum and bass" jungle', 9_000, 30_000, 1994],
  [1302, 15, 'Night Bus', 'Drum & Bass', '"drum and bass" liquid', 60, 9, 2025],
  [1401, 14, 'Snowman', 'Hip-hop', '"lo-fi hip hop" chill beats', 30_000, 100_000, 2020],
  [1402, 14, 'Coffee Break', 'Hip-hop', '"lo-fi hip hop" study', 25_000, 80_000, 2021],
]

export const JUDGEMENTS: Judgement[] = [
  { q: 'halo', grades: { 101: 3, 102: 2, 105: 1 } },
  { q: 'beyonce halo', grades: { 101: 3, 102: 2 } },
  { q: 'beyonce', grades: { 101: 3, 103: 3, 104: 3, 102: 2 } },
  { q: 'motorhead', grades: { 201: 3, 202: 3 } },
  { q: 'motorhead ace of spades', grades: { 201: 3 } },
  { q: 'ace of spa', grades: { 201: 3 } },
  { q: 'midnight city', grades: { 301: 3, 302: 2, 303: 1 } },
  { q: 'midnigth city', grades: { 301: 3, 302: 2, 303: 1 } },
  { q: 'bjork joga', grades: { 401: 3 } },
  { q: 'joga', grades: { 401: 3 } },
  { q: 'bjork', grades: { 401: 3, 402: 3 } },
  { q: 'sigur ros', grades: { 501: 3, 502: 3 } },
  { q: 'hoppipolla', grades: { 501: 3 } },
  { q: 'dream pop', grades: { 601: 3, 602: 3, 701: 3, 301: 2 } },
  { q: 'space song', grades: { 601: 3 } },
  { q: 'drum and bass', grades: { 1301: 3, 1302: 2 } },
  { q: 'royksopp eple', grades: { 801: 3 } },
  { q: 'roykssop', grades: { 801: 3 } },
  { q: 'maneskin', grades: { 901: 3, 902: 3 } },
  { q: 'zitti e buoni', grades: { 902: 3 } },
  { q: 'celine dion my heart will go on', grades: { 1001: 3 } },
  { q: 'my heart will go on', grades: { 1001: 3 } },
  { q: 'olafur arnalds', grades: { 1101: 3, 1102: 3 } },
  { q: 'dvorak new world', grades: { 1201: 3 } },
  { q: 'crazy in love', grades: { 104: 3, 106: 1 } },
  { q: 'single ladies', grades: { 103: 3 } },
  { q: 'overkill', grades: { 202: 3 } },
  { q: 'lo-fi hip hop', grades: { 1401: 3, 1402: 3 } },
  { q: 'inner city', grades: { 1301: 3 } },
  { q: 'army of me', grades: { 402: 3 } },
]

export const WORDS = [
  'Midnight',
  'City',
  'Drive',
  'Dream',
  'Love',
  'Summer',
  'Night',
  'Space',
  'Song',
  'Crazy',
  'Heart',
  'Light',
  'Heaven',
  'Halo',
  'Ace',
  'Inner',
  'Life',
  'Army',
  'Ladies',
  'Single',
  'Coffee',
  'Snow',
  'Myth',
  'Near',
  'World',
  'New',
  'Go',
  'On',
  'Sun',
  'Rain',
  'Fire',
  'Ocean',
  'Neon',
  'Echo',
  'Gold',
  'Silver',
  'Wild',
  'Lost',
  'Home',
]
const TAGS = [
  'pop',
  'rock',
  'house',
  'techno',
  'ambient',
  'indie',
  'jazz',
  '"deep house"',
  '"hip hop"',
  'chill',
  'synth',
]
const GENRES = ['Pop', 'Rock', 'Electronic', 'Indie', 'Hip-hop', 'Ambient', 'Jazz']
const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'ven', 'tor', 'el', 'sa', 'dri', 'mo', 'nu', 'xi', 'be', 'ya']

export function relevanceCatalog(generatedTracks = 3_000): { users: CatalogUser[]; tracks: CatalogTrack[] } {
  const rand = random(20261123)
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)] as T
  const users: CatalogUser[] = KNOWN_USERS.map(
    ([id, username, full_name, country_code, verified, followers]) => ({
      id,
      username,
      full_name,
      country_code,
      verified,
      followers_count: followers,
    }),
  )
  for (let id = 100; id < 600; id++) {
    const name = Array.from({ length: 2 + Math.floor(rand() * 2) }, () => pick(SYLLABLES)).join('')
    users.push({
      id,
      username: `${name}${id}`,
      full_name: null,
      country_code: pick(['US', 'GB', 'DE', 'FR', 'BR', 'JP']),
      verified: rand() < 0.05,
      followers_count: Math.floor(1_000 * rand() ** 3),
    })
  }
  const tracks: CatalogTrack[] = KNOWN_TRACKS.map(
    ([id, user_id, title, genre, tag_list, plays, likes, year]) => ({
      id,
      user_id,
      title,
      genre,
      tag_list,
      created_at: `${Math.max(year, 2000)}-06-01T00:00:00Z`,
      plays_recent: plays,
      likes_total: likes,
    }),
  )
  for (let i = 0; i < generatedTracks; i++) {
    const words = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(WORDS))
    tracks.push({
      id: 10_000 + i,
      user_id: 100 + Math.floor(rand() * 500),
      title: words.join(' '),
      genre: pick(GENRES),
      tag_list: [pick(TAGS), pick(TAGS)].join(' '),
      created_at: `20${10 + Math.floor(rand() * 16)}-0${1 + Math.floor(rand() * 9)}-15T00:00:00Z`,
      plays_recent: Math.floor(2_000 * rand() ** 4),
      likes_total: Math.floor(5_000 * rand() ** 4),
    })
  }
  return { users, tracks }
}

/** nDCG@k of one ranking against graded judgements: (2^g - 1) / log2(rank + 1). */
export function ndcgAt(k: number, ranked: number[], grades: Record<number, number>): number {
  const gain = (grade: number, i: number) => (2 ** grade - 1) / Math.log2(i + 2)
  const dcg = ranked.slice(0, k).reduce((sum, id, i) => sum + gain(grades[id] ?? 0, i), 0)
  const ideal = Object.values(grades)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, i) => sum + gain(grade, i), 0)
  return ideal === 0 ? 0 : dcg / ideal
}
