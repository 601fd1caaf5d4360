import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { FieldlineError } from '../kernel/index.js';

export interface AccessClaims {
  /** User id. */
  sub: string;
  /** Organization the token acts in. */
  org: string;
  /** The user's password_changed_at when issued: a password change makes every older token stale, exactly. */
  pwd: number;
  /** Issued at, seconds. */
  iat: number;
  exp: number;
}

const ISSUER = 'fieldline';
const AUDIENCE = 'fieldline-api';

/** Signs and checks user access tokens: HS256 JWTs under a key derived from FIELDLINE_SECRET_KEY. */
export class TokenService {
  private readonly signer: (payload: Record<string, unknown>) => string;
  private readonly verifier: (token: string) => AccessClaims;

  constructor(
    key: Buffer,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    // exp is computed from the iat we pass, so an injected clock controls the whole lifetime.
    this.signer = createSigner({ key, algorithm: 'HS256', iss: ISSUER, aud: AUDIENCE, expiresIn: ttlSeconds * 1000 });
    this.verifier = createVerifier({
      key,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['sub', 'org', 'pwd', 'exp', 'iat'],
      // A client sends the same token with every request: the signature check and claim parsing were a tenth
      // of a warm API request. Entries live until the token's own exp (fast-jwt caps cacheTTL by it); failures
      // are not cached. fast-jwt's own key builder (a hash of the token) is kept: a custom one makes it warn
      // on every start.
      cache: 10_000,
    }) as (token: string) => AccessClaims;
  }

  issue(userId: string, organizationId: string, passwordChangedAt: number): { token: string; expiresIn: number } {
    const iat = Math.floor(this.now() / 1000);
    return {
      token: this.signer({ sub: userId, org: organizationId, pwd: passwordChangedAt, iat }),
      expiresIn: this.ttlSeconds,
    };
  }

  verify(token: string): AccessClaims {
    try {
      return this.verifier(token);
    } catch (err) {
      if (err instanceof TokenError && err.code === TokenError.codes.expired) {
        throw new FieldlineError('FIELDLINE_ERR_TOKEN_EXPIRED', 'The access token has expired; log in again');
      }
      throw new FieldlineError('FIELDLINE_ERR_UNAUTHENTICATED', 'The access token is invalid');
    }
  }
}
