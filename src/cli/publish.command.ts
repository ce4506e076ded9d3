// search-stats publish stats ...: publish stats events from a file or from the synthetic workload,
// confirmed by the broker. For tests, demos and benchmarks.
import { Command } from 'commander'
import { AmqpConnection } from '../amqp/connection.js'
import { ConfirmPublisher } from '../amqp/publisher.js'
import { declareExchanges } from '../amqp/topology.js'
import type { StatsEventInput } from '../contracts/stats-events.js'
import { topology } from '../contracts/topology.js'
import { readJsonRecords } from '../json-records.js'
import { StatsEventPublisher } from '../publishing/stats-events.publisher.js'
import { limit, statsWorkload } from '../workload/stats-workload.js'
import { action, commandContext } from './context.js'

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive whole number, got "${value}"`)
  return n
}

export interface DirectWriteOptions {
  rows: number
  from: Date
  to: Date
  artists: number
  seed: number
  onProgress: (written: number) => void
}

/**
 * `directWrite` writes generated events straight into the log (the composition root provides it, since
 * the log lives in rollups/); without it, --direct is refused.
 */
async function directWrite(
  opts: { generate?: number; days: number; artists: number; seed: number },
  write: ((opts: DirectWriteOptions) => Promise<number>) | undefined,
): Promise<number> {
  if (!opts.generate) throw new Error('--direct goes with --generate')
  if (!write) throw new Error('--direct is not available in this build')
  const to = new Date()
  const from = new Date(to.getTime() - opts.days * 86_400_000)
  const started = Date.now()
  const total = opts.generate
  const written = await write({
    rows: total,
    from,
    to,
    artists: opts.artists,
    seed: opts.seed,
    onProgress: (n) => process.stderr.write(`\rwritten ${n} of ${total}`),
  })
  const seconds = (Date.now() - started) / 1000
  process.stderr.write('\n')
  console.log(
    `wrote ${written} events into the log in ${seconds.toFixed(1)} s (${Math.round(written / seconds)}/s)`,
  )
  return 0
}

export function publishCommand(
  options: { directWrite?: (opts: DirectWriteOptions) => Promise<number> } = {},
): Command {
  const publish = new Command('publish').description('publish model or stats events (for tests and demos)')
  publish
    .command('stats')
    .description('publish stats events from --file, or --generate N events of the synthetic workload')
    .option('--file <path>', 'NDJSON (one event per line) or a JSON array; - for stdin')
    .option('--generate <n>', 'generate this many events', positiveInt('--generate'))
    .option(
      '--per-message <n>',
      'events per message (1: one event per message, routed by type)',
      positiveInt('--per-message'),
      1,
    )
    .option('--seed <n>', 'workload seed (the same seed gives the same events)', positiveInt('--seed'), 1)
    .option('--days <n>', 'generated events fall in the last N days', positiveInt('--days'), 30)
    .option('--artists <n>', 'artists in the generated catalog', positiveInt('--artists'), 1_000)
    .option('--direct', 'with --generate: write straight into the ClickHouse log (large benchmark data sets)')
    .action(
      action(
        async (opts: {
          file?: string
          generate?: number
          perMessage: number
          seed: number
          days: number
          artists: number
          direct?: boolean
        }) => {
          if (!opts.file === !opts.generate) throw new Error('give exactly one of --file or --generate')
          if (opts.direct) return directWrite(opts, options.directWrite)
          const { config, logger } = commandContext('publish')
          const names = topology(config.amqp.prefix)
          const connection = new AmqpConnection({
            url: config.amqp.url,
            logger,
            name: 'search-stats publish',
          })
          await connection.start({ failFast: true }).catch((err: Error) => {
            throw new Error(
              `cannot reach RabbitMQ at AMQP_URL (${err.message}); run \`search-stats services up\``,
            )
          })
          try {
            const model = await connection.waitForConnection(5_000)
            const channel = await model.createChannel()
            await declareExchanges(channel, names)
            await channel.close()
            const publisher = new StatsEventPublisher(
              await ConfirmPublisher.create(connection),
              names.exchanges.stats,
            )
            const started = Date.now()
            let lastReport = 0
            const onProgress = (n: number) => {
              if (Date.now() - lastReport < 1_000) return
              lastReport = Date.now()
              process.stderr.write(`\rpublished ${n}${opts.generate ? ` of ${opts.generate}` : ''}`)
            }
            let published: number
            if (opts.generate) {
              const to = new Date()
              const from = new Date(to.getTime() - opts.days * 86_400_000)
              const events = limit(
                statsWorkload({ seed: opts.seed, from, to, artists: opts.artists }),
                opts.generate,
              )
              published = await publisher.publishAll(events, { perMessage: opts.perMessage, onProgress })
            } else {
              const events: StatsEventInput[] = []
              for await (const event of readJsonRecords(opts.file!)) events.push(event as StatsEventInput)
              published = await publisher.publishAll(events, { perMessage: opts.perMessage, onProgress })
            }
            const seconds = (Date.now() - started) / 1000
            process.stderr.write('\n')
            console.log(
              `published ${published} events in ${seconds.toFixed(1)} s (${Math.round(published / seconds)}/s)`,
            )
            return 0
          } finally {
            await connection.close()
          }
        },
      ),
    )
  return publish
}
