// search-stats index rebuild|verify: the operators' jobs for the search indexes.
import { Command } from 'commander'
import { action, commandContext } from '../src/cli/context.js'
import type { ModelClass } from '../src/contracts/model-events.js'
import { createElasticsearchClient } from '../src/elasticsearch/client.js'
import { readJsonRecords } from '../src/json-records.js'
import { rebuildIndex, verifyIndex } from './rebuild.js'
import { ReplicaSource } from './replica-source.js'

const MODELS: Record<string, ModelClass> = { tracks: 'Track', users: 'User' }

/** `replica` reads the Mothership's read replica (REPLICA_URL); anything else is an NDJSON file. */
function source(
  name: string,
  model: ModelClass,
  replicaUrl: string | undefined,
): { records: AsyncIterable<unknown>; close(): Promise<void> } {
  if (name !== 'replica') return { records: readJsonRecords(name), close: async () => undefined }
  if (!replicaUrl)
    throw new Error('REPLICA_URL is empty: set it to the replica, or give an NDJSON snapshot file')
  const replica = new ReplicaSource(replicaUrl)
  return { records: replica.records(model), close: () => replica.close() }
}

function modelOf(name: string): ModelClass {
  const model = MODELS[name]
  if (!model) throw new Error(`the index must be tracks or users, not "${name}"`)
  return model
}

export function indexCommand(): Command {
  const index = new Command('index').description(
    'rebuild a search index with no downtime; verify it against its source',
  )
  index
    .command('rebuild')
    .description('build a new index from the source and the live events, then swap the alias atomically')
    .argument('<index>', 'tracks or users')
    .requiredOption(
      '--source <source>',
      'replica (the read replica at REPLICA_URL) or an NDJSON snapshot file',
    )
    .option('--keep-old', 'keep the previous index after the swap (for a rollback)')
    .action(
      action(async (name: string, opts: { source: string; keepOld?: boolean }) => {
        const model = modelOf(name)
        const { config, logger } = commandContext('index')
        const es = createElasticsearchClient({ url: config.elasticsearch.url })
        const prefix = config.elasticsearch.indexPrefix
        const input = source(opts.source, model, config.replica.url)
        try {
          const result = await rebuildIndex({
            es,
            model,
            alias: `${prefix}${name}`,
            usersAlias: `${prefix}users`,
            records: input.records,
            logger,
            deleteOld: !opts.keepOld,
            onProgress: (stage, done) =>
              process.stderr.write(`\r${stage === 'copy' ? 'copied' : 'loaded'} ${done}   `),
          })
          process.stderr.write('\n')
          console.log(
            `${name}: now ${result.index} (was ${result.previous ?? 'nothing'}); copied ${result.copied} documents, ` +
              `loaded ${result.loaded} records, ${result.invalid.length} invalid`,
          )
          for (const bad of result.invalid.slice(0, 20)) console.log(`  line ${bad.line}: ${bad.reason}`)
          return 0
        } finally {
          await input.close()
          await es.close()
        }
      }),
    )
  index
    .command('verify')
    .description('compare an index with its source and list the differences; exit 1 if there are any')
    .argument('<index>', 'tracks or users')
    .requiredOption(
      '--source <source>',
      'replica (the read replica at REPLICA_URL) or an NDJSON snapshot file',
    )
    .action(
      action(async (name: string, opts: { source: string }) => {
        const model = modelOf(name)
        const { config } = commandContext('index')
        const es = createElasticsearchClient({ url: config.elasticsearch.url })
        const prefix = config.elasticsearch.indexPrefix
        const input = source(opts.source, model, config.replica.url)
        try {
          const result = await verifyIndex({
            es,
            model,
            alias: `${prefix}${name}`,
            usersAlias: `${prefix}users`,
            records: input.records,
          })
          for (const d of result.differences.slice(0, 100)) console.log(`${name} ${d.id}: ${d.problem}`)
          console.log(`${name}: ${result.checked} records checked, ${result.differences.length} differences`)
          return result.differences.length === 0 ? 0 : 1
        } finally {
          await input.close()
          await es.close()
        }
      }),
    )
  return index
}
