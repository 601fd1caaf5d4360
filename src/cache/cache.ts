import type { Clock } from '../kernel/index.js';
import { LruMap } from './lru.js';

export interface CacheSpec {
  /** Name in metrics and in Redis keys: lower case, digits and `_`. */
  name: string;
  ttlMs: number;
  maxEntries: number;
  /**
   * Values are also kept in Redis (when configured), so a node's miss is often another node's hit. Off for
   * values that change with every message (latest telemetry) or carry nothing worth sharing.
   */
  shared: boolean;
}

export interface CacheCounters {
  hitsLocal: number;
  hitsRemote: number;
  misses: number;
  /** Keys dropped because of a change made on this node. */
  invalidationsLocal: number;
  /** Keys dropped because another node announced a change. */
  invalidationsRemote: number;
}

/** Who announced a change: this node, or another node through Redis. */
export type InvalidationOrigin = 'local' | 'remote';
/** Keys that changed, or null when the whole cache was dropped. */
export type InvalidationListener = (keys: readonly string[] | null, origin: InvalidationOrigin) => void;

export interface LoadOptions<V> {
  /** Whether a loaded value may be kept; a value refused here is returned but loaded again next time. */
  keep?: (value: V) => boolean;
}

/**
 * One cache of the cache layer. get() answers from the in-process tier synchronously-fast, then Redis (shared
 * caches), then the loader; concurrent misses of one key share one load. A change is announced with
 * invalidate(): the key is dropped here at once and on every other node when Redis carries the message.
 * A load that was running while its key was invalidated is returned to its callers but never kept, so a
 * value read before a change cannot be cached after it.
 */
export interface Cache<V> {
  readonly name: string;
  readonly spec: CacheSpec;
  readonly counters: CacheCounters;
  readonly size: number;
  /** The in-process value, if any; never loads. */
  peek(key: string): V | undefined;
  /**
   * Like peek, counted as a hit when there is one: the synchronous fast path of a caller that falls back to
   * get() (whose miss is then counted) when this answers undefined.
   */
  hit(key: string): V | undefined;
  get(key: string, load: () => Promise<V>, options?: LoadOptions<V>): Promise<V>;
  /** Drops the keys here and on every node; resolves once the change is announced (or queued for retry). */
  invalidate(...keys: string[]): Promise<void>;
  /** Like invalidate, for frequent changes: other nodes hear of them in one message per event-loop turn. */
  invalidateSoon(key: string): void;
  /** Drops every key here and on every node. */
  clear(): Promise<void>;
  /** Called for every invalidation, local or remote (the rule engine reloads its index from here). */
  onInvalidate(listener: InvalidationListener): () => void;
}

/** What a cache needs from the layer around it: the second tier and the cross-node announcements. */
export interface CacheBackplane {
  /** False while announcements from other nodes could be missed: the local tier is then bypassed. */
  readonly coherent: boolean;
  /** Changes whenever coherence is lost or regained; a load started in another epoch is not kept. */
  readonly epoch: number;
  remoteGet?(spec: CacheSpec, key: string): Promise<{ hit: true; value: unknown } | { hit: false; gen: string }>;
  remoteSet?(spec: CacheSpec, key: string, value: unknown, gen: string): Promise<void>;
  announce(spec: CacheSpec, keys: readonly string[] | null): Promise<void>;
  announceSoon(spec: CacheSpec, key: string): void;
}

interface Flight<V> {
  promise: Promise<V>;
  stale: boolean;
}

export class TieredCache<V> implements Cache<V> {
  readonly counters: CacheCounters = {
    hitsLocal: 0,
    hitsRemote: 0,
    misses: 0,
    invalidationsLocal: 0,
    invalidationsRemote: 0,
  };
  private readonly local: LruMap<V>;
  private readonly flights = new Map<string, Flight<V>>();
  private readonly listeners = new Set<InvalidationListener>();

  constructor(
    readonly spec: CacheSpec,
    private readonly backplane: CacheBackplane,
    clock: Clock,
  ) {
    this.local = new LruMap<V>(spec.maxEntries, spec.ttlMs, clock);
  }

  get name(): string {
    return this.spec.name;
  }

  get size(): number {
    return this.local.size;
  }

  peek(key: string): V | undefined {
    return this.backplane.coherent ? this.local.get(key) : undefined;
  }

  hit(key: string): V | undefined {
    const value = this.peek(key);
    if (value !== undefined) this.counters.hitsLocal++;
    return value;
  }

  get(key: string, load: () => Promise<V>, options: LoadOptions<V> = {}): Promise<V> {
    if (this.backplane.coherent) {
      const value = this.local.get(key);
      if (value !== undefined) {
        this.counters.hitsLocal++;
        return Promise.resolve(value);
      }
    }
    const running = this.flights.get(key);
    if (running) {
      this.counters.hitsLocal++;
      return running.promise;
    }
    const flight: Flight<V> = { promise: Promise.resolve(undefined as V), stale: false };
    flight.promise = this.load(key, load, options, flight).finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    this.flights.set(key, flight);
    return flight.promise;
  }

  private async load(key: string, load: () => Promise<V>, options: LoadOptions<V>, flight: Flight<V>): Promise<V> {
    const epoch = this.backplane.epoch;
    const keepable = () => !flight.stale && this.backplane.coherent && this.backplane.epoch === epoch;
    let gen: string | null = null;
    if (this.spec.shared && this.backplane.remoteGet) {
      try {
        const remote = await this.backplane.remoteGet(this.spec, key);
        if (remote.hit) {
          this.counters.hitsRemote++;
          const value = remote.value as V;
          if (keepable()) this.local.set(key, value);
          return value;
        }
        gen = remote.gen;
      } catch {
        // Redis unreachable: the database answers, and /health says why.
      }
    }
    this.counters.misses++;
    const value = await load();
    if (value !== undefined && (options.keep?.(value) ?? true) && keepable()) {
      this.local.set(key, value);
      if (gen !== null) this.backplane.remoteSet?.(this.spec, key, value, gen).catch(() => {});
    }
    return value;
  }

  invalidate(...keys: string[]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    this.drop(keys, 'local');
    return this.backplane.announce(this.spec, keys);
  }

  invalidateSoon(key: string): void {
    this.drop([key], 'local');
    this.backplane.announceSoon(this.spec, key);
  }

  clear(): Promise<void> {
    this.drop(null, 'local');
    return this.backplane.announce(this.spec, null);
  }

  onInvalidate(listener: InvalidationListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Applies an invalidation (from this node or announced by another). */
  drop(keys: readonly string[] | null, origin: InvalidationOrigin): void {
    if (keys === null) {
      this.local.clear();
      for (const flight of this.flights.values()) flight.stale = true;
      this.flights.clear();
    } else {
      for (const key of keys) {
        this.local.delete(key);
        const flight = this.flights.get(key);
        if (flight) {
          flight.stale = true;
          this.flights.delete(key);
        }
      }
    }
    if (origin === 'local') this.counters.invalidationsLocal += keys?.length ?? 1;
    else this.counters.invalidationsRemote += keys?.length ?? 1;
    for (const listener of this.listeners) {
      try {
        listener(keys, origin);
      } catch {
        // A listener's failure is its own; the cache stays consistent.
      }
    }
  }

  /** Forgets the in-process tier without announcing anything (after coherence was regained). */
  resync(): void {
    this.local.clear();
    for (const flight of this.flights.values()) flight.stale = true;
    this.flights.clear();
  }
}
