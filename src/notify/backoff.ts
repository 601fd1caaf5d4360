/**
 * Delay before retry number `attempt` (1 = the first retry): exponential from baseMs, capped at maxMs, with
 * "equal jitter" — half fixed, half random — so a burst of failures (an SMTP outage) does not come back as a
 * burst, yet no retry comes sooner than half its nominal delay.
 */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** The default ceiling of one wait: long outages are retried every half hour until the attempt limit. */
export const MAX_RETRY_DELAY_MS = 30 * 60_000;
