// Start in order, stop in reverse, with a deadline: a hung close must not keep a dying process alive.
import type { Logger } from './logger.js'

type Stopper = () => Promise<void>

export class Lifecycle {
  private readonly stoppers: { name: string; stop: Stopper }[] = []
  private stopping: Promise<void> | undefined

  constructor(private readonly logger: Logger) {}

  /** Registers how to stop something that has just been started. */
  add(name: string, stop: Stopper): void {
    this.stoppers.push({ name, stop })
  }

  stop(deadlineMs: number): Promise<void> {
    this.stopping ??= this.stopAll(deadlineMs)
    return this.stopping
  }

  /** SIGINT/SIGTERM stop everything, then exit; a second signal or the deadline forces the exit. */
  exitOnSignals(deadlineMs: number): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopping) {
        this.logger.warn({ signal }, 'second signal: exiting now')
        process.exit(1)
      }
      this.logger.info({ signal }, 'shutting down')
      const force = setTimeout(() => {
        this.logger.error({ deadlineMs }, 'shutdown deadline passed: exiting')
        process.exit(1)
      }, deadlineMs + 1_000)
      force.unref()
      void this.stop(deadlineMs).then(() => process.exit(0))
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }

  private async stopAll(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs
    for (const { name, stop } of [...this.stoppers].reverse()) {
      const left = Math.max(0, deadline - Date.now())
      const result = await Promise.race([
        stop().then(
          () => 'stopped' as const,
          (err: Error) => err,
        ),
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), left).unref()),
      ])
      if (result === 'stopped') this.logger.info({ name }, 'stopped')
      else if (result === 'timeout') this.logger.warn({ name }, 'did not stop before the deadline')
      else this.logger.warn({ name, err: result.message }, 'stop failed')
    }
  }
}
