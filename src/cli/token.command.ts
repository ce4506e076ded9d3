// search-stats token --user <id> [--admin]: a development token signed with AUTH_SECRET.
import { Command, InvalidArgumentError } from 'commander'
import { mintToken } from '../auth/tokens.js'
import { action, commandContext } from './context.js'

const positive = (name: string) => (value: string) => {
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError(`${name} must be a positive whole number`)
  return parsed
}

export function tokenCommand(): Command {
  return new Command('token')
    .description('mint a development bearer token for the stats API (signed with AUTH_SECRET)')
    .requiredOption('--user <id>', 'the user (artist) id the token speaks for', positive('--user'))
    .option('--admin', 'may read every artist’s stats')
    .option('--ttl <seconds>', 'lifetime in seconds', positive('--ttl'), 3600)
    .action(
      action(async (opts: { user: number; admin?: boolean; ttl: number }) => {
        const { config } = commandContext('token')
        if (!config.auth.secret) {
          throw new Error(
            'token signs with AUTH_SECRET: set it (32 characters or more) here and for the server. ' +
              'With AUTH_PUBLIC_KEY, tokens come from whoever holds the private key.',
          )
        }
        console.log(
          await mintToken(config.auth.secret, { userId: opts.user, admin: opts.admin, ttlSeconds: opts.ttl }),
        )
        return 0
      }),
    )
}
