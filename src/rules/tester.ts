import { Cron } from 'croner';
import type { Clock } from '../kernel/index.js';
import { toIso } from '../kernel/index.js';
import type { TraceNode } from './condition.js';
import type { FactSource } from './engine.js';
import type { RuleLogic, RuleRecord } from './model.js';
import { numeric } from './operators.js';
import { CompiledRule, DeviceRuntime } from './rule-runtime.js';
import { factsOf } from './scheduled-checks.js';

export interface TestSample {
  ts?: number;
  data: Record<string, unknown>;
}

export interface TestDevice {
  id: string;
  name: string;
  deviceType: string;
  lastSeen: number | null;
  status: 'online' | 'offline';
}

export interface TestOutcome {
  rule_id: string;
  device_id: string;
  /** Where the values came from: the samples given (over stored latest values), or storage alone. */
  source: 'samples' | 'stored';
  would_fire: boolean;
  result: boolean | null;
  value: unknown;
  threshold: unknown;
  message: string | null;
  duration_s: number | null;
  note: string | null;
  trace: TraceNode;
  steps: { ts: string; result: boolean | null }[];
  next_runs: string[];
}

/**
 * POST /rules/{id}/test: runs a rule on one device in a sandbox — fresh windows and latest values, no state, no
 * alert, no notification — and explains each condition. Samples are applied in time order over the device's
 * stored latest values; without samples, stored latest values and stored history (for windows) are used.
 */
export async function testRule(
  record: RuleRecord,
  logic: RuleLogic,
  device: TestDevice,
  samples: TestSample[] | null,
  facts: FactSource,
  clock: Clock,
): Promise<TestOutcome> {
  const rule = new CompiledRule(record, logic);
  const now = clock.now();
  const base = {
    rule_id: record.id,
    device_id: device.id,
    source: samples ? ('samples' as const) : ('stored' as const),
    duration_s: rule.durationMs > 0 ? rule.durationMs / 1000 : null,
    next_runs:
      logic.type === 'scheduled'
        ? new Cron(logic.cron, { paused: true, ...(logic.timezone ? { timezone: logic.timezone } : {}) })
            .nextRuns(3)
            .map((d) => d.toISOString())
        : [],
  };
  if (logic.type !== 'streaming' && logic.check.kind !== 'threshold') {
    const check = logic.check;
    let result: boolean;
    let value: unknown;
    let detail: string;
    if (check.kind === 'device_offline') {
      const status = facts.statusOf(device.id) ?? device.status;
      result = status === 'offline' && device.lastSeen !== null;
      value = status;
      detail =
        device.lastSeen === null ? 'the device never reported (not counted as offline)' : `the device is ${status}`;
    } else {
      let last: number | null = samples?.length ? now : null;
      if (last === null)
        last = check.key ? ((await facts.latest(device.id, [check.key]))[check.key]?.ts ?? null) : device.lastSeen;
      const silent = last === null ? null : Math.round((now - last) / 1000);
      result = silent !== null && silent >= check.seconds;
      value = silent;
      detail =
        silent === null
          ? `no ${check.key ?? 'data'} ever received`
          : `last ${check.key ?? 'data'} ${silent} s ago; fires at ${check.seconds} s`;
    }
    const threshold = check.kind === 'no_data' ? check.seconds : null;
    const witness =
      check.kind === 'no_data'
        ? { value, threshold, key: check.key ?? 'data', operator: '>=' }
        : { value: 'offline', threshold: null, key: 'status', operator: '==' };
    return {
      ...base,
      would_fire: result,
      result,
      value,
      threshold,
      message: result
        ? rule.message(witness, { id: device.id, name: device.name, deviceType: device.deviceType })
        : null,
      note: logic.type === 'scheduled' ? 'evaluated now; the rule itself checks at its schedule' : null,
      trace: {
        condition: check.kind === 'no_data' ? `no ${check.key ?? 'data'} for ${check.seconds} s` : 'device offline',
        result,
        value,
        threshold,
        detail,
      },
      steps: [],
    };
  }

  const condition = rule.condition;
  if (!condition) throw new Error('a rule without condition reached the tester');
  const dev = new DeviceRuntime(device.id, record.organization_id, device.deviceType);
  const stored = await facts.latest(device.id, [...condition.keys]);
  for (const [key, s] of Object.entries(stored)) dev.setLatest(key, s.ts, s.value);
  const steps: { ts: number; result: boolean | null }[] = [];
  const feed = (ts: number, data: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(data)) {
      dev.latestValues.set(key, { ts, value });
      const v = numeric(value);
      for (const spec of rule.windowsByKey.get(key) ?? [])
        if (v !== null) dev.ensureWindow(key, spec.windowMs).push(ts, v);
    }
    steps.push({ ts, result: condition.evaluate(dev) });
  };
  if (samples) {
    const ordered = samples.map((s, i) => ({ ts: s.ts ?? now + i, data: s.data })).sort((a, b) => a.ts - b.ts);
    for (const s of ordered) feed(s.ts, s.data);
  } else {
    for (const [key, specs] of rule.windowsByKey)
      for (const spec of specs) {
        const w = dev.ensureWindow(key, spec.windowMs);
        for (const p of await facts.history(device.id, key, now - spec.windowMs, now + 86_400_000)) {
          const v = numeric(p.value);
          if (v !== null) w.push(p.ts, v);
        }
      }
    steps.push({ ts: now, result: condition.evaluate(logic.type === 'scheduled' ? factsOf(stored) : dev) });
  }
  const last = steps[steps.length - 1] as { ts: number; result: boolean | null };
  let wouldFire = steps.some((s) => s.result === true);
  let note: string | null = logic.type === 'scheduled' ? 'evaluated now; the rule itself checks at its schedule' : null;
  if (wouldFire && rule.durationMs > 0) {
    // It fires only when the condition holds for the whole duration: look for such a run in the samples.
    wouldFire = false;
    let since: number | null = null;
    for (const s of steps) {
      if (s.result === true) since ??= s.ts;
      else if (s.result === false) since = null;
      if (since !== null && s.ts - since >= rule.durationMs) wouldFire = true;
    }
    if (!wouldFire)
      note = `the condition holds, but fires only after holding for ${rule.durationMs / 1000} s (the samples do not span that long)`;
  }
  const witness = condition.witness(dev);
  return {
    ...base,
    would_fire: wouldFire,
    result: last.result,
    value: witness.value,
    threshold: witness.threshold,
    message: wouldFire
      ? rule.message(witness, { id: device.id, name: device.name, deviceType: device.deviceType })
      : null,
    note,
    trace: condition.explain(dev),
    steps: steps.map((s) => ({ ts: toIso(s.ts), result: s.result })),
  };
}
