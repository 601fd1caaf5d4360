import type { Clock, FieldlineEvents, Logger } from '../kernel/index.js';
import type { DeviceFacts, Sample, Witness } from './condition.js';
import { Episodes } from './episodes.js';
import type { RuleLogic, RuleRecord, RuleTarget } from './model.js';
import { numeric } from './operators.js';
import { RuleIndex } from './rule-index.js';
import { ANY_KEY, CompiledRule, DeviceRuntime } from './rule-runtime.js';
import { ScheduledChecks } from './scheduled-checks.js';
import { SilenceWatch } from './silence-watch.js';
import type { SlidingWindow } from './sliding-window.js';

/** A device as time-based checks and warm-up see it. */
export interface ScopeDevice {
  id: string;
  deviceType: string;
  active: boolean;
  status: 'online' | 'offline';
  /** Last message, epoch ms; null: never heard from. */
  lastSeen: number | null;
}

/** Where the engine reads what it did not see itself: devices, stored telemetry, live presence. */
export interface FactSource {
  devicesInScope(organizationId: string, target: RuleTarget): Promise<ScopeDevice[]>;
  deviceType(deviceId: string): Promise<string | null>;
  latest(deviceId: string, keys: string[] | null): Promise<Record<string, Sample>>;
  history(deviceId: string, key: string, start: number, end: number): Promise<{ ts: number; value: unknown }[]>;
  statusOf(deviceId: string): 'online' | 'offline' | undefined;
}

/** What the engine asks of the alerts domain; both calls are ordered per rule×device by the callee. */
export interface AlertPort {
  /** Raises the alert with this id; resolves with the id of the open alert (an existing one wins), or null. */
  raise(rule: CompiledRule, deviceId: string, witness: Witness, alertId: string): Promise<string | null>;
  /** Resolves the alert because its condition cleared. */
  resolve(rule: CompiledRule, deviceId: string, alertId: string): Promise<void>;
}

/** Durations that are running, kept so a restart does not start them over. */
export interface PendingStore {
  save(ruleId: string, deviceId: string, since: number): Promise<void>;
  delete(ruleId: string, deviceId: string): Promise<void>;
}

export interface EngineOptions {
  clock: Clock;
  log: Logger;
  alerts: AlertPort;
  facts: FactSource;
  pending: PendingStore;
  /** A pending duration is written to storage once it lasted this long (flapping values write nothing). */
  persistPendingAfterMs?: number;
}

/** What a rule activation restores: open alerts and running durations of each device. */
export interface RestoredState {
  openAlerts?: Map<string, string>;
  pending?: Map<string, number>;
}

export interface EngineStats {
  events: number;
  points: number;
  evaluations: number;
  /** Time spent in the telemetry handler, ms. */
  busyMs: number;
}

const NO_FACTS: DeviceFacts = { latest: () => undefined, window: () => undefined };
const WARM_CONCURRENCY = 8;

/**
 * The streaming rule engine. Every committed point reaches it synchronously through `telemetry.ingested`;
 * the index hands it only the rules that watch that device and key, each rule's state moves
 * ok → pending → firing → ok, and the alerts port turns firing into exactly one alert per episode.
 * Timers exist only for durations, cron schedules and silence.
 */
export class RuleEngine {
  readonly index = new RuleIndex();
  readonly devices = new Map<string, DeviceRuntime>();
  readonly stats: EngineStats = { events: 0, points: 0, evaluations: 0, busyMs: 0 };
  private readonly episodes: Episodes;
  private readonly silence: SilenceWatch;
  private readonly scheduled: ScheduledChecks;
  private readonly touched: CompiledRule[] = [];
  private stamp = 0;
  /** Bumped when a rule with windows comes or goes: devices then rebuild their window lists on their next point. */
  private windowEpoch = 0;

  constructor(private readonly o: EngineOptions) {
    this.episodes = new Episodes({
      clock: o.clock,
      log: o.log,
      alerts: o.alerts,
      pending: o.pending,
      persistPendingAfterMs: o.persistPendingAfterMs ?? 1000,
      isActive: (rule) => this.isActive(rule),
      witnessOf: (rule, deviceId, facts) => this.witnessOf(rule, deviceId, facts),
    });
    this.silence = new SilenceWatch({
      clock: o.clock,
      isActive: (rule) => this.isActive(rule),
      apply: (rule, deviceId, result, witness) => this.episodes.apply(rule, deviceId, result, NO_FACTS, witness),
    });
    this.scheduled = new ScheduledChecks({
      facts: o.facts,
      log: o.log,
      clock: o.clock,
      isActive: (rule) => this.isActive(rule),
      apply: (rule, deviceId, result, witness) => this.episodes.apply(rule, deviceId, result, NO_FACTS, witness),
    });
  }

  // ——— rules in and out ———

  /** Compiles and indexes a rule at once, then loads what it needs from storage; resolves when it is warm. */
  async activate(record: RuleRecord, logic: RuleLogic, restored: RestoredState = {}): Promise<CompiledRule> {
    const previous = this.index.get(record.organization_id, record.id);
    if (previous) this.deactivate(previous);
    const rule = new CompiledRule(record, logic);
    for (const [deviceId, alertId] of restored.openAlerts ?? []) {
      const s = rule.state(deviceId);
      s.alertId = alertId;
      s.phase = 'firing';
    }
    const needsWarmup =
      rule.windowsByKey.size > 0 ||
      (rule.condition !== null && logic.type === 'streaming' && rule.condition.keys.length > 1) ||
      (restored.pending?.size ?? 0) > 0 ||
      logic.type === 'continuous';
    rule.active = !needsWarmup;
    this.index.add(rule);
    if (rule.hasWindows) this.windowEpoch++;
    if (logic.type === 'scheduled') this.scheduled.start(rule);
    if (needsWarmup) {
      try {
        await this.warm(rule, restored.pending ?? new Map());
      } catch (err) {
        this.o.log.error({ err, rule_id: rule.id }, 'loading rule history failed; the rule runs on live data only');
      }
      rule.active = true;
      for (const byMs of this.windowsOf(rule)) byMs.warm = true;
    }
    return rule;
  }

  /** Removes a rule: no more evaluation, its timers cleared, windows nobody else uses dropped. */
  deactivate(rule: CompiledRule): void {
    this.index.remove(rule);
    rule.active = false;
    rule.cron?.stop();
    rule.cron = null;
    for (const [deviceId, s] of rule.states) this.episodes.clearTimers(rule, deviceId, s, false);
    rule.clearStates();
    rule.silence.clear();
    if (rule.hasWindows) this.windowEpoch++;
  }

  rule(organizationId: string, ruleId: string): CompiledRule | undefined {
    return this.index.get(organizationId, ruleId);
  }

  stop(): void {
    this.episodes.stopped = true;
    for (const rule of [...this.index.rules()]) this.deactivate(rule);
    this.silence.stop();
  }

  // ——— events ———

  /** The hot path: O(rules that watch this device and key) per point, no allocation when nothing matches. */
  onTelemetry(e: FieldlineEvents['telemetry.ingested']): void {
    const org = this.index.organization(e.organization_id);
    if (!org) return;
    const b0 = org.byDevice.get(e.device_id);
    const b1 = org.byType.get(e.device_type);
    const b2 = org.all.size > 0 ? org.all : undefined;
    if (!b0 && !b1 && !b2) return;
    const started = performance.now();
    const now = this.o.clock.now();
    let dev: DeviceRuntime | undefined;
    const readings = e.readings;
    const touched = this.touched;
    let i = 0;
    while (i < readings.length) {
      // Readings of one timestamp are one sample of the device: apply them all, then evaluate once.
      const groupTs = (readings[i] as { ts: number }).ts;
      const group = ++this.stamp;
      for (; i < readings.length && (readings[i] as { ts: number }).ts === groupTs; i++) {
        const r = readings[i] as { ts: number; key: string; value: unknown };
        let seen = false;
        for (let b = 0; b < 3; b++) {
          const list = (b === 0 ? b0 : b === 1 ? b1 : b2)?.get(r.key);
          if (!list) continue;
          if (dev === undefined) {
            dev = this.device(e.device_id, e.organization_id, e.device_type);
            if (dev.windowEpoch !== this.windowEpoch) this.refreshWindows(dev);
          }
          if (!seen) {
            seen = true;
            dev.setLatest(r.key, r.ts, r.value);
            // Every window of this device and key, once per point, whatever the number of rules reading it.
            const windows = dev.windowLists.get(r.key);
            if (windows !== undefined) {
              const v = numeric(r.value);
              if (v !== null) for (let w = 0; w < windows.length; w++) (windows[w] as SlidingWindow).push(r.ts, v);
            }
          }
          for (let k = 0; k < list.length; k++) {
            const rule = list[k] as CompiledRule;
            if (rule.silenceMs !== null) {
              this.silence.dataSeen(rule, e.device_id, now);
              continue;
            }
            if (rule.touched !== group) {
              rule.touched = group;
              touched.push(rule);
            }
          }
        }
        this.stats.points++;
      }
      for (let k = 0; k < touched.length; k++) {
        const rule = touched[k] as CompiledRule;
        if (!rule.active || rule.condition === null) continue;
        this.stats.evaluations++;
        this.episodes.apply(
          rule,
          e.device_id,
          rule.condition.evaluate(dev as DeviceRuntime),
          dev as DeviceRuntime,
          null,
        );
      }
      touched.length = 0;
    }
    // no_data on any key: one data arrival per message.
    for (let b = 0; b < 3; b++) {
      const list = (b === 0 ? b0 : b === 1 ? b1 : b2)?.get(ANY_KEY);
      if (list) for (const rule of list) this.silence.dataSeen(rule, e.device_id, now);
    }
    this.stats.events++;
    this.stats.busyMs += performance.now() - started;
  }

  async onDeviceStatus(e: FieldlineEvents['device.status']): Promise<void> {
    const org = this.index.organization(e.organization_id);
    if (!org || org.status.length === 0) return;
    const type = this.devices.get(e.device_id)?.deviceType ?? (await this.o.facts.deviceType(e.device_id)) ?? '';
    for (const rule of [...org.status]) {
      if (!rule.appliesTo(e.device_id, type) || !this.isActive(rule)) continue;
      const offline = e.status === 'offline';
      // A scheduled check raises only at its schedule; the device coming back resolves at once.
      if (rule.logic.type === 'scheduled' && offline) continue;
      this.episodes.apply(rule, e.device_id, offline, NO_FACTS, offlineWitness);
    }
  }

  async onDeviceChanged(e: FieldlineEvents['device.updated']): Promise<void> {
    if (e.action === 'deleted') {
      this.forgetDevice(e.organization_id, e.device_id);
      return;
    }
    // A new device needs nothing here: it is timed for silence from its first point, like any device never
    // heard from. A changed one may have a new type, and with it other rules and windows.
    const dev = this.devices.get(e.device_id);
    if (!dev) return;
    const type = await this.o.facts.deviceType(e.device_id);
    if (type !== null && dev.deviceType !== type) {
      dev.deviceType = type;
      dev.windowEpoch = -1;
    }
  }

  /** An alert was resolved by hand (or closed for another reason): the rule×device starts a new episode. */
  alertClosed(organizationId: string, ruleId: string, deviceId: string, alertId: string): void {
    const rule = this.index.get(organizationId, ruleId);
    const s = rule?.states.get(deviceId);
    if (!rule || !s || s.alertId !== alertId) return;
    this.episodes.clearTimers(rule, deviceId, s);
    rule.dropState(deviceId);
    this.silence.restart(rule, deviceId);
  }

  /** Runs a scheduled rule now (its cron does this; exposed for tests). */
  runScheduled(rule: CompiledRule): Promise<void> {
    return this.scheduled.run(rule);
  }

  private witnessOf(rule: CompiledRule, deviceId: string, facts: DeviceFacts | null): Witness {
    if (rule.condition) return rule.condition.witness(facts ?? this.devices.get(deviceId) ?? NO_FACTS);
    if (rule.silenceMs !== null) return this.silence.witness(rule, deviceId, this.o.clock.now());
    return offlineWitness;
  }

  // ——— warm-up ———

  private async warm(rule: CompiledRule, pending: Map<string, number>): Promise<void> {
    const devices = await this.o.facts.devicesInScope(rule.organizationId, rule.target);
    const now = this.o.clock.now();
    const runtimes = devices.map((d) => this.device(d.id, rule.organizationId, d.deviceType));
    // Hold every window of the rule before loading any, so none judges on partial history meanwhile.
    for (const dev of runtimes)
      for (const [key, specs] of rule.windowsByKey)
        for (const s of specs) dev.ensureWindow(key, s.windowMs).warm = false;
    const keys = rule.condition?.keys ?? [];
    const needLatest = keys.length > 1;
    await pool(devices, WARM_CONCURRENCY, async (d, i) => {
      const dev = runtimes[i] as DeviceRuntime;
      for (const [key, specs] of rule.windowsByKey)
        for (const spec of specs) {
          const history = await this.o.facts.history(d.id, key, now - spec.windowMs, now + 86_400_000);
          const numbers = history.flatMap((p) => {
            const v = numeric(p.value);
            return v === null ? [] : [{ ts: p.ts, value: v }];
          });
          const w = dev.ensureWindow(key, spec.windowMs);
          w.prependHistory(numbers);
          w.warm = true;
        }
      if (keys.length > 0 && (needLatest || pending.has(d.id))) {
        const latest = await this.o.facts.latest(d.id, [...keys]);
        for (const [key, sample] of Object.entries(latest)) dev.setLatest(key, sample.ts, sample.value);
      }
      if (rule.logic.type === 'continuous') await this.warmContinuous(rule, d, now);
    });
    rule.active = true;
    // Durations that were running before a restart go on if the condition still holds.
    for (const [deviceId, since] of pending) {
      const dev = this.devices.get(deviceId);
      const s = rule.state(deviceId);
      if (s.phase !== 'ok') continue;
      const holds =
        rule.condition?.evaluate(dev ?? NO_FACTS) ??
        (rule.watchesStatus ? (this.o.facts.statusOf(deviceId) ?? 'offline') === 'offline' : null);
      if (holds) {
        s.persisted = true;
        this.episodes.enterPending(rule, deviceId, s, since);
      } else {
        rule.dropState(deviceId);
        void this.o.pending.delete(rule.id, deviceId).catch(() => {});
      }
    }
  }

  private async warmContinuous(rule: CompiledRule, d: ScopeDevice, now: number): Promise<void> {
    if (!d.active || rule.logic.type !== 'continuous') return;
    const check = rule.logic.check;
    if (check.kind === 'device_offline') {
      const status = this.o.facts.statusOf(d.id) ?? d.status;
      if (status === 'offline' && d.lastSeen !== null && rule.states.get(d.id)?.phase !== 'pending')
        this.episodes.apply(rule, d.id, true, NO_FACTS, offlineWitness);
      return;
    }
    // Never heard from: not installed yet; its first point starts the timing.
    if (d.lastSeen === null) return;
    let last = now;
    if (check.key) {
      const latest = await this.o.facts.latest(d.id, [check.key]);
      last = latest[check.key]?.ts ?? now;
    } else last = d.lastSeen;
    this.silence.seed(rule, d.id, Math.min(last, now), rule.states.get(d.id)?.phase === 'firing');
  }

  // ——— bookkeeping ———

  private isActive(rule: CompiledRule): boolean {
    return rule.active && this.index.get(rule.organizationId, rule.id) === rule;
  }

  private device(id: string, organizationId: string, deviceType: string): DeviceRuntime {
    let dev = this.devices.get(id);
    if (!dev) {
      dev = new DeviceRuntime(id, organizationId, deviceType);
      this.devices.set(id, dev);
    }
    return dev;
  }

  private forgetDevice(organizationId: string, deviceId: string): void {
    this.devices.delete(deviceId);
    const org = this.index.organization(organizationId);
    if (!org) return;
    for (const rule of org.rules.values()) {
      const s = rule.states.get(deviceId);
      if (s) this.episodes.clearTimers(rule, deviceId, s, false);
      rule.dropState(deviceId);
      rule.silence.delete(deviceId);
      rule.lastData.delete(deviceId);
    }
  }

  private *windowsOf(rule: CompiledRule) {
    for (const dev of this.devices.values()) {
      if (dev.organizationId !== rule.organizationId) continue;
      for (const [key, specs] of rule.windowsByKey)
        for (const s of specs) {
          const w = dev.window(key, s.windowMs);
          if (w) yield w;
        }
    }
  }

  /** The windows a device needs for the rules that now apply to it: created, kept, or dropped. */
  private refreshWindows(dev: DeviceRuntime): void {
    const org = this.index.organization(dev.organizationId);
    const used = new Set<string>();
    const buckets = org ? [org.byDevice.get(dev.id), org.byType.get(dev.deviceType), org.all] : [];
    for (const bucket of buckets)
      for (const list of bucket?.values() ?? [])
        for (const rule of list)
          for (const [key, specs] of rule.hasWindows ? rule.windowsByKey : [])
            for (const spec of specs) {
              dev.ensureWindow(key, spec.windowMs);
              used.add(`${spec.windowMs}/${key}`);
            }
    dev.pruneWindows((key, ms) => used.has(`${ms}/${key}`));
    dev.windowEpoch = this.windowEpoch;
  }
}

const offlineWitness: Witness = { value: 'offline', threshold: null, key: 'status', operator: '==' };

async function pool<T>(items: T[], size: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
