import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { editDistance, titleHighlighter } from '../../api/highlight.js'

const highlightTitle = (title: string, query: string) => titleHighlighter(query)(title)

describe('highlightTitle', () => {
  it('marks exact words, keeping the title as written', () => {
    expect(highlightTitle('Midnight Drive', 'midnight drive')).toBe('<em>Midnight</em> <em>Drive</em>')
  })

  it('matches folded words: diacritics and case do not matter', () => {
    expect(highlightTitle('Crazy in Love (Beyoncé Remix)', 'beyonce')).toBe(
      'Crazy in Love (<em>Beyoncé</em> Remix)',
    )
    expect(highlightTitle('Straße', 'strasse')).toBe('<em>Straße</em>')
  })

  it('marks words the last query word starts, as the search box types', () => {
    expect(highlightTitle('Midnight City Lights', 'midnight ci')).toBe(
      '<em>Midnight</em> <em>City</em> Lights',
    )
    // Only the last word is a prefix: "mid" earlier in the query must match whole.
    expect(highlightTitle('Midnight City', 'mid city')).toBe('Midnight <em>City</em>')
  })

  it('forgives typos as fuzziness AUTO does, with the first letter fixed', () => {
    expect(highlightTitle('Midnight', 'midnigth x')).toBe('<em>Midnight</em>')
    expect(highlightTitle('Halo', 'hallo x')).toBe('<em>Halo</em>')
    expect(highlightTitle('Halo', 'calo x')).toBeUndefined()
    // Two letters: exact only.
    expect(highlightTitle('Up', 'us x')).toBeUndefined()
    // Five letters allow one edit, not two.
    expect(highlightTitle('Lights', 'lihgs x')).toBeUndefined()
  })

  it('escapes HTML in the title, so a title cannot inject markup', () => {
    expect(highlightTitle('<script>alert(1)</script> Drive & "Ride"', 'drive')).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt; <em>Drive</em> &amp; &quot;Ride&quot;',
    )
  })

  it('returns undefined when nothing matches or the query has no words', () => {
    expect(highlightTitle('Midnight Drive', 'ocean')).toBeUndefined()
    expect(highlightTitle('Midnight Drive', '')).toBeUndefined()
    expect(highlightTitle('Midnight Drive', '!!! ***')).toBeUndefined()
  })
})

describe('editDistance', () => {
  it('counts an adjacent transposition as one edit', () => {
    expect(editDistance('midnight', 'midnigth', 2)).toBe(1)
    expect(editDistance('kitten', 'sitting', 5)).toBe(3)
    expect(editDistance('abc', 'abc', 1)).toBe(0)
  })

  it('stops early past the cap', () => {
    expect(editDistance('aaaaaaaa', 'bbbbbbbb', 2)).toBe(3)
    expect(editDistance('a', 'abcdef', 2)).toBe(3)
  })

  it('equals a plain optimal-string-alignment table, capped, call after call (its rows are reused)', () => {
    const reference = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
      )
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          const row = d[i]!
          row[j] = Math.min(
            d[i - 1]![j]! + 1,
            row[j - 1]! + 1,
            d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
          )
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
            row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1)
          }
        }
      }
      return d[a.length]![b.length]!
    }
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 40 })
    fc.assert(
      fc.property(
        fc.array(fc.tuple(word, word, fc.integer({ min: 0, max: 3 })), { minLength: 1 }),
        (pairs) => {
          for (const [a, b, cap] of pairs) {
            expect(editDistance(a, b, cap)).toBe(Math.min(reference(a, b), cap + 1))
          }
        },
      ),
    )
  })
})
