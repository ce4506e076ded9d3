// The search-stats command line. Each area contributes its commands; this file only assembles them.
import { Command, Option } from 'commander'
import { migrate } from '../rollups/migrate.js'
import { action, commandContext } from '../src/cli/context.js'
import { publishCommand } from '../src/cli/publish.command.js'
import { doctorCommand, servicesCommand } from '../src/cli/services.command.js'
import { createClickHouse } from '../src/clickhouse/client.js'
import { ROLES, type Role, serve } from './serve.js'

const program = new Command('search-stats')
  .description('Search and artist stats for a music platform')
  .showHelpAfterError()

program
  .command('serve')
  .description('run the API and the consumers, together or one role per process')
  .addOption(new Option('--role <role>', 'what this process runs').choices(ROLES).default('all'))
  .action(
    action(async (opts: { role: Role }) => {
      const { config, logger } = commandContext(`serve:${opts.role}`, 1)
      const running = await serve({ config, logger, role: opts.role })
      running.lifecycle.exitOnSignals(config.shutdownTimeoutMs)
      return undefined
    }),
  )

program.addCommand(servicesCommand())
program.addCommand(doctorCommand())
program.addCommand(publishCommand())

program
  .command('migrate')
  .description('apply the ClickHouse schema migrations (safe to run again)')
  .action(
    action(async () => {
      const { config } = commandContext('migrate')
      const client = await createClickHouse({ ...config.clickhouse, application: 'search-stats-migrate' })
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
