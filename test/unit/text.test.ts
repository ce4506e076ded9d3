import { describe, expect, it } from 'vitest'
import { fold, parseTags } from '../../src/text.js'

describe('fold', () => {
  it.each([
    ['Beyoncé', 'beyonce'],
    ['Motörhead', 'motorhead'],
    ['Sigur Rós', 'sigur ros'],
    ['Ærøskøbing', 'aeroskobing'],
    ['Straße', 'strasse'],
    ['Łódź', 'lodz'],
    ['ＡＢＣ', 'abc'], // full-width letters
    ['Ｍｏｔｏ', 'moto'],
    ['Zoë Keating', 'zoe keating'],
    ['مرحبا', 'مرحبا'], // right-to-left text survives
    ['🎧 chill', '🎧 chill'],
  ])('%s -> %s', (input, expected) => {
    expect(fold(input)).toBe(expected)
  })
})

describe('parseTags', () => {
  it('keeps quoted multi-word tags whole', () => {
    expect(parseTags('rock "hip hop" electronic')).toEqual(['rock', 'hip hop', 'electronic'])
  })
  it('ignores extra spaces, duplicates and stray quotes', () => {
    expect(parseTags('  "deep  house"  techno techno "unclosed')).toEqual([
      'deep house',
      'techno',
      'unclosed',
    ])
  })
  it('treats empty and null as no tags', () => {
    expect(parseTags('')).toEqual([])
    expect(parseTags(null)).toEqual([])
  })
})
