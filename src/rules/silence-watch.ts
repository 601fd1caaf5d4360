import type { Clock } from '../kernel/index.js';
import type { Witness } from './condition.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { CompiledRule } from './rule-runtime.js';

export interface SilenceDeps {
  clock: Clock;
  isActive(rule: CompiledRule): boolean;
  apply(rule: CompiledRule, deviceId: string, result: boolean, witness: Witness | null): void;
}

/**
 * no_data rules. Scheduled ones only note when data last came (their cron checks it) and resolve on data.
 * Continuous ones keep one deadline per device in a heap behind one timer: a point moves the deadline (O(1),
 * the entry is re-queued lazily when it comes due), and only a deadline that really passes fires.
 */
export class SilenceWatch {
  private readonly queue: DeadlineQueue<{ rule: CompiledRule; deviceId: string }>;

  constructor(private readonly d: SilenceDeps) {
    this.queue = new DeadlineQueue(d.clock, ({ rule, deviceId }, now) => this.due(rule, deviceId, now));
  }

  /** Times a device from `last` (warm-up); an open alert waits for data (which resolves it) instead. */
  seed(rule: CompiledRule, deviceId: string, last: number, firing: boolean): void {
    const entry = rule.silence.get(deviceId);
    if (entry) {
      entry.last = Math.max(entry.last, last);
      return;
    }
    rule.silence.set(deviceId, { last, queued: !firing });
    if (!firing && rule.silenceMs !== null) this.queue.push(last + rule.silenceMs, { rule, deviceId });
  }

  /** After a manual resolve while still silent: a full silence period again before the next alert. */
  restart(rule: CompiledRule, deviceId: string): void {
    const entry = rule.silence.get(deviceId);
    if (!entry || rule.silenceMs === null || entry.queued) return;
    entry.last = this.d.clock.now();
    entry.queued = true;
    this.queue.push(entry.last + rule.silenceMs, { rule, deviceId });
  }

  stop(): void {
    this.queue.stop();
  }

  /** Data of a device reached a no_data rule: its silence ends (an open alert resolves) and is timed anew. */
  dataSeen(rule: CompiledRule, deviceId: string, now: number): void {
    if (rule.logic.type === 'scheduled') {
      rule.lastData.set(deviceId, now);
      const s = rule.states.get(deviceId);
      if (s && s.phase !== 'ok') this.d.apply(rule, deviceId, false, null);
      return;
    }
    let entry = rule.silence.get(deviceId);
    if (!entry) {
      entry = { last: now, queued: false };
      rule.silence.set(deviceId, entry);
    } else entry.last = now;
    const s = rule.states.get(deviceId);
    if (s && s.phase !== 'ok') this.d.apply(rule, deviceId, false, null);
    if (!entry.queued && rule.silenceMs !== null) {
      entry.queued = true;
      this.queue.push(now + rule.silenceMs, { rule, deviceId });
    }
  }

  private due(rule: CompiledRule, deviceId: string, now: number): void {
    const entry = rule.silence.get(deviceId);
    if (!entry || !this.d.isActive(rule) || rule.silenceMs === null) return;
    entry.queued = false;
    const due = entry.last + rule.silenceMs;
    if (due > now) {
      entry.queued = true;
      this.queue.push(due, { rule, deviceId });
      return;
    }
    this.d.apply(rule, deviceId, true, this.witness(rule, deviceId, now));
  }

  /** What a no_data alert records: seconds of silence against the limit. */
  witness(rule: CompiledRule, deviceId: string, now: number): Witness {
    const last = rule.silence.get(deviceId)?.last ?? rule.lastData.get(deviceId) ?? now;
    const key = rule.logic.type !== 'streaming' && rule.logic.check.kind === 'no_data' ? rule.logic.check.key : null;
    return {
      value: Math.round((now - last) / 1000),
      threshold: (rule.silenceMs ?? 0) / 1000,
      key: key ?? 'data',
      operator: '>=',
    };
  }
}
