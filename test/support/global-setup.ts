// Before any test: the same `services up` a developer runs, so tests talk to a real broker and a real
// Elasticsearch node. Services already answering at the configured URLs are reused.
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { servicesUp } from '../../src/services/local-services.js'
import { formatStatus } from '../../src/services/status.js'

export default async function setup(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger({ level: 'warn', name: 'test-setup', destination: 2 })
  const started = await servicesUp(config, logger)
  for (const status of started) process.stderr.write(`${formatStatus(status)}\n`)
}
