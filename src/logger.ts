// Structured JSON logs (pino). Services log to stdout; command-line jobs log to stderr so that their
// stdout stays the job's own output.
import { type Logger, pino } from 'pino'

export type { Logger }

export function createLogger(options: { level: string; name?: string; destination?: 1 | 2 }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'search-stats', ...(options.name ? { component: options.name } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: options.destination ?? 1, sync: false }),
  )
}

/** For tests and library callers that want no output. */
export const silentLogger: Logger = pino({ level: 'silent' })
