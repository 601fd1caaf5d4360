import type { Clock, Logger } from '../kernel/index.js';
import { newId } from '../kernel/index.js';
import type { DeviceFacts, Witness } from './condition.js';
import { MAX_TIMER_MS } from './deadline-queue.js';
import type { AlertPort, PendingStore } from './engine.js';
import type { CompiledRule, RuleDeviceState } from './rule-runtime.js';

export interface EpisodesDeps {
  clock: Clock;
  log: Logger;
  alerts: AlertPort;
  pending: PendingStore;
  /** A pending duration is written to storage once it lasted this long (flapping values write nothing). */
  persistPendingAfterMs: number;
  isActive(rule: CompiledRule): boolean;
  /** What an alert records when the rule fires now on this device (facts: null → the engine's own). */
  witnessOf(rule: CompiledRule, deviceId: string, facts: DeviceFacts | null): Witness;
}

/**
 * The state of each rule on each device: ok → pending (a duration runs on a timer) → firing → ok. Firing asks
 * the alerts port for one alert per episode; clearing resolves it (unless the rule does not auto-resolve, in
 * which case the open alert keeps new episodes from raising another). Durations that last past a second are
 * saved, so a restart continues them.
 */
export class Episodes {
  stopped = false;

  constructor(private readonly d: EpisodesDeps) {}

  apply(
    rule: CompiledRule,
    deviceId: string,
    result: boolean | null,
    facts: DeviceFacts,
    witness: Witness | null,
  ): void {
    if (result === null || this.stopped) return;
    if (result) {
      const s = rule.state(deviceId);
      if (s.phase !== 'ok') return;
      if (rule.durationMs > 0) this.enterPending(rule, deviceId, s, this.d.clock.now());
      else this.fire(rule, deviceId, s, witness ?? this.d.witnessOf(rule, deviceId, facts));
      return;
    }
    // Most points find the rule ok on every device: answered from the rule object, without the map.
    if (rule.stateCount === 0) return;
    const s = rule.states.get(deviceId);
    if (!s || s.phase === 'ok') return;
    const wasFiring = s.phase === 'firing';
    this.clearTimers(rule, deviceId, s);
    s.phase = 'ok';
    if (wasFiring && rule.autoResolve && s.alertId) {
      const alertId = s.alertId;
      s.alertId = null;
      this.d.alerts
        .resolve(rule, deviceId, alertId)
        .catch((err: unknown) => this.d.log.error({ err }, 'resolve failed'));
    }
    if (s.alertId === null) rule.dropState(deviceId);
  }

  private fire(rule: CompiledRule, deviceId: string, s: RuleDeviceState, witness: Witness): void {
    s.phase = 'firing';
    if (s.alertId !== null) return;
    const alertId = newId(this.d.clock.now());
    s.alertId = alertId;
    this.d.alerts.raise(rule, deviceId, witness, alertId).then(
      (actual) => {
        if (s.alertId !== alertId) return;
        if (actual === null) {
          // Not stored: the next matching point tries again.
          s.alertId = null;
          s.phase = 'ok';
        } else s.alertId = actual;
      },
      (err: unknown) => {
        this.d.log.error({ err, rule_id: rule.id, device_id: deviceId }, 'raising an alert failed');
        if (s.alertId === alertId) {
          s.alertId = null;
          s.phase = 'ok';
        }
      },
    );
  }

  enterPending(rule: CompiledRule, deviceId: string, s: RuleDeviceState, since: number): void {
    s.phase = 'pending';
    s.pendingSince = since;
    const left = Math.max(0, since + rule.durationMs - this.d.clock.now());
    s.timer = setTimeout(() => this.pendingElapsed(rule, deviceId, s), Math.min(left, MAX_TIMER_MS));
    s.timer.unref();
    const persistAfter = this.d.persistPendingAfterMs ?? 1000;
    if (!s.persisted && left > persistAfter) {
      s.persistTimer = setTimeout(() => {
        s.persistTimer = null;
        s.persisted = true;
        this.d.pending
          .save(rule.id, deviceId, s.pendingSince)
          .catch((err: unknown) => this.d.log.warn({ err }, 'saving a pending rule state failed'));
      }, persistAfter);
      s.persistTimer.unref();
    }
  }

  private pendingElapsed(rule: CompiledRule, deviceId: string, s: RuleDeviceState): void {
    s.timer = null;
    if (s.phase !== 'pending' || !this.d.isActive(rule) || rule.states.get(deviceId) !== s) return;
    if (s.pendingSince + rule.durationMs > this.d.clock.now()) {
      this.enterPending(rule, deviceId, s, s.pendingSince);
      return;
    }
    this.clearTimers(rule, deviceId, s);
    this.fire(rule, deviceId, s, this.d.witnessOf(rule, deviceId, null));
  }

  /** Stops a state's timers; `forget` also deletes its saved duration (not on shutdown: it must survive). */
  clearTimers(rule: CompiledRule, deviceId: string, s: RuleDeviceState, forget = true): void {
    if (s.timer) clearTimeout(s.timer);
    if (s.persistTimer) clearTimeout(s.persistTimer);
    s.timer = null;
    s.persistTimer = null;
    if (forget && s.persisted) {
      s.persisted = false;
      // The row only matters while pending; failing to delete it is harmless (a restart re-checks it).
      this.d.pending.delete(rule.id, deviceId).catch(() => {});
    }
  }
}
