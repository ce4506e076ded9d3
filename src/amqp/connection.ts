// One AMQP connection that comes back by itself. Whoever needs channels registers a setup function;
// it runs on every (re)connection, so consumers re-subscribe and publishers get a fresh confirm channel
// after a broker restart without anyone noticing beyond a log line.
import amqp, { type ChannelModel } from 'amqplib'
import { redactUrl } from '../config.js'
import type { Logger } from '../logger.js'

export type ConnectionSetup = (model: ChannelModel) => Promise<void>

export interface AmqpConnectionOptions {
  url: string
  logger: Logger
  /** Shown in the broker's connection list. */
  name?: string
  reconnectDelayMs?: { min: number; max: number }
}

export class AmqpConnection {
  private model: ChannelModel | undefined
  private readonly setups: ConnectionSetup[] = []
  private closing = false
  private attempt = 0
  private reconnectTimer: NodeJS.Timeout | undefined
  private waiters: ((model: ChannelModel) => void)[] = []
  private started: Promise<void> | undefined
  private connections = 0

  constructor(private readonly options: AmqpConnectionOptions) {}

  get connected(): boolean {
    return this.model !== undefined
  }

  /** How many times a connection has been established (1 + reconnections). */
  get connectCount(): number {
    return this.connections
  }

  /** The broker's version, as it announced itself on the last connection. */
  get serverVersion(): string | undefined {
    const props = this.model?.connection.serverProperties as { version?: string } | undefined
    return props?.version
  }

  /**
   * Connects, retrying with backoff until it succeeds or `close()` is called. With `failFast`, the first
   * failure rejects instead (for `doctor` and readiness probes, which must answer rather than wait).
   */
  start(options: { failFast?: boolean } = {}): Promise<void> {
    // Fail fast: one attempt that keeps the connection (and later reconnects like any other), or rejects.
    if (options.failFast) return this.connectWithSetups({ retry: false })
    this.started ??= new Promise<void>((resolve) => {
      this.waiters.push(() => resolve())
      this.scheduleConnect(0)
    })
    return this.started
  }

  /** Registers a setup that runs now (if connected) and after every reconnection. */
  async onConnect(setup: ConnectionSetup): Promise<void> {
    this.setups.push(setup)
    if (this.model) await setup(this.model)
  }

  /** Resolves with the live connection, waiting for a reconnection up to `timeoutMs`. */
  waitForConnection(timeoutMs: number): Promise<ChannelModel> {
    if (this.model) return Promise.resolve(this.model)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new BrokerUnavailableError(`no connection to the broker within ${timeoutMs} ms`))
      }, timeoutMs)
      const waiter = (model: ChannelModel) => {
        clearTimeout(timer)
        resolve(model)
      }
      this.waiters.push(waiter)
    })
  }

  async close(): Promise<void> {
    this.closing = true
    clearTimeout(this.reconnectTimer)
    const model = this.model
    this.model = undefined
    if (model) await model.close().catch(() => undefined)
  }

  private async connectOnce(): Promise<ChannelModel> {
    const model = await amqp.connect(this.options.url, {
      clientProperties: { connection_name: this.options.name ?? 'search-stats' },
      timeout: 5_000,
    })
    model.on('error', (err: Error) => this.options.logger.warn({ err: err.message }, 'amqp connection error'))
    model.on('close', () => this.handleClose(model))
    model.on('blocked', (reason: string) => this.options.logger.warn({ reason }, 'amqp connection blocked'))
    model.on('unblocked', () => this.options.logger.info('amqp connection unblocked'))
    return model
  }

  private scheduleConnect(delayMs: number): void {
    if (this.closing) return
    this.reconnectTimer = setTimeout(() => void this.connectWithSetups(), delayMs)
  }

  /** Connects and runs the setups; on failure retries later, or with `retry: false` rejects. */
  private async connectWithSetups(options: { retry: boolean } = { retry: true }): Promise<void> {
    if (this.closing) return
    const failed = (err: unknown) => {
      if (!options.retry) throw err
      this.retryLater(err)
    }
    let model: ChannelModel
    try {
      model = await this.connectOnce()
    } catch (err) {
      return failed(err)
    }
    try {
      for (const setup of this.setups) await setup(model)
    } catch (err) {
      // A setup that fails (a channel error while declaring) leaves the connection half-usable: start over.
      await model.close().catch(() => undefined)
      return failed(err)
    }
    if (this.closing) {
      await model.close().catch(() => undefined)
      return
    }
    this.attempt = 0
    this.connections++
    this.model = model
    this.options.logger.info({ url: redactUrl(this.options.url) }, 'amqp connected')
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter(model)
  }

  private retryLater(err: unknown): void {
    const { min, max } = this.options.reconnectDelayMs ?? { min: 250, max: 5_000 }
    const delay = Math.min(max, min * 2 ** this.attempt++)
    this.options.logger.warn(
      { err: (err as Error).message, retryInMs: delay, url: redactUrl(this.options.url) },
      'amqp connect failed',
    )
    this.scheduleConnect(delay)
  }

  private handleClose(model: ChannelModel): void {
    if (this.model !== model) return
    this.model = undefined
    if (this.closing) return
    this.options.logger.warn('amqp connection closed; reconnecting')
    this.scheduleConnect(0)
  }
}

/** The broker cannot be reached now; whatever was attempted is safe to retry later. */
export class BrokerUnavailableError extends Error {
  readonly retriable = true
  constructor(message: string) {
    super(message)
    this.name = 'BrokerUnavailableError'
  }
}
