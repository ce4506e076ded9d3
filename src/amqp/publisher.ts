// Publishing with publisher confirms: `publish` resolves only once the broker has taken responsibility
// for the message (written to disk for persistent messages on durable queues), and rejects otherwise.
import type { ConfirmChannel, Options } from 'amqplib'
import { type AmqpConnection, BrokerUnavailableError } from './connection.js'

export interface PublishOptions extends Options.Publish {
  /** How long to wait for a connection when the broker is away. */
  connectTimeoutMs?: number
}

export class ConfirmPublisher {
  private channel: ConfirmChannel | undefined

  private constructor(private readonly connection: AmqpConnection) {}

  static async create(connection: AmqpConnection): Promise<ConfirmPublisher> {
    const publisher = new ConfirmPublisher(connection)
    await connection.onConnect(async (model) => {
      const channel = await model.createConfirmChannel()
      channel.on('error', () => undefined) // the close event that follows is what matters
      channel.on('close', () => {
        if (publisher.channel === channel) publisher.channel = undefined
      })
      publisher.channel = channel
    })
    return publisher
  }

  /** Publishes a JSON value or raw bytes and waits for the broker's confirm. */
  async publish(
    exchange: string,
    routingKey: string,
    body: Buffer | unknown,
    options: PublishOptions = {},
  ): Promise<void> {
    const { connectTimeoutMs = 10_000, ...publishOptions } = options
    const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body))
    const channel = await this.ready(connectTimeoutMs)
    // publish()'s return value (false when the socket buffer is full) is not needed: callers that await
    // each confirm, or bound their confirms in flight, already pace themselves to the broker.
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        exchange,
        routingKey,
        content,
        {
          persistent: true,
          contentType: Buffer.isBuffer(body) ? undefined : 'application/json',
          timestamp: Math.floor(Date.now() / 1000),
          ...publishOptions,
        },
        (err) =>
          err ? reject(new BrokerUnavailableError(`broker did not confirm: ${String(err)}`)) : resolve(),
      )
    })
  }

  /** Sends straight to a queue (the default exchange), confirmed. */
  sendToQueue(queue: string, body: Buffer, options: PublishOptions = {}): Promise<void> {
    return this.publish('', queue, body, options)
  }

  private async ready(timeoutMs: number): Promise<ConfirmChannel> {
    if (this.channel) return this.channel
    await this.connection.waitForConnection(timeoutMs)
    if (!this.channel) throw new BrokerUnavailableError('the confirm channel is not open')
    return this.channel
  }
}
