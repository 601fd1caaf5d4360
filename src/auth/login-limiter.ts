import type { Clock } from '../kernel/index.js';

export interface LoginLimits {
  /** Failed attempts allowed per username+address within the window. */
  perAccount: number;
  /** Failed attempts allowed per address (any username) within the window. */
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAccount: 5, perAddress: 30, windowMs: 15 * 60_000 };

interface Window {
  failures: number[];
}

/**
 * Slows password guessing: after too many failures for one account from one address (or from one address
 * overall), further attempts are refused until the oldest failure leaves the window. Successful logins reset
 * the account counter. In memory per node: a guesser spread over several nodes gets N× the budget, still far
 * too little for a brute force.
 */
export class LoginLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /** Seconds until the next attempt is allowed, or 0 when it may go ahead now. */
  retryAfter(address: string, username: string): number {
    const now = this.clock.now();
    const wait = Math.max(
      this.wait(`a:${address}`, this.limits.perAddress, now),
      this.wait(`u:${address}:${username.toLowerCase()}`, this.limits.perAccount, now),
    );
    return Math.ceil(wait / 1000);
  }

  recordFailure(address: string, username: string): void {
    const now = this.clock.now();
    this.push(`a:${address}`, now);
    this.push(`u:${address}:${username.toLowerCase()}`, now);
  }

  recordSuccess(address: string, username: string): void {
    this.windows.delete(`u:${address}:${username.toLowerCase()}`);
  }

  private wait(key: string, limit: number, now: number): number {
    const w = this.prune(key, now);
    if (!w || w.failures.length < limit) return 0;
    return (w.failures[w.failures.length - limit] ?? now) + this.limits.windowMs - now;
  }

  private push(key: string, now: number): void {
    const w = this.prune(key, now) ?? { failures: [] };
    w.failures.push(now);
    this.windows.set(key, w);
    if (this.windows.size > 100_000) this.sweep(now);
  }

  private prune(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (!w) return undefined;
    const cutoff = now - this.limits.windowMs;
    while (w.failures.length > 0 && (w.failures[0] ?? 0) <= cutoff) w.failures.shift();
    if (w.failures.length === 0) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private sweep(now: number): void {
    for (const key of [...this.windows.keys()]) this.prune(key, now);
  }
}
