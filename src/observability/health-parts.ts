import type { HealthCheck } from './health.js';

/**
 * Redis, when configured: required (nodes rely on it to hear each other's changes). Up when a PING answers
 * and the invalidation channel is subscribed; degraded when commands work but the subscription is being
 * re-established (caches are bypassed meanwhile, so answers stay correct, only slower).
 */
export function redisHealthCheck(probe: () => Promise<{ subscribed: boolean; status: string } | null>): HealthCheck {
  return {
    name: 'redis',
    required: true,
    check: async () => {
      const r = await probe();
      if (!r) return { status: 'disabled' };
      return r.subscribed
        ? { status: 'up', invalidations: 'subscribed' }
        : { status: 'degraded', invalidations: 'resubscribing', error: 'not subscribed to cache invalidations' };
    },
  };
}

/** The rule engine: `register(ruleEngineHealthCheck(() => ({ running, rules })))` where the engine is wired. */
export function ruleEngineHealthCheck(
  probe: () => { running: boolean; rules?: number; [k: string]: unknown },
): HealthCheck {
  return {
    name: 'rules',
    required: false,
    check: async () => {
      const { running, ...details } = probe();
      return running
        ? { status: 'up', ...details }
        : { status: 'down', error: 'the rule engine is not running', ...details };
    },
  };
}
