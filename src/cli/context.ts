// What every command needs: the validated configuration and a logger on stderr (stdout is the
// command's own output). A bad configuration ends the command with the message naming the variable.
import { type Config, ConfigError, loadConfig } from '../config.js'
import { createLogger, type Logger } from '../logger.js'

export interface CommandContext {
  config: Config
  logger: Logger
}

export function commandContext(name: string, destination: 1 | 2 = 2): CommandContext {
  const config = loadConfig()
  return { config, logger: createLogger({ level: config.log.level, name, destination }) }
}

/** Runs a command body; failures print one clear message (no stack) and exit non-zero. */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number | undefined>) {
  return async (...args: A) => {
    try {
      const code = await body(...args)
      process.exitCode = code ?? 0
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : `error: ${(err as Error).message}`
      process.stderr.write(`${message}\n`)
      process.exitCode = 1
    }
  }
}
