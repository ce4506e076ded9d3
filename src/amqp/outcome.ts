// What a message handler decides; the consumer alone turns it into ack, nack or a dead-letter publish.

export type Outcome =
  | { kind: 'ok' }
  /** A passing problem (a store is down, a dependency is not there yet): try the message again later. */
  | { kind: 'retry'; reason: string; delayMs?: number }
  /** The message can never succeed as it is: park it in the dead-letter queue with the reason. */
  | { kind: 'dead-letter'; reason: string }
  /** Nothing to do (a class we do not index, an event already applied). */
  | { kind: 'drop'; reason?: string }

export const ok: Outcome = { kind: 'ok' }
export const retry = (reason: string, delayMs?: number): Outcome => ({ kind: 'retry', reason, delayMs })
export const deadLetter = (reason: string): Outcome => ({ kind: 'dead-letter', reason })
export const drop = (reason?: string): Outcome => ({ kind: 'drop', reason })

/** Bad data: retrying it would fail the same way. Everything else a handler throws is retried. */
export class PermanentError extends Error {
  readonly retriable = false
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PermanentError'
  }
}

export function outcomeOfError(err: unknown): Outcome {
  const message = err instanceof Error ? err.message : String(err)
  if ((err as { retriable?: boolean } | undefined)?.retriable === false) return deadLetter(message)
  return retry(message)
}
