// Bearer tokens: JWTs signed with AUTH_SECRET (HS256) or verified with AUTH_PUBLIC_KEY (RS256 or
// ES256, PEM), subject = the user id, `roles` may hold "admin". Verification pins the algorithms, so
// `alg: none` and an HMAC token "signed" with a public key are refused; expiry is required.
import { createPublicKey } from 'node:crypto'
import { importSPKI, jwtVerify, SignJWT } from 'jose'

export interface Principal {
  userId: number
  admin: boolean
}

export class TokenError extends Error {}

const ISSUER = 'search-stats'

export interface TokenKeys {
  secret?: string
  publicKey?: string
}

export class TokenVerifier {
  private readonly key: Promise<CryptoKey | Uint8Array>
  private readonly algorithms: string[]

  constructor(keys: TokenKeys) {
    if (keys.secret) {
      this.key = Promise.resolve(new TextEncoder().encode(keys.secret))
      this.algorithms = ['HS256']
    } else if (keys.publicKey) {
      // A PEM in one environment variable often arrives with literal "\n"s.
      const pem = keys.publicKey.replace(/\\n/g, '\n')
      const type = createPublicKey(pem).asymmetricKeyType
      if (type !== 'rsa' && type !== 'ec')
        throw new TokenError(`AUTH_PUBLIC_KEY: an RSA or EC key, not ${type}`)
      const algorithm = type === 'rsa' ? 'RS256' : 'ES256'
      this.key = importSPKI(pem, algorithm)
      this.algorithms = [algorithm]
    } else {
      throw new TokenError('no AUTH_SECRET or AUTH_PUBLIC_KEY: tokens cannot be verified')
    }
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: this.algorithms,
        issuer: ISSUER,
        requiredClaims: ['exp', 'sub'],
      })
      const userId = Number(payload.sub)
      if (!Number.isSafeInteger(userId) || userId <= 0) throw new TokenError('the subject is not a user id')
      const roles = Array.isArray(payload.roles) ? payload.roles : []
      return { userId, admin: roles.includes('admin') }
    } catch (err) {
      if (err instanceof TokenError) throw err
      throw new TokenError((err as Error).message)
    }
  }
}

/** A development token (the `token` command, tests, the demo). */
export async function mintToken(
  secret: string,
  claims: { userId: number; admin?: boolean; ttlSeconds?: number },
): Promise<string> {
  return new SignJWT({ roles: claims.admin ? ['admin'] : [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(claims.userId))
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(secret))
}
