import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter.js';

describe('LoginLimiter', () => {
  it('locks an account from an address after repeated failures, until the window passes', () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter({ now: () => now }, { perAccount: 3, perAddress: 100, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('1.2.3.4', 'admin')).toBe(0);
      limiter.recordFailure('1.2.3.4', 'admin');
      now += 1000;
    }
    expect(limiter.retryAfter('1.2.3.4', 'admin')).toBe(57);
    expect(limiter.retryAfter('1.2.3.4', 'other')).toBe(0);
    expect(limiter.retryAfter('5.6.7.8', 'admin')).toBe(0);
    now += 57_000;
    expect(limiter.retryAfter('1.2.3.4', 'admin')).toBe(0);
  });

  it('limits one address across usernames, and a success resets the account', () => {
    const now = 5_000;
    const limiter = new LoginLimiter({ now: () => now }, { perAccount: 2, perAddress: 3, windowMs: 60_000 });
    limiter.recordFailure('9.9.9.9', 'a');
    limiter.recordSuccess('9.9.9.9', 'a');
    expect(limiter.retryAfter('9.9.9.9', 'a')).toBe(0);
    limiter.recordFailure('9.9.9.9', 'b');
    limiter.recordFailure('9.9.9.9', 'c');
    expect(limiter.retryAfter('9.9.9.9', 'd')).toBe(60);
  });
});
