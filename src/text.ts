// Text normalization done in our own code (indexing and querying both use it), because the Elasticsearch distribution we test against has
// no analysis-common module (no asciifolding filter): folded copies of names and titles are indexed
// beside the originals, and queries are folded the same way before they are sent.

/** Letters that Unicode decomposition does not split into a base letter and a mark. */
const SPECIAL: Record<string, string> = {
  ß: 'ss',
  ẞ: 'ss',
  æ: 'ae',
  Æ: 'ae',
  œ: 'oe',
  Œ: 'oe',
  ø: 'o',
  Ø: 'o',
  ł: 'l',
  Ł: 'l',
  đ: 'd',
  Đ: 'd',
  ð: 'd',
  Ð: 'd',
  þ: 'th',
  Þ: 'th',
  ı: 'i',
  ħ: 'h',
  Ħ: 'h',
}
const SPECIAL_PATTERN = new RegExp(`[${Object.keys(SPECIAL).join('')}]`, 'g')

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/** "Beyoncé" -> "beyonce", "Motörhead" -> "motorhead", "Ærøskøbing" -> "aeroskobing". */
export function fold(text: string): string {
  // Most titles and names are plain ASCII, where decomposition changes nothing (and costs the most).
  if (PRINTABLE_ASCII.test(text)) return text.toLowerCase()
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(SPECIAL_PATTERN, (letter) => SPECIAL[letter] ?? letter)
    .toLowerCase()
}

/** Parses a SoundCloud tag_list: space-separated tags, multi-word tags in double quotes. */
export function parseTags(tagList: string | null | undefined): string[] {
  if (!tagList) return []
  const tags: string[] = []
  for (const match of tagList.matchAll(/"([^"]*)"|(\S+)/g)) {
    const tag = (match[1] ?? match[2] ?? '').replace(/"/g, '').trim().replace(/\s+/g, ' ')
    if (tag && !tags.includes(tag)) tags.push(tag)
  }
  return tags
}
