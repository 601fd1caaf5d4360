import { describe, expect, it } from 'vitest';
import { CacheLayer } from './cache-layer.js';
import { LruMap } from './lru.js';

const clockAt = (start = 1_000_000) => {
  const c = { t: start, now: () => c.t };
  return c;
};

describe('LruMap', () => {
  it('expires entries after their TTL and evicts the least recently used beyond its size', () => {
    const clock = clockAt();
    const m = new LruMap<number>(2, 1000, clock);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1); // a is now the most recently used
    m.set('c', 3);
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBe(1);
    clock.t += 1000;
    expect(m.get('a')).toBeUndefined();
    expect(m.size).toBe(1);
  });
});

describe('TieredCache (in-process)', () => {
  const spec = { name: 'things', ttlMs: 1000, maxEntries: 100, shared: false };

  it('loads once, then answers from memory until the TTL or an invalidation', async () => {
    const clock = clockAt();
    const cache = new CacheLayer({ redisUrl: null, clock }).cache<number>(spec);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    expect(await cache.get('k', load)).toBe(1);
    expect(cache.counters).toMatchObject({ hitsLocal: 1, misses: 1 });
    clock.t += 1000;
    expect(await cache.get('k', load)).toBe(2);
    const heard: unknown[] = [];
    cache.onInvalidate((keys, origin) => heard.push([keys, origin]));
    await cache.invalidate('k');
    expect(heard).toEqual([[['k'], 'local']]);
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', load)).toBe(3);
  });

  it('answers hit() from memory only, counting hits and never loading', async () => {
    const clock = clockAt();
    const cache = new CacheLayer({ redisUrl: null, clock }).cache<number | null>(spec);
    expect(cache.hit('k')).toBeUndefined();
    expect(cache.counters).toMatchObject({ hitsLocal: 0, misses: 0 });
    await cache.get('k', async () => null);
    // A cached null (an answer: "no such thing") is a hit too.
    expect(cache.hit('k')).toBeNull();
    expect(cache.counters).toMatchObject({ hitsLocal: 1, misses: 1 });
    clock.t += 1000;
    expect(cache.hit('k')).toBeUndefined();
  });

  it('shares one load between concurrent misses', async () => {
    const cache = new CacheLayer({ redisUrl: null, clock: clockAt() }).cache<number>(spec);
    let loads = 0;
    let release: (v: number) => void = () => {};
    const load = () => {
      loads++;
      return new Promise<number>((r) => {
        release = r;
      });
    };
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release(7);
    expect(await both).toEqual([7, 7]);
    expect(loads).toBe(1);
  });

  it('never keeps a value whose load was overtaken by an invalidation', async () => {
    const cache = new CacheLayer({ redisUrl: null, clock: clockAt() }).cache<string>(spec);
    let release: (v: string) => void = () => {};
    const before = cache.get(
      'k',
      () =>
        new Promise<string>((r) => {
          release = r;
        }),
    );
    await cache.invalidate('k');
    release('old');
    expect(await before).toBe('old');
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', async () => 'new')).toBe('new');
  });

  it('does not keep values refused by keep (unknown tokens)', async () => {
    const cache = new CacheLayer({ redisUrl: null, clock: clockAt() }).cache<string | null>(spec);
    let loads = 0;
    const load = async () => {
      loads++;
      return null;
    };
    await cache.get('guess', load, { keep: (v) => v !== null });
    await cache.get('guess', load, { keep: (v) => v !== null });
    expect(loads).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('clear drops every key', async () => {
    const cache = new CacheLayer({ redisUrl: null, clock: clockAt() }).cache<number>(spec);
    await cache.get('a', async () => 1);
    await cache.get('b', async () => 2);
    await cache.clear();
    expect(cache.size).toBe(0);
  });
});
