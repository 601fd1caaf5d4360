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
    }) as (token: string) => AccessClaims;
  }

  /**
   * Tokens already verified, by their exact text, until their exp. A client sends the same token with every
   * request: the signature check and claim parsing were a tenth of a warm API request, and fast-jwt's own cache
   * still hashed the token (SHA-256) on every lookup — a Map keyed by the string itself costs a fraction of it.
   * Only verified tokens get in, so a forged one never matches; failures are not kept. Bounded, oldest out.
   */
  private readonly verified = new Map<string, AccessClaims>();
  private static readonly VERIFIED_MAX = 10_000;

  issue(userId: string, organizationId: string, passwordChangedAt: number): { token: string; expiresIn: number } {
    const iat = Math.floor(this.now() / 1000);
    return {
      token: this.signer({ sub: userId, org: organizationId, pwd: passwordChangedAt, iat }),
      expiresIn: this.ttlSeconds,
    };
  }

  verify(token: string): AccessClaims {
    const known = this.verified.get(token);
    // fast-jwt judges exp by the real clock; so does this, or a token would expire differently on a hit.
    if (known !== undefined && known.exp * 1000 > Date.now()) return known;
    if (known !== undefined) this.verified.delete(token);
    try {
      const claims = Object.freeze(this.verifier(token));
      if (this.verified.size >= TokenService.VERIFIED_MAX) {
        const oldest = this.verified.keys().next();
        if (!oldest.done) this.verified.delete(oldest.value);
      }
      this.verified.set(token, claims);
      return claims;
    } catch (err) {
      if (err instanceof TokenError && err.code === TokenError.codes.expired) {
        throw new FieldlineError('FIELDLINE_ERR_TOKEN_EXPIRED', 'The access token has expired; log in again');
      }
      throw new FieldlineError('FIELDLINE_ERR_UNAUTHENTICATED', 'The access token is invalid');
    }
  }
}
