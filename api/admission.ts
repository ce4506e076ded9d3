// Load shedding (CONTRACT section 3: "503 with Retry-After when ... the service is shedding load").
// A route group admits so many requests at once; more wait in a bounded queue, first come first
// served, for a bounded time. A request that finds the queue full, or waits too long, is answered at
// once with 503 and Retry-After instead of joining an ever longer line. Without a bound, every
// request waits behind all that came before it: stats pages offered at twice the rate two cores
// answer took 28 s at p99 after 20 s of it (the limits and that measurement: STATS_ADMISSION in
// stats.routes.ts; `npm run bench -- rollups` repeats it).
import type { MiddlewareHandler } from 'hono'
import { ApiError } from './errors.js'

export interface AdmissionLimits {
  /** Requests of the group being answered at once. */
  maxInFlight: number
  /** Requests waiting for a turn; one more is shed. */
  maxQueued: number
  /** How long a request may wait for its turn before it is shed. */
  maxWaitMs: number
}

/** How soon a shed client should try again. */
export const RETRY_AFTER_SECONDS = 1

export type ShedReason = 'queue full' | 'waited too long'
export type ShedListener = (group: string, reason: ShedReason) => void

interface Waiter {
  admit: () => void
  timer: NodeJS.Timeout
}

export class AdmissionGate {
  private inFlight = 0
  private readonly queue: Waiter[] = []

  constructor(
    /** Names the group in the 503's message and the shed counter. */
    readonly group: string,
    readonly limits: AdmissionLimits,
    private readonly onShed: ShedListener = () => {},
  ) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < (name === 'maxInFlight' ? 1 : 0))
        throw new RangeError(`admission ${group}: ${name} must be a whole number (got ${value})`)
    }
  }

  /** Requests being answered and waiting now. */
  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.queue.length }
  }

  /** Runs body in its turn; throws a 503 ApiError when the request is shed (body never runs then). */
  async run<T>(body: () => Promise<T>): Promise<T> {
    await this.admit()
    try {
      return await body()
    } finally {
      this.release()
    }
  }

  middleware(): MiddlewareHandler {
    return (_c, next) => this.run(next)
  }

  private admit(): Promise<void> {
    if (this.inFlight < this.limits.maxInFlight) {
      this.inFlight++
      return Promise.resolve()
    }
    if (this.queue.length >= this.limits.maxQueued) return Promise.reject(this.shed('queue full'))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        // The slot passes straight from the request that ends to this one (inFlight stays).
        admit: () => {
          clearTimeout(waiter.timer)
          resolve()
        },
        timer: setTimeout(() => {
          const at = this.queue.indexOf(waiter)
          if (at < 0) return // admitted already (admit() clears this timer, so never expected)
          this.queue.splice(at, 1)
          reject(this.shed('waited too long'))
        }, this.limits.maxWaitMs),
      }
      this.queue.push(waiter)
    })
  }

  private release(): void {
    const next = this.queue.shift()
    if (next) next.admit()
    else this.inFlight--
  }

  private shed(reason: ShedReason): ApiError {
    this.onShed(this.group, reason)
    return new ApiError(
      503,
      'overloaded',
      `${this.group}: too many requests at once (${reason}); try again shortly`,
      { group: this.group, reason },
      { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    )
  }
}
