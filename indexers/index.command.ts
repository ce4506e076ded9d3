// search-stats index rebuild|verify: the operators' jobs for the search indexes.
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { Command } from 'commander'
import { action, commandContext } from '../src/cli/context.js'
import type { ModelClass } from '../src/contracts/model-events.js'
import { createElasticsearchClient } from '../src/elasticsearch/client.js'
import { rebuildIndex, verifyIndex } from './rebuild.js'

const MODELS: Record<string, ModelClass> = { tracks: 'Track', users: 'User' }

/** Records of an NDJSON snapshot (one record's attributes per line). */
async function* ndjson(file: string): AsyncGenerator<unknown> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  let n = 0
  for await (const line of lines) {
    n++
    if (!line.trim()) continue
    try {
      yield JSON.parse(line)
    } catch (err) {
      throw new Error(`${file}:${n}: not JSON (${(err as Error).message})`)
    }
  }
}

function source(name: string): AsyncIterable<unknown> {
  if (name === 'replica') {
    throw new Error(
      'the database replica source is not available yet; give an NDJSON snapshot: --source <file> ' +
        '(one record per line, attributes as in a create event)',
    )
  }
  return ndjson(name)
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
    .requiredOption('--source <source>', 'an NDJSON snapshot file (or replica, once configured)')
    .option('--keep-old', 'keep the previous index after the swap (for a rollback)')
    .action(
      action(async (name: string, opts: { source: string; keepOld?: boolean }) => {
        const model = modelOf(name)
        const { config, logger } = commandContext('index')
        const es = createElasticsearchClient({ url: config.elasticsearch.url })
        const prefix = config.elasticsearch.indexPrefix
        try {
          const result = await rebuildIndex({
            es,
            model,
            alias: `${prefix}${name}`,
            usersAlias: `${prefix}users`,
            records: source(opts.source),
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
          await es.close()
        }
      }),
    )
  index
    .command('verify')
    .description('compare an index with its source and list the differences; exit 1 if there are any')
    .argument('<index>', 'tracks or users')
    .requiredOption('--source <source>', 'an NDJSON snapshot file (or replica, once configured)')
    .action(
      action(async (name: string, opts: { source: string }) => {
        const model = modelOf(name)
        const { config } = commandContext('index')
        const es = createElasticsearchClient({ url: config.elasticsearch.url })
        const prefix = config.elasticsearch.indexPrefix
        try {
          const result = await verifyIndex({
            es,
            model,
            alias: `${prefix}${name}`,
            usersAlias: `${prefix}users`,
            records: source(opts.source),
          })
          for (const d of result.differences.slice(0, 100)) console.log(`${name} ${d.id}: ${d.problem}`)
          console.log(`${name}: ${result.checked} records checked, ${result.differences.length} differences`)
          return result.differences.length === 0 ? 0 : 1
        } finally {
          await es.close()
        }
      }),
    )
  return index
}
