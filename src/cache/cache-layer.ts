import type { Clock, Lifecycle, Logger } from '../kernel/index.js';
import { createLogger, newId } from '../kernel/index.js';
import { type Cache, type CacheBackplane, type CacheSpec, TieredCache } from './cache.js';
import { RedisBackplane } from './redis-backplane.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Every cache of Fieldline, with its time to live. TTLs only bound how long a value lives when nothing
 * changes: every write goes through an invalidation, here and on the other nodes.
 */
export const CACHE_SPECS = {
  /** Device by id, for the ingest path (MQTT native topics with API keys, HTTP ingest). */
  devices: { name: 'devices', ttlMs: 5 * MINUTE, maxEntries: 100_000, shared: true },
  /** Device by access-token hash (MQTT login, `/api/v1/{token}/telemetry`); unknown tokens are never kept. */
  deviceTokens: { name: 'device_tokens', ttlMs: 5 * MINUTE, maxEntries: 100_000, shared: true },
  /**
   * The device row the API shows. Presence writes status/last_seen in batches behind the registry's back,
   * so the TTL is short; status changes invalidate it at once.
   */
  deviceRows: { name: 'device_rows', ttlMs: 15 * SECOND, maxEntries: 20_000, shared: false },
  /**
   * Credentials: user, membership, organization, API key as the authenticator needs them (no password
   * hashes). Short, because `fieldline admin reset-password` writes the database without the server.
   */
  users: { name: 'users', ttlMs: 30 * SECOND, maxEntries: 10_000, shared: false },
  memberships: { name: 'memberships', ttlMs: 30 * SECOND, maxEntries: 50_000, shared: false },
  organizations: { name: 'organizations', ttlMs: 30 * SECOND, maxEntries: 10_000, shared: false },
  apiKeys: { name: 'api_keys', ttlMs: 30 * SECOND, maxEntries: 10_000, shared: false },
  /** Latest value per key of a device; dropped on every commit for that device. */
  latest: { name: 'latest', ttlMs: MINUTE, maxEntries: 20_000, shared: false },
  /** Active rules, for the rule engine (its invalidation hook is `rules.invalidate(...)` / `onInvalidate`). */
  rules: { name: 'rules', ttlMs: 10 * MINUTE, maxEntries: 10_000, shared: true },
  /** Open alerts counted per organization and severity. */
  alertCounts: { name: 'alert_counts', ttlMs: 3 * MINUTE, maxEntries: 10_000, shared: false },
} as const satisfies Record<string, CacheSpec>;

export interface CacheLayerOptions {
  /** redis://… to share values and invalidations between nodes; null: in-process only. */
  redisUrl: string | null;
  clock: Clock;
  /** Needed with Redis (connection problems are logged); silent otherwise. */
  log?: Logger;
}

/** In-process only: one node, so every change is seen at once. */
class LocalBackplane implements CacheBackplane {
  readonly coherent = true;
  readonly epoch = 0;
  async announce(): Promise<void> {}
  announceSoon(): void {}
}

/**
 * The cache layer: named caches behind one interface, an in-process LRU tier with TTLs in front of Redis when
 * FIELDLINE_REDIS_URL is set. Invalidations are published to every node (see RedisBackplane).
 */
export class CacheLayer implements Lifecycle {
  readonly name = 'cache';
  /** This node's id in announcements. */
  readonly node = newId();
  private readonly caches = new Map<string, TieredCache<unknown>>();
  private readonly redis: RedisBackplane | null;
  private readonly backplane: CacheBackplane;

  constructor(private readonly options: CacheLayerOptions) {
    this.redis = options.redisUrl
      ? new RedisBackplane({
          url: options.redisUrl,
          node: this.node,
          log: (options.log ?? createLogger('silent')).child({ component: 'cache' }),
          apply: (cache, keys) => this.caches.get(cache)?.drop(keys, 'remote'),
          resync: () => {
            for (const c of this.caches.values()) c.resync();
          },
        })
      : null;
    this.backplane = this.redis ?? new LocalBackplane();
  }

  /** 'redis' when values and invalidations are shared through Redis. */
  get mode(): 'memory' | 'redis' {
    return this.redis ? 'redis' : 'memory';
  }

  /** The cache of this spec (created on first use; the same object for every caller). */
  cache<V>(spec: CacheSpec): Cache<V> {
    let c = this.caches.get(spec.name);
    if (!c) {
      c = new TieredCache<unknown>(spec, this.backplane, this.options.clock);
      this.caches.set(spec.name, c);
    }
    return c as unknown as Cache<V>;
  }

  all(): Cache<unknown>[] {
    return [...this.caches.values()];
  }

  async start(): Promise<void> {
    await this.redis?.start();
  }

  async stop(): Promise<void> {
    await this.redis?.stop();
  }

  /** For /health; null when Redis is not configured. */
  async redisHealth(): Promise<{ subscribed: boolean; status: string } | null> {
    return this.redis ? this.redis.ping() : null;
  }
}
