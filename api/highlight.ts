// Highlighting of the matched words in a track title, done here rather than by Elasticsearch. The
// plain highlighter re-runs every fuzzy query against each hit, building its edit-distance automata
// again: measured on 100,000 tracks, that was 3 of every 5 ms Elasticsearch spent on a search. The
// rules below are the ones the query matches by (search-query.ts): a word equal to a query word, a word
// that starts with the last query word (as-you-type), or one within the edit distance `fuzziness:
// AUTO` allows with the first letter fixed (`prefix_length: 1`). Words are compared folded, and the
// title is shown as the artist wrote it, HTML-escaped, with <em> around the matches.
import { fold } from '../src/text.js'

/** The standard tokenizer's words, near enough: runs of letters and digits, apostrophes inside. */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu

/** Elasticsearch's AUTO fuzziness: exact up to 2 characters, 1 edit up to 5, 2 beyond. */
function allowedEdits(word: string): number {
  if (word.length <= 2) return 0
  return word.length <= 5 ? 1 : 2
}

/** Optimal string alignment distance (adjacent transpositions count once, as Lucene's), capped. */
export function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1
  let before: number[] = []
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2]! + 1)
      }
      current.push(value)
      rowMin = Math.min(rowMin, value)
    }
    if (rowMin > cap) return cap + 1
    before = previous
    previous = current
  }
  return previous[b.length]!
}

function matches(word: string, queryWords: string[], last: string | undefined): boolean {
  if (last !== undefined && word.startsWith(last)) return true
  for (const q of queryWords) {
    if (word === q) return true
    const edits = allowedEdits(q)
    if (edits > 0 && word[0] === q[0] && editDistance(word, q, edits) <= edits) return true
  }
  return false
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)

/**
 * `title` HTML-escaped with <em> around each word that `query` (already folded, as normalizeQuery
 * gives it) matches; undefined when nothing matches.
 */
export function highlightTitle(title: string, query: string): string | undefined {
  const queryWords = [...query.matchAll(WORD)].map((m) => m[0])
  if (queryWords.length === 0) return undefined
  const last = queryWords.at(-1)
  let out = ''
  let from = 0
  let matched = false
  for (const m of title.matchAll(WORD)) {
    if (!matches(fold(m[0]), queryWords, last)) continue
    out += `${escapeHtml(title.slice(from, m.index))}<em>${escapeHtml(m[0])}</em>`
    from = m.index + m[0].length
    matched = true
  }
  return matched ? out + escapeHtml(title.slice(from)) : undefined
}
