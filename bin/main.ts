// The search-stats command line. Each area contributes its commands; this file only assembles them.
import { Command, Option } from 'commander'
import { indexCommand } from '../indexers/index.command.js'
import { writeLogWorkload } from '../rollups/log-workload.js'
import { migrate } from '../rollups/migrate.js'
import { rollupsCommand } from '../rollups/rollups.command.js'
import { openClickHouseForJob } from '../src/cli/clickhouse-job.js'
import { action, commandContext } from '../src/cli/context.js'
import { publishCommand } from '../src/cli/publish.command.js'
import { doctorCommand, servicesCommand } from '../src/cli/services.command.js'
import { tokenCommand } from '../src/cli/token.command.js'
import { loosenOldGenerationGrowth } from '../src/gc-tuning.js'
import { ROLES, type Role, serve } from './serve.js'

const program = new Command('search-stats')
  .description('Search and artist stats for a music platform')
  .showHelpAfterError()

program
  .command('serve')
  .description('run the API and the consumers, together or one role per process')
  .addOption(new Option('--role <role>', 'what this process runs').choices(ROLES).default('all'))
  .option('--demo', 'also publish a trickle of synthetic stats events (what npm start runs)')
  .action(
    action(async (opts: { role: Role; demo?: boolean }) => {
      const { config, logger } = commandContext(`serve:${opts.role}`, 1)
      loosenOldGenerationGrowth()
      const running = await serve({ config, logger, role: opts.role, demo: opts.demo })
      running.lifecycle.exitOnSignals(config.shutdownTimeoutMs)
      return undefined
    }),
  )

program.addCommand(servicesCommand())
program.addCommand(doctorCommand())
program.addCommand(indexCommand())
program.addCommand(rollupsCommand())
program.addCommand(tokenCommand())
program.addCommand(
  publishCommand({
    directWrite: async (opts) => {
      const { config } = commandContext('publish')
      const client = await openClickHouseForJob(config, 'search-stats-workload')
      try {
        await migrate(client)
        return await writeLogWorkload(
          client,
          { ...opts, idPrefix: `gen-${opts.seed}-${Date.now().toString(36)}-` },
          opts.onProgress,
        )
      } finally {
        await client.close()
      }
    },
  }),
)

program
  .command('migrate')
  .description('apply the ClickHouse schema migrations (safe to run again)')
  .action(
    action(async () => {
      const { config } = commandContext('migrate')
      const client = await openClickHouseForJob(config, 'search-stats-migrate')
      try {
        const result = await migrate(client, { onProgress: (m) => console.log(m) })
        console.log(
          `migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`,
        )
        return 0
      } finally {
        await client.close()
      }
    }),
  )

await program.parseAsync(process.argv)
