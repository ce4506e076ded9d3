// Who is asking: the bearer token's user, verified on every stats request. The one rule of stats:
// an artist reads their own; an admin reads anyone's. Missing or bad token: 401; someone else's: 403.
import type { Context } from 'hono'
import { type Principal, TokenError, type TokenVerifier } from '../src/auth/tokens.js'
import { ApiError } from './errors.js'

const challenge = { 'WWW-Authenticate': 'Bearer realm="search-stats"' }

export async function principalOf(c: Context, verifier: TokenVerifier | undefined): Promise<Principal> {
  if (!verifier) {
    throw new ApiError(
      503,
      'unavailable',
      'stats need AUTH_SECRET or AUTH_PUBLIC_KEY to verify tokens',
      undefined,
      {
        'Retry-After': '60',
      },
    )
  }
  const header = c.req.header('Authorization') ?? ''
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (!match?.[1])
    throw new ApiError(
      401,
      'unauthorized',
      'an Authorization: Bearer <token> header is required',
      undefined,
      challenge,
    )
  try {
    return await verifier.verify(match[1])
  } catch (err) {
    const reason = err instanceof TokenError ? err.message : 'invalid token'
    throw new ApiError(401, 'unauthorized', `the token was refused: ${reason}`, undefined, {
      'WWW-Authenticate': 'Bearer realm="search-stats", error="invalid_token"',
    })
  }
}

export function requireOwner(principal: Principal, ownerId: number): void {
  if (principal.admin || principal.userId === ownerId) return
  throw new ApiError(403, 'forbidden', 'these stats belong to another artist')
}
