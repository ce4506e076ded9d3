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

// Three rows of the distance table, reused across calls: a search highlights twenty titles, and
// fresh arrays per comparison were a quarter of what a search allocated.
let rows = [new Int32Array(32), new Int32Array(32), new Int32Array(32)]

/** Optimal string alignment distance (adjacent transpositions count once, as Lucene's), capped. */
export function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1
  if (rows[0]!.length <= b.length) rows = rows.map(() => new Int32Array(2 * (b.length + 1)))
  let [before, previous, current] = rows as [Int32Array, Int32Array, Int32Array]
  for (let j = 0; j <= b.length; j++) previous[j] = j
  for (let i = 1; i <= a.length; i++) {
    current[0] = i
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2]! + 1)
      }
      current[j] = value
      if (value < rowMin) rowMin = value
    }
    if (rowMin > cap) return cap + 1
    const spare = before
    before = previous
    previous = current
    current = spare
  }
  return Math.min(previous[b.length]!, cap + 1)
}

function matches(word: string, queryWords: string[], last: string): boolean {
  if (word.startsWith(last)) return true
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
 * Marks titles for one query (already folded, as normalizeQuery gives it): the function returns the
 * title HTML-escaped with <em> around each word the query matches, or undefined when none does.
 */
export function titleHighlighter(query: string): (title: string) => string | undefined {
  const queryWords = query.match(WORD) ?? []
  const last = queryWords.at(-1)
  if (last === undefined) return () => undefined
  const word = new RegExp(WORD.source, WORD.flags)
  return (title) => {
    let out = ''
    let from = 0
    word.lastIndex = 0
    for (let m = word.exec(title); m !== null; m = word.exec(title)) {
      if (!matches(fold(m[0]), queryWords, last)) continue
      out += `${escapeHtml(title.slice(from, m.index))}<em>${escapeHtml(m[0])}</em>`
      from = m.index + m[0].length
    }
    return from > 0 ? out + escapeHtml(title.slice(from)) : undefined
  }
}
