// The registered zones' day phases are kept and refreshed behind the answers: the cache's rules.
import { describe, expect, it } from 'vitest'
import { StaleWhileRefresh } from '../../rollups/stale-while-refresh.js'

/** A read that the test settles by hand, with a count of the reads started. */
function manualReads() {
  const pending: { resolve: (value: number) => void; reject: (error: Error) => void }[] = []
  const read = () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject }))
  return { read, pending }
}

const settled = () => new Promise((resolve) => setImmediate(resolve))

/** A cache over hand-settled reads, kept for 1,000 ms on a clock the test sets, and its first get(). */
function started() {
  const clock = { now: 0 }
  const { read, pending } = manualReads()
  const kept = new StaleWhileRefresh(read, 1_000, () => clock.now)
  return { clock, pending, kept, first: kept.get() }
}

describe('StaleWhileRefresh', () => {
  it('waits for the first read only, then serves the kept value while a newer one is read', async () => {
    const { clock, pending, kept, first } = started()
    expect(pending).toHaveLength(1)
    pending[0]!.resolve(1)
    expect(await first).toBe(1)

    clock.now = 999
    expect(await kept.get()).toBe(1)
    expect(pending).toHaveLength(1)

    clock.now = 1_000
    // Old enough: a new read starts, and the answer does not wait for it.
    expect(await kept.get()).toBe(1)
    expect(await kept.get()).toBe(1)
    expect(pending).toHaveLength(2)
    pending[1]!.resolve(2)
    await settled()
    expect(await kept.get()).toBe(2)
    expect(pending).toHaveLength(2)
  })

  it('reads again after a failed first read, and keeps the old value after a failed refresh', async () => {
    const { clock, pending, kept, first } = started()
    pending[0]!.reject(new Error('down'))
    await expect(first).rejects.toThrow('down')
    const second = kept.get()
    expect(pending).toHaveLength(2)
    pending[1]!.resolve(5)
    expect(await second).toBe(5)

    clock.now = 1_500
    expect(await kept.get()).toBe(5)
    pending[2]!.reject(new Error('down again'))
    await settled()
    expect(await kept.get()).toBe(5)
    expect(pending).toHaveLength(3)
    // The failed refresh counts as a read: the next one waits another maxAgeMs.
    clock.now = 2_499
    expect(await kept.get()).toBe(5)
    expect(pending).toHaveLength(3)
    clock.now = 2_500
    expect(await kept.get()).toBe(5)
    expect(pending).toHaveLength(4)
  })
})
