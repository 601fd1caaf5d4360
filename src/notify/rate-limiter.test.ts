import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then one send per 1/rate seconds, per key', () => {
    let now = 0;
    const limiter = new RateLimiter(2, { now: () => now });
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 0]);
    expect(limiter.take('a')).toBe(500);
    expect(limiter.take('b')).toBe(0);
    now = 400;
    expect(limiter.take('a')).toBe(100);
    now = 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(500);
  });

  it('is off at 0 per second', () => {
    const limiter = new RateLimiter(0, { now: () => 0 });
    for (let i = 0; i < 1000; i++) expect(limiter.take('a')).toBe(0);
  });
});
