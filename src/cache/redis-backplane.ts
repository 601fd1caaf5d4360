import { Redis } from 'ioredis';
import type { Logger } from '../kernel/index.js';
import type { CacheBackplane, CacheSpec } from './cache.js';

export const INVALIDATION_CHANNEL = 'fieldline:cache:invalidate';

/** One announced change: which cache, which keys (null: all), and which node sent it. */
interface Announcement {
  node: string;
  cache: string;
  keys: string[] | null;
}

const valueKey = (spec: CacheSpec, key: string) => `fieldline:cache:${spec.name}:v:${key}`;
const genKey = (spec: CacheSpec, key: string) => `fieldline:cache:${spec.name}:g:${key}`;

// Drops values, bumps their generations (so a load that read the database before the change cannot store
// its result after it) and publishes the announcement — atomically, in this order.
// KEYS: value1, gen1, value2, gen2, …; ARGV: generation TTL (ms), channel, message.
const INVALIDATE = `
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
return redis.call('PUBLISH', ARGV[2], ARGV[3])`;

// Stores a loaded value only if no invalidation happened since the load began (the generation is unchanged).
// KEYS: value, gen; ARGV: expected generation ('' when there was none), value, TTL (ms).
const SET_IF_GENERATION = `
local g = redis.call('GET', KEYS[2]) or ''
if g == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

export interface RedisBackplaneOptions {
  url: string;
  /** This node's id: its own announcements, echoed back by Redis, are not applied twice. */
  node: string;
  log: Logger;
  /** Applies another node's announcement to the local tiers. */
  apply: (cache: string, keys: string[] | null) => void;
  /** Called when coherence was regained: every local tier must be forgotten (announcements may be lost). */
  resync: () => void;
}

/**
 * The Redis side of the cache layer: a second tier for shared caches (GET/SET with a TTL) and invalidations
 * published to every node on one channel. Two connections: commands fail fast when Redis is away (the
 * database answers meanwhile), the subscriber reconnects forever. While the subscriber is not subscribed the
 * layer is incoherent — another node's change could be missed — so local tiers are bypassed until it is back,
 * and then forgotten. Announcements that could not be sent are retried when the connection returns.
 */
export class RedisBackplane implements CacheBackplane {
  private cmd: Redis | null = null;
  private sub: Redis | null = null;
  private subscribed = false;
  private currentEpoch = 0;
  private readonly soon = new Map<string, { spec: CacheSpec; keys: Set<string> }>();
  private soonScheduled = false;
  /** Announcements that failed, per cache (null: the whole cache), resent when commands work again. */
  private readonly unsent = new Map<string, { spec: CacheSpec; keys: Set<string> | null }>();
  private lastError: string | null = null;

  constructor(private readonly options: RedisBackplaneOptions) {}

  get coherent(): boolean {
    return this.subscribed;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /** Connects both clients; waits a little for them, but a Redis that is down does not stop Fieldline starting. */
  async start(waitMs = 3000): Promise<void> {
    const common = { lazyConnect: true, connectTimeout: 2000, retryStrategy: (n: number) => Math.min(100 * n, 2000) };
    this.cmd = new Redis(this.options.url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    this.sub = new Redis(this.options.url, { ...common, autoResubscribe: false, maxRetriesPerRequest: null });
    for (const client of [this.cmd, this.sub])
      client.on('error', (err: Error) => {
        if (this.lastError !== err.message) this.options.log.warn({ err: err.message }, 'redis connection error');
        this.lastError = err.message;
      });
    this.cmd.on('ready', () => void this.resend());
    this.sub.on('ready', () => void this.subscribe());
    this.sub.on('close', () => this.lose());
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === INVALIDATION_CHANNEL) this.receive(message);
    });
    const ready = Promise.allSettled([this.cmd.connect(), this.sub.connect()]);
    await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    // connect() resolving means "ready"; the subscription follows right after.
    for (let i = 0; i < 50 && this.sub.status === 'ready' && !this.subscribed; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }

  async stop(): Promise<void> {
    this.flushSoon();
    const clients = [this.cmd, this.sub].filter((c): c is Redis => c !== null);
    this.cmd = null;
    this.sub = null;
    this.lose();
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }

  /** For /health: round trip of a PING on the command connection, and the subscriber's state. */
  async ping(): Promise<{ subscribed: boolean; status: string }> {
    const cmd = this.cmd;
    if (!cmd) throw new Error('the cache layer is not started');
    if (cmd.status !== 'ready') throw new Error(this.lastError ?? `connection ${cmd.status}`);
    await cmd.ping();
    return { subscribed: this.subscribed, status: cmd.status };
  }

  async remoteGet(spec: CacheSpec, key: string): Promise<{ hit: true; value: unknown } | { hit: false; gen: string }> {
    const cmd = this.ready();
    const [value, gen] = await cmd.mget(valueKey(spec, key), genKey(spec, key));
    if (value !== null && value !== undefined) return { hit: true, value: (JSON.parse(value) as { v: unknown }).v };
    return { hit: false, gen: gen ?? '' };
  }

  async remoteSet(spec: CacheSpec, key: string, value: unknown, gen: string): Promise<void> {
    const cmd = this.ready();
    await cmd.eval(
      SET_IF_GENERATION,
      2,
      valueKey(spec, key),
      genKey(spec, key),
      gen,
      JSON.stringify({ v: value }),
      String(spec.ttlMs),
    );
  }

  async announce(spec: CacheSpec, keys: readonly string[] | null): Promise<void> {
    try {
      await this.send(spec, keys);
    } catch (err) {
      this.remember(spec, keys);
      this.options.log.warn(
        { err: err instanceof Error ? err.message : String(err), cache: spec.name },
        'cache invalidation not announced to other nodes yet; will retry when Redis is back',
      );
    }
  }

  announceSoon(spec: CacheSpec, key: string): void {
    let pending = this.soon.get(spec.name);
    if (!pending) {
      pending = { spec, keys: new Set() };
      this.soon.set(spec.name, pending);
    }
    pending.keys.add(key);
    if (!this.soonScheduled) {
      this.soonScheduled = true;
      setImmediate(() => this.flushSoon());
    }
  }

  private flushSoon(): void {
    this.soonScheduled = false;
    const batches = [...this.soon.values()];
    this.soon.clear();
    for (const { spec, keys } of batches) void this.announce(spec, [...keys]);
  }

  private async send(spec: CacheSpec, keys: readonly string[] | null): Promise<void> {
    const cmd = this.ready();
    const message = JSON.stringify({
      node: this.options.node,
      cache: spec.name,
      keys: keys && [...keys],
    } satisfies Announcement);
    if (keys === null) {
      if (spec.shared) await this.dropAllShared(cmd, spec);
      await cmd.publish(INVALIDATION_CHANNEL, message);
      return;
    }
    if (!spec.shared) {
      await cmd.publish(INVALIDATION_CHANNEL, message);
      return;
    }
    const redisKeys = keys.flatMap((k) => [valueKey(spec, k), genKey(spec, k)]);
    // Generations outlive the values they guard by a margin, so a slow load still sees the bump.
    await cmd.eval(
      INVALIDATE,
      redisKeys.length,
      ...redisKeys,
      String(spec.ttlMs * 2 + 60_000),
      INVALIDATION_CHANNEL,
      message,
    );
  }

  private async dropAllShared(cmd: Redis, spec: CacheSpec): Promise<void> {
    let cursor = '0';
    do {
      const [next, found] = await cmd.scan(cursor, 'MATCH', `fieldline:cache:${spec.name}:v:*`, 'COUNT', 500);
      cursor = next;
      if (found.length > 0) await cmd.unlink(...found);
    } while (cursor !== '0');
  }

  private remember(spec: CacheSpec, keys: readonly string[] | null): void {
    const entry = this.unsent.get(spec.name);
    if (keys === null || entry?.keys === null) {
      this.unsent.set(spec.name, { spec, keys: null });
      return;
    }
    const set = entry?.keys ?? new Set<string>();
    for (const k of keys) set.add(k);
    // Past a few thousand keys one "drop everything" is cheaper and just as correct.
    this.unsent.set(spec.name, { spec, keys: set.size > 5000 ? null : set });
  }

  private async resend(): Promise<void> {
    const pending = [...this.unsent.values()];
    this.unsent.clear();
    for (const { spec, keys } of pending) await this.announce(spec, keys === null ? null : [...keys]);
  }

  private async subscribe(): Promise<void> {
    const sub = this.sub;
    if (!sub) return;
    try {
      await sub.subscribe(INVALIDATION_CHANNEL);
    } catch (err) {
      this.options.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'redis subscribe failed');
      return;
    }
    // Whatever was announced while we were not listening is unknown: start the local tiers afresh.
    this.currentEpoch++;
    this.options.resync();
    this.subscribed = true;
    this.lastError = null;
  }

  private lose(): void {
    if (this.subscribed) this.currentEpoch++;
    this.subscribed = false;
  }

  private receive(message: string): void {
    let a: Announcement;
    try {
      a = JSON.parse(message) as Announcement;
    } catch {
      return;
    }
    if (a.node === this.options.node || typeof a.cache !== 'string') return;
    this.options.apply(a.cache, Array.isArray(a.keys) ? a.keys.map(String) : null);
  }

  private ready(): Redis {
    const cmd = this.cmd;
    if (cmd?.status !== 'ready') throw new Error(this.lastError ?? 'redis is not connected');
    return cmd;
  }
}
