// search-stats services up|down|status, and search-stats doctor.
import { Command } from 'commander'
import { servicesDown, servicesStatus, servicesUp } from '../services/local-services.js'
import { formatStatus } from '../services/status.js'
import { action, commandContext } from './context.js'

export function servicesCommand(): Command {
  const services = new Command('services').description(
    'start, stop or report the local RabbitMQ and Elasticsearch used for development and tests',
  )
  services
    .command('up')
    .description('start what does not already answer at AMQP_URL / ELASTICSEARCH_URL, and wait until it does')
    .action(
      action(async () => {
        const { config, logger } = commandContext('services')
        const started = await servicesUp(config, logger)
        for (const status of started) console.log(formatStatus(status))
        await logger.flush?.()
        return 0
      }),
    )
  services
    .command('down')
    .description('stop the services that `services up` started (never ones it found running)')
    .action(
      action(async () => {
        const { config, logger } = commandContext('services')
        const stopped = await servicesDown(config, logger)
        console.log(
          stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing started by search-stats is running',
        )
        return 0
      }),
    )
  services
    .command('status')
    .description('report each dependency; exits 1 if one is down')
    .action(
      action(async () => {
        const { config } = commandContext('services')
        const statuses = await servicesStatus(config)
        for (const status of statuses) console.log(formatStatus(status))
        return statuses.every((s) => s.up) ? 0 : 1
      }),
    )
  return services
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check every dependency and print where it is and its version; exits 1 if one is missing')
    .action(
      action(async () => {
        const { config } = commandContext('doctor')
        console.log(`${'Node.js'.padEnd(14)} up    ${process.execPath} version ${process.versions.node}`)
        const statuses = await servicesStatus(config)
        for (const status of statuses) console.log(formatStatus(status))
        const missing = statuses.filter((s) => !s.up).map((s) => s.name)
        if (missing.length) {
          console.log(`\nmissing: ${missing.join(', ')}. Run \`search-stats services up\` or fix the URLs.`)
          return 1
        }
        return 0
      }),
    )
}
