import { describe, expect, it } from 'vitest'
import { timeRanges } from '../../rollups/event-log.js'
import { Batcher } from '../../src/batcher.js'
import { silentLogger } from '../../src/logger.js'

describe('Batcher', () => {
  it('flushes by item count and resolves each add only after its batch is written', async () => {
    const written: number[][] = []
    const batcher = new Batcher<number>({
      write: async (items) => {
        written.push(items)
      },
      maxItems: 3,
      maxAdds: 100,
      maxWaitMs: 10_000,
      logger: silentLogger,
    })
    const first = batcher.add([1, 2])
    let firstDone = false
    void first.then(() => {
      firstDone = true
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(firstDone).toBe(false) // below every threshold: still waiting
    await Promise.all([first, batcher.add([3])])
    expect(written).toEqual([[1, 2, 3]])
    await batcher.stop()
  })

  it('flushes on the timer', async () => {
    const written: number[][] = []
    const batcher = new Batcher<number>({
      write: async (items) => {
        written.push(items)
      },
      maxItems: 1_000,
      maxAdds: 1_000,
      maxWaitMs: 20,
      logger: silentLogger,
    })
    await batcher.add([7])
    expect(written).toEqual([[7]])
    await batcher.stop()
  })

  it('retries a failed write until it succeeds, losing nothing', async () => {
    let attempts = 0
    const written: number[][] = []
    const batcher = new Batcher<number>({
      write: async (items) => {
        if (++attempts < 3) throw new Error('store down')
        written.push(items)
      },
      maxItems: 2,
      maxAdds: 100,
      maxWaitMs: 5,
      logger: silentLogger,
      retryDelayMs: { min: 5, max: 10 },
    })
    await Promise.all([batcher.add([1]), batcher.add([2])])
    expect(attempts).toBe(3)
    expect(written).toEqual([[1, 2]])
    await batcher.stop()
  })
})

describe('timeRanges', () => {
  it('groups close times and splits at gaps over a minute', () => {
    expect(timeRanges([5_000, 1_000, 200_000, 2_000, 230_000])).toEqual([
      [1_000, 5_000],
      [200_000, 230_000],
    ])
  })

  it('never returns more than 32 ranges', () => {
    const times = Array.from({ length: 1_000 }, (_, i) => i * 3_600_000)
    const ranges = timeRanges(times)
    expect(ranges.length).toBeLessThanOrEqual(32)
    expect(ranges[0]![0]).toBe(0)
    expect(ranges.at(-1)![1]).toBe(999 * 3_600_000)
  })
})

describe('Batcher backlog', () => {
  it('writes a backlog as batches of at most maxItems', async () => {
    const sizes: number[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const batcher = new Batcher<number>({
      write: async (items) => {
        sizes.push(items.length)
        await gate
      },
      maxItems: 10,
      maxAdds: 1_000,
      maxWaitMs: 1,
      logger: silentLogger,
    })
    const adds = [batcher.add([0])]
    await new Promise((resolve) => setTimeout(resolve, 10)) // the first write is now in progress
    for (let i = 0; i < 9; i++) adds.push(batcher.add([1, 2, 3, 4]))
    release()
    await Promise.all(adds)
    expect(sizes[0]).toBe(1)
    expect(sizes.slice(1).every((n) => n <= 10)).toBe(true)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(37)
    await batcher.stop()
  })
})
