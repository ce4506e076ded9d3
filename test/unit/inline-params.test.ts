// Parameters written into query text (src/clickhouse/inline-params.ts): only values that need no
// escaping pass; anything else throws before it reaches a query.
import { describe, expect, it } from 'vitest'
import { inlineParams } from '../../src/clickhouse/inline-params.js'

describe('inlineParams', () => {
  it('writes integers, plain strings and arrays of them as literals', () => {
    expect(
      inlineParams(
        'SELECT 1 WHERE a = {owner:UInt64} AND z = {zone:String} AND d IN {ds:Array(String)} LIMIT {n:UInt32}',
        {
          owner: 42,
          zone: 'America/Port-au-Prince',
          ds: ['country', 'city'],
          n: 10,
        },
      ),
    ).toBe("SELECT 1 WHERE a = 42 AND z = 'America/Port-au-Prince' AND d IN ['country', 'city'] LIMIT 10")
    expect(inlineParams('{lists:Array(Array(UInt32))}', { lists: [[1, 2], [3]] })).toBe('[[1, 2], [3]]')
  })

  it('refuses what would need escaping, numbers that are not safe integers, and missing values', () => {
    expect(() => inlineParams('{z:String}', { z: "x' OR 1=1 --" })).toThrow(
      /z is not a safe integer or plain string/,
    )
    expect(() => inlineParams('{z:String}', { z: 'a\\b' })).toThrow(/plain string/)
    expect(() => inlineParams('{n:UInt32}', { n: 1.5 })).toThrow(/n is not/)
    expect(() => inlineParams('{n:UInt64}', { n: 2 ** 60 })).toThrow(/n is not/)
    expect(() => inlineParams('{n:UInt64}', { n: '1; DROP TABLE x' })).toThrow(/n is not/)
    expect(() => inlineParams('{ds:Array(String)}', { ds: ['ok', "'"] })).toThrow(/ds is not/)
    expect(() => inlineParams('{owner:UInt64}', {})).toThrow(/no value for query parameter owner/)
  })
})
