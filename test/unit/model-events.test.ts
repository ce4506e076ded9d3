import { describe, expect, it } from 'vitest'
import { parseModelEvent } from '../../src/contracts/model-events.js'
import { trackRecord } from '../support/records.js'

const track: Record<string, unknown> = {
  ...trackRecord(7, {
    user_id: 3,
    title: 'Midnight City',
    permalink: 'midnight-city',
    description: null,
    duration: 243_000,
    bpm: 105,
    created_at: '2026-01-01T10:00:00Z',
    updated_at: '2026-01-02T10:00:00Z',
  }),
  some_future_attribute: 'ignored',
}

describe('parseModelEvent', () => {
  it('parses a create into a change with every attribute and the version from updated_at', () => {
    const parsed = parseModelEvent('create.Track', JSON.stringify(track))
    expect(parsed.kind).toBe('change')
    if (parsed.kind !== 'change') return
    expect(parsed.change).toMatchObject({
      model: 'Track',
      action: 'create',
      id: 7,
      version: Date.parse(String(track.updated_at)),
    })
    expect(parsed.change.fields.title).toBe('Midnight City')
    expect(parsed.change.fields).not.toHaveProperty('some_future_attribute')
    expect(parsed.change.fields).not.toHaveProperty('updated_at')
  })

  it('takes a save id from the model_id header, as a number or a numeric string', () => {
    const body = JSON.stringify({
      title: ['Old', 'New'],
      updated_at: ['2026-01-02T10:00:00Z', '2026-01-03T10:00:00Z'],
    })
    for (const header of [7, '7']) {
      const parsed = parseModelEvent('save.Track', body, header)
      expect(parsed.kind).toBe('change')
      if (parsed.kind !== 'change') return
      expect(parsed.change).toEqual({
        model: 'Track',
        action: 'save',
        id: 7,
        version: Date.parse('2026-01-03T10:00:00Z'),
        fields: { title: 'New' },
      })
    }
  })

  it('accepts a plain numeric "id" in a save body', () => {
    const body = JSON.stringify({
      id: 9,
      verified: [false, true],
      updated_at: ['2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z'],
    })
    const parsed = parseModelEvent('save.User', body)
    expect(parsed.kind === 'change' && parsed.change.id).toBe(9)
  })

  it('ignores classes that are not ours', () => {
    expect(parseModelEvent('save.Comment', '{}').kind).toBe('ignored')
    expect(parseModelEvent('create.Track.extra', '{}').kind).toBe('ignored')
  })

  it.each([
    ['create.Track', '{not json', undefined, /not JSON/],
    ['create.Track', '[1,2]', undefined, /object/],
    ['create.Track', JSON.stringify({ ...track, duration: 'long' }), undefined, /duration/],
    ['create.Track', JSON.stringify({ ...track, sharing: 'friends' }), undefined, /sharing/],
    ['create.User', JSON.stringify({ id: 1, updated_at: '2026-01-01T00:00:00Z' }), undefined, /username/],
    [
      'save.Track',
      JSON.stringify({ title: ['a', 'b'], updated_at: ['x', '2026-01-01T00:00:00Z'] }),
      undefined,
      /model_id/,
    ],
    ['save.Track', JSON.stringify({ title: ['a', 'b'] }), 7, /updated_at/],
    [
      'save.Track',
      JSON.stringify({ title: 'b', updated_at: ['x', '2026-01-01T00:00:00Z'] }),
      7,
      /\[old, new\]/,
    ],
    ['destroy.Track', JSON.stringify({ id: 7 }), undefined, /updated_at/],
  ])('dead-letters %s %s', (key, body, header, reason) => {
    const parsed = parseModelEvent(key, body, header)
    expect(parsed.kind).toBe('invalid')
    if (parsed.kind === 'invalid') expect(parsed.reason).toMatch(reason)
  })
})
