// Publishes ModelBroadcast events as the Mothership does: `<action>.<Class>` on exchange `models`,
// attributes for create and destroy, ActiveRecord-style changes for save with the id in the `model_id`
// header. Confirmed by the broker. For tests, demos and benchmarks.
import { randomUUID } from 'node:crypto'
import type { ConfirmPublisher } from '../amqp/publisher.js'
import type { ModelClass } from '../contracts/model-events.js'

export class ModelEventPublisher {
  constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly exchange: string,
  ) {}

  create(model: ModelClass, attributes: Record<string, unknown>): Promise<void> {
    return this.send(`create.${model}`, attributes)
  }

  /** `changes` maps each changed attribute to [old, new]; it must include updated_at. */
  save(model: ModelClass, id: number, changes: Record<string, [unknown, unknown]>): Promise<void> {
    return this.send(`save.${model}`, changes, { model_id: id })
  }

  destroy(model: ModelClass, attributes: Record<string, unknown>): Promise<void> {
    return this.send(`destroy.${model}`, attributes)
  }

  /** Any routing key and body, for malformed-input tests. */
  raw(routingKey: string, body: Buffer | unknown, headers?: Record<string, unknown>): Promise<void> {
    return this.send(routingKey, body, headers)
  }

  private send(routingKey: string, body: unknown, headers?: Record<string, unknown>): Promise<void> {
    return this.publisher.publish(this.exchange, routingKey, body, { messageId: randomUUID(), headers })
  }
}
