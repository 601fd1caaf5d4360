import type { Cron } from 'croner';
import {
  type Condition,
  compileCondition,
  type DeviceFacts,
  type Sample,
  thresholdCondition,
  type WindowSpec,
  type Witness,
} from './condition.js';
import { defaultTemplate, renderTemplate, showValue } from './message-template.js';
import { type RuleLogic, type RuleRecord, type RuleTarget, targetOf } from './model.js';
import { SlidingWindow } from './sliding-window.js';

/** Index key of rules that react to any key of a device (no_data without a key). */
export const ANY_KEY = '\u0000any';

export type Phase = 'ok' | 'pending' | 'firing';

/**
 * One rule on one device: ok → pending (while a duration runs) → firing → ok. `alertId` is the open alert of
 * this rule×device; it outlives `Firing` when the rule does not auto-resolve, so a new episode does not raise a
 * second alert while the first one is open.
 */
export interface RuleDeviceState {
  phase: Phase;
  pendingSince: number;
  timer: NodeJS.Timeout | null;
  persistTimer: NodeJS.Timeout | null;
  persisted: boolean;
  alertId: string | null;
}

export const newState = (): RuleDeviceState => ({
  phase: 'ok',
  pendingSince: 0,
  timer: null,
  persistTimer: null,
  persisted: false,
  alertId: null,
});

/** Silence tracking of one device for a no_data rule. */
export interface SilenceEntry {
  last: number;
  queued: boolean;
}

/** A rule ready to run: its condition compiled, the keys it watches, its per-device state. */
export class CompiledRule {
  readonly id: string;
  readonly organizationId: string;
  readonly target: RuleTarget;
  /** The condition of a streaming rule, or of a scheduled threshold check. */
  readonly condition: Condition | null;
  readonly durationMs: number;
  /** Keys whose points reach this rule (ANY_KEY for no_data on any key). */
  readonly watchKeys: readonly string[];
  /** Windows to feed, per key. */
  readonly windowsByKey = new Map<string, WindowSpec[]>();
  /** Reacts to device.status (device_offline checks). */
  readonly watchesStatus: boolean;
  /** no_data silence in ms (time-based no_data rules), else null. A field: it is read for every point. */
  readonly silenceMs: number | null;
  /** Feeds sliding windows (read for every point). */
  readonly hasWindows: boolean;
  readonly template: string;
  readonly states = new Map<string, RuleDeviceState>();
  readonly silence = new Map<string, SilenceEntry>();
  /** Last data per device (time-based no_data), in this node's clock. */
  readonly lastData = new Map<string, number>();
  cron: Cron | null = null;
  /** Evaluation is held until history is loaded (statistical windows, latest values). */
  active = true;
  /** Stamp of the last reading group that touched this rule (evaluate once per group). */
  touched = -1;

  constructor(
    readonly record: RuleRecord,
    readonly logic: RuleLogic,
  ) {
    this.id = record.id;
    this.organizationId = record.organization_id;
    this.target = targetOf(record);
    this.template = record.message ?? alertActionMessage(record) ?? defaultTemplate(logic);
    this.silenceMs = logic.type !== 'streaming' && logic.check.kind === 'no_data' ? logic.check.seconds * 1000 : null;
    switch (logic.type) {
      case 'streaming':
        this.condition = compileCondition(logic.condition);
        this.durationMs = logic.durationMs;
        this.watchKeys = this.condition.keys;
        for (const w of this.condition.windows) {
          const list = this.windowsByKey.get(w.key) ?? [];
          if (!list.some((x) => x.windowMs === w.windowMs)) list.push(w);
          this.windowsByKey.set(w.key, list);
        }
        this.watchesStatus = false;
        this.hasWindows = this.windowsByKey.size > 0;
        break;
      case 'scheduled':
        this.condition = logic.check.kind === 'threshold' ? thresholdCondition(logic.check) : null;
        this.durationMs = 0;
        this.watchKeys = logic.check.kind === 'no_data' ? [logic.check.key ?? ANY_KEY] : [];
        this.watchesStatus = logic.check.kind === 'device_offline';
        this.hasWindows = false;
        break;
      case 'continuous':
        this.condition = null;
        this.durationMs = logic.durationMs;
        this.watchKeys = logic.check.kind === 'no_data' ? [logic.check.key ?? ANY_KEY] : [];
        this.watchesStatus = logic.check.kind === 'device_offline';
        this.hasWindows = false;
        break;
    }
  }

  get name(): string {
    return this.record.name;
  }

  get autoResolve(): boolean {
    return this.record.auto_resolve;
  }

  /** The alert message: the rule's template filled with what fired on which device. */
  message(w: Witness, device: { id: string; name: string | null; deviceType: string | null }): string {
    const threshold = showValue(w.threshold);
    return renderTemplate(this.template, {
      'device.name': device.name ?? device.id,
      'device.id': device.id,
      'device.type': device.deviceType ?? '',
      'rule.name': this.record.name,
      severity: this.record.severity,
      value: showValue(w.value),
      threshold: w.thresholdLabel ? `${threshold} (${w.thresholdLabel})` : threshold,
      key: w.key,
      operator: w.operator,
    });
  }

  /** How many devices have a state (kept on the rule so the common all-ok case reads no map). */
  stateCount = 0;

  state(deviceId: string): RuleDeviceState {
    let s = this.states.get(deviceId);
    if (!s) {
      s = newState();
      this.states.set(deviceId, s);
      this.stateCount = this.states.size;
    }
    return s;
  }

  dropState(deviceId: string): void {
    this.states.delete(deviceId);
    this.stateCount = this.states.size;
  }

  clearStates(): void {
    this.states.clear();
    this.stateCount = 0;
  }

  appliesTo(deviceId: string, deviceType: string): boolean {
    switch (this.target.kind) {
      case 'device':
        return this.target.deviceId === deviceId;
      case 'type':
        return this.target.deviceType === deviceType;
      case 'all':
        return true;
    }
  }
}

const alertActionMessage = (r: RuleRecord): string | null => {
  const a = r.actions.find(
    (x) => x.type === 'alert' && typeof x.message === 'string' && x.escalate_after === undefined,
  );
  return (a?.message as string | undefined) ?? null;
};

/** What the engine keeps of one device: the latest values and windows of the keys its rules watch. */
export class DeviceRuntime implements DeviceFacts {
  readonly latestValues = new Map<string, Sample>();
  readonly windows = new Map<string, Map<number, SlidingWindow>>();
  /** The same windows as flat lists per key, for the hot path. */
  readonly windowLists = new Map<string, SlidingWindow[]>();
  /** The engine's window epoch these windows were built for. */
  windowEpoch = -1;

  constructor(
    readonly id: string,
    readonly organizationId: string,
    public deviceType: string,
  ) {}

  latest(key: string): Sample | undefined {
    return this.latestValues.get(key);
  }

  window(key: string, windowMs: number): SlidingWindow | undefined {
    return this.windows.get(key)?.get(windowMs);
  }

  setLatest(key: string, ts: number, value: unknown): void {
    const s = this.latestValues.get(key);
    if (s === undefined) this.latestValues.set(key, { ts, value });
    else if (ts >= s.ts) {
      s.ts = ts;
      s.value = value;
    }
  }

  ensureWindow(key: string, windowMs: number): SlidingWindow {
    let byMs = this.windows.get(key);
    if (!byMs) {
      byMs = new Map();
      this.windows.set(key, byMs);
    }
    let w = byMs.get(windowMs);
    if (!w) {
      w = new SlidingWindow(windowMs);
      byMs.set(windowMs, w);
      const list = this.windowLists.get(key);
      if (list) list.push(w);
      else this.windowLists.set(key, [w]);
    }
    return w;
  }

  /** Drops windows no rule uses any more. */
  pruneWindows(used: (key: string, windowMs: number) => boolean): void {
    for (const [key, byMs] of this.windows) {
      for (const ms of byMs.keys()) if (!used(key, ms)) byMs.delete(ms);
      if (byMs.size === 0) {
        this.windows.delete(key);
        this.windowLists.delete(key);
      } else this.windowLists.set(key, [...byMs.values()]);
    }
  }
}
