import { afterEach, describe, expect, it, vi } from 'vitest'
import { AdmissionGate, RETRY_AFTER_SECONDS } from '../../api/admission.js'
import { ApiError } from '../../api/errors.js'

/** A body that runs until its release() is called. */
function held() {
  let release!: () => void
  const done = new Promise<void>((resolve) => {
    release = resolve
  })
  return { release, body: () => done }
}

async function shedError(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`)
  return err
}

afterEach(() => {
  vi.useRealTimers()
})

describe('admission gate', () => {
  it('answers up to maxInFlight at once and queues the rest, first come first served', async () => {
    const gate = new AdmissionGate('t', { maxInFlight: 2, maxQueued: 5, maxWaitMs: 60_000 })
    const bodies = [held(), held(), held(), held()]
    const started: number[] = []
    const runs = bodies.map((b, i) =>
      gate.run(() => {
        started.push(i)
        return b.body()
      }),
    )
    await vi.waitFor(() => expect(started).toEqual([0, 1]))
    expect(gate.load).toEqual({ inFlight: 2, queued: 2 })
    bodies[1]!.release()
    await runs[1]
    await vi.waitFor(() => expect(started).toEqual([0, 1, 2]))
    expect(gate.load).toEqual({ inFlight: 2, queued: 1 })
    for (const b of bodies) b.release()
    await Promise.all(runs)
    expect(started).toEqual([0, 1, 2, 3])
    expect(gate.load).toEqual({ inFlight: 0, queued: 0 })
  })

  it('sheds with 503 and Retry-After when the queue is full, and never runs the body', async () => {
    const shed: string[] = []
    const gate = new AdmissionGate('stats', { maxInFlight: 1, maxQueued: 1, maxWaitMs: 60_000 }, (g, r) =>
      shed.push(`${g}: ${r}`),
    )
    const first = held()
    const running = gate.run(first.body)
    const queued = gate.run(async () => 'queued')
    const body = vi.fn(async () => 'never')
    const err = await shedError(gate.run(body))
    expect(err.status).toBe(503)
    expect(err.code).toBe('overloaded')
    expect(err.message).toContain('stats')
    expect(err.headers['Retry-After']).toBe(String(RETRY_AFTER_SECONDS))
    expect(body).not.toHaveBeenCalled()
    expect(shed).toEqual(['stats: queue full'])
    first.release()
    await running
    expect(await queued).toBe('queued')
  })

  it('sheds a request that waited maxWaitMs, and its place is given up', async () => {
    vi.useFakeTimers()
    const gate = new AdmissionGate('t', { maxInFlight: 1, maxQueued: 4, maxWaitMs: 1_000 })
    const first = held()
    const running = gate.run(first.body)
    const waiting = shedError(gate.run(async () => 'late'))
    await vi.advanceTimersByTimeAsync(999)
    expect(gate.load).toEqual({ inFlight: 1, queued: 1 })
    await vi.advanceTimersByTimeAsync(1)
    const err = await waiting
    expect(err.details).toEqual({ group: 't', reason: 'waited too long' })
    expect(gate.load).toEqual({ inFlight: 1, queued: 0 })
    first.release()
    await running
    expect(gate.load).toEqual({ inFlight: 0, queued: 0 })
  })

  it('frees the slot of a body that fails, for the next in line', async () => {
    const gate = new AdmissionGate('t', { maxInFlight: 1, maxQueued: 1, maxWaitMs: 60_000 })
    const failing = gate.run(async () => {
      throw new Error('store down')
    })
    const next = gate.run(async () => 'next')
    await expect(failing).rejects.toThrow('store down')
    expect(await next).toBe('next')
    expect(gate.load).toEqual({ inFlight: 0, queued: 0 })
  })

  it('refuses limits that would admit nothing or are not whole numbers', () => {
    expect(() => new AdmissionGate('t', { maxInFlight: 0, maxQueued: 1, maxWaitMs: 1 })).toThrow(
      /maxInFlight/,
    )
    expect(() => new AdmissionGate('t', { maxInFlight: 1, maxQueued: -1, maxWaitMs: 1 })).toThrow(/maxQueued/)
    expect(() => new AdmissionGate('t', { maxInFlight: 1, maxQueued: 1, maxWaitMs: 0.5 })).toThrow(
      /maxWaitMs/,
    )
  })
})
