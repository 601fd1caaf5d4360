import { CACHE_SPECS, type Cache, CacheLayer } from '../cache/index.js';
import { type Clock, FieldlineError, hashSecret } from '../kernel/index.js';
import { API_KEY_PATTERN, looksLikeApiKey } from './api-keys.js';
import type { Principal } from './principal.js';
import { isRole, type Role } from './roles.js';
import type { AuthStore, CredentialChange } from './store.js';
import type { AccessClaims, TokenService } from './tokens.js';

/** What authentication needs of a user: no password hash, so nothing secret sits in a cache. */
interface CachedUser {
  username: string;
  disabled: boolean;
  passwordChangedAt: number;
  isPlatformAdmin: boolean;
}

interface CachedApiKey {
  id: string;
  name: string;
  organizationId: string;
  role: string;
  revokedAt: number | null;
  expiresAt: number | null;
}

const unauthenticated = (detail: string) => new FieldlineError('FIELDLINE_ERR_UNAUTHENTICATED', detail);

/** last_used_at is written at most this often per key, so API traffic does not turn every read into a write. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Turns a bearer credential (user JWT or organization API key) into a Principal. The role is read from the
 * membership at each call, so a role change or removal takes effect on the next request, not at token expiry.
 * HTTP, Socket.IO and MQTT all authenticate through here.
 */
export class Authenticator {
  private readonly lastTouch = new Map<string, number>();
  private readonly users: Cache<CachedUser | null>;
  private readonly memberships: Cache<Role | null>;
  private readonly organizations: Cache<boolean>;
  private readonly apiKeys: Cache<CachedApiKey | null>;

  /**
   * Reads go through the credential caches; AuthStore writes invalidate them on every node (see
   * CredentialInvalidation), so a disabled user, a removed member or a revoked key is refused at once.
   */
  constructor(
    private readonly store: AuthStore,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    caches: CacheLayer = new CacheLayer({ redisUrl: null, clock }),
  ) {
    this.users = caches.cache(CACHE_SPECS.users);
    this.memberships = caches.cache(CACHE_SPECS.memberships);
    this.organizations = caches.cache(CACHE_SPECS.organizations);
    this.apiKeys = caches.cache(CACHE_SPECS.apiKeys);
    store.onCredentialChange((change) => this.forget(change));
  }

  /**
   * Calls the listener whenever cached API keys may have changed — a key revoked, an organization deleted —
   * on this node or, with Redis, announced by another. Answers the unsubscribe function.
   */
  onApiKeysChanged(listener: () => void): () => void {
    return this.apiKeys.onInvalidate(() => listener());
  }

  private async forget(change: CredentialChange): Promise<void> {
    switch (change.kind) {
      case 'user':
        return this.users.invalidate(change.userId);
      case 'membership':
        return this.memberships.invalidate(`${change.userId}|${change.organizationId}`);
      case 'organization_deleted':
        // Its memberships and API keys went with it (ON DELETE CASCADE), and they are not indexed by organization.
        await Promise.all([
          this.organizations.invalidate(change.organizationId),
          this.memberships.clear(),
          this.apiKeys.clear(),
        ]);
        return;
      case 'api_key':
        return this.apiKeys.invalidate(change.keyHash);
    }
  }

  /**
   * Synchronous when the token's user and membership are cached (nearly every request), so the HTTP guard
   * does not pay for a chain of promises on each call; a promise otherwise.
   */
  authenticate(credential: string): Principal | Promise<Principal> {
    if (looksLikeApiKey(credential)) return this.fromApiKey(credential);
    const claims = this.tokens.verify(credential);
    const user = this.users.hit(claims.sub);
    const role = this.memberships.hit(`${claims.sub}|${claims.org}`);
    // A user acting in an organization they are no member of (platform administrators) needs the
    // organization looked up: the long way.
    if (user !== undefined && role !== undefined && role !== null)
      return this.principalOf(claims, this.usable(claims, user), role);
    return this.fromAccessToken(claims);
  }

  private async fromAccessToken(claims: AccessClaims): Promise<Principal> {
    const user = await this.users.get(claims.sub, async () => {
      const row = await this.store.userById(claims.sub);
      return row
        ? {
            username: row.username,
            disabled: row.disabled === 1,
            passwordChangedAt: row.password_changed_at,
            isPlatformAdmin: row.is_platform_admin === 1,
          }
        : null;
    });
    const account = this.usable(claims, user);
    const role = await this.memberships.get(
      `${claims.sub}|${claims.org}`,
      async () => (await this.store.membership(claims.sub, claims.org)) ?? null,
    );
    const principal = this.principalOf(claims, account, role);
    if (
      role === null &&
      !(await this.organizations.get(claims.org, async () => !!(await this.store.organizationById(claims.org))))
    ) {
      throw unauthenticated('The organization of this token no longer exists');
    }
    return principal;
  }

  /** The user behind a token, if it may still use it. */
  private usable(claims: AccessClaims, user: CachedUser | null): CachedUser {
    if (!user || user.disabled) throw unauthenticated('The account behind this token no longer exists or is disabled');
    if (claims.pwd !== user.passwordChangedAt) {
      throw unauthenticated('The password was changed after this token was issued; log in again');
    }
    return user;
  }

  /** The principal of a usable user's token, whichever way its user and membership were found. */
  private principalOf(claims: AccessClaims, user: CachedUser, role: Role | null): Principal {
    if (role === null && !user.isPlatformAdmin) {
      throw unauthenticated('The account is no longer a member of this organization');
    }
    return {
      kind: 'user',
      id: claims.sub,
      name: user.username,
      organizationId: claims.org,
      // A platform administrator may act in any organization, as its owner.
      role: role ?? 'owner',
      isPlatformAdmin: user.isPlatformAdmin,
    };
  }

  private async fromApiKey(key: string): Promise<Principal> {
    if (!API_KEY_PATTERN.test(key)) throw unauthenticated('The API key is malformed');
    const hash = hashSecret(key);
    // Unknown keys are not kept: guesses must not fill the cache.
    const row = await this.apiKeys.get(
      hash,
      async () => {
        const r = await this.store.apiKeyByHash(hash);
        return r
          ? {
              id: r.id,
              name: r.name,
              organizationId: r.organization_id,
              role: r.role,
              revokedAt: r.revoked_at,
              expiresAt: r.expires_at,
            }
          : null;
      },
      { keep: (r) => r !== null },
    );
    const now = this.clock.now();
    if (!row || row.revokedAt !== null) throw unauthenticated('The API key is unknown or revoked');
    if (row.expiresAt !== null && row.expiresAt <= now) throw unauthenticated('The API key has expired');
    if (!isRole(row.role)) throw unauthenticated('The API key has no valid role');
    if (now - (this.lastTouch.get(row.id) ?? 0) > TOUCH_INTERVAL_MS) {
      this.lastTouch.set(row.id, now);
      await this.store.touchApiKey(row.id, now);
    }
    return {
      kind: 'api_key',
      id: row.id,
      name: row.name,
      organizationId: row.organizationId,
      role: row.role,
      isPlatformAdmin: false,
    };
  }
}
