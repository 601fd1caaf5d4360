import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ORG, ruleOf, testEngine } from './engine.test-support.js';
import type { Operator } from './model.js';

/** Lets the engine's promise callbacks (raise → alert id) run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(new Date('2026-03-02T10:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('threshold rules', () => {
  const cases: [Operator, number, number, boolean][] = [
    ['>', 25, 25.1, true],
    ['>', 25, 25, false],
    ['<', 25, 24.9, true],
    ['<', 25, 25, false],
    ['>=', 25, 25, true],
    ['>=', 25, 24.9, false],
    ['<=', 25, 25, true],
    ['<=', 25, 25.1, false],
    ['==', 25, 25, true],
    ['==', 25, 24, false],
    ['!=', 25, 24, true],
    ['!=', 25, 25, false],
  ];
  it.each(cases)('temperature %s %d with a reading of %d fires: %s', async (operator, value, reading, fires) => {
    const t = testEngine();
    const { record, logic } = ruleOf({ rule_type: 'threshold', conditions: { key: 'temperature', operator, value } });
    await t.engine.activate(record, logic);
    t.send({ temperature: reading });
    expect(t.raised.length).toBe(fires ? 1 : 0);
  });

  it('compares text and true/false states with == and !=, and counts true as 1 against numbers', async () => {
    const t = testEngine();
    const a = ruleOf(
      { rule_type: 'threshold', conditions: { key: 'state', operator: '==', value: 'fault' } },
      'r-text',
    );
    const b = ruleOf({ rule_type: 'threshold', conditions: { key: 'door', operator: '!=', value: false } }, 'r-bool');
    const c = ruleOf({ rule_type: 'threshold', conditions: { key: 'running', operator: '<', value: 1 } }, 'r-num');
    for (const r of [a, b, c]) await t.engine.activate(r.record, r.logic);
    t.send({ state: 'ok', door: false, running: true });
    expect(t.raised).toEqual([]);
    t.send({ state: 'fault', door: true, running: false });
    expect(t.raised.map((r) => r.ruleId).sort()).toEqual(['r-bool', 'r-num', 'r-text']);
  });

  it('records the value and the threshold that fired', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'threshold',
      conditions: { key: 'temperature', operator: '>', value: 25 },
    });
    await t.engine.activate(record, logic);
    t.send({ temperature: 28.5 });
    expect(t.raised[0]?.witness).toMatchObject({ value: 28.5, threshold: 25, key: 'temperature', operator: '>' });
  });

  it('raises exactly one alert for a flood of matching points, and again only after it cleared', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'threshold',
      conditions: { key: 'temperature', operator: '>', value: 25 },
    });
    await t.engine.activate(record, logic);
    for (let i = 0; i < 5000; i++) t.send({ temperature: 30 + (i % 7) });
    await settle();
    expect(t.raised).toHaveLength(1);
    t.send({ temperature: 20 });
    expect(t.resolved).toEqual([{ ruleId: 'rule-1', deviceId: 'dev-1', alertId: t.raised[0]?.alertId }]);
    for (let i = 0; i < 100; i++) t.send({ temperature: 31 });
    expect(t.raised).toHaveLength(2);
  });

  it('evaluates each point of a batch in time order (a short excursion inside one message fires)', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'threshold',
      conditions: { key: 'temperature', operator: '>', value: 25 },
    });
    await t.engine.activate(record, logic);
    const now = Date.now();
    t.engine.onTelemetry({
      organization_id: ORG,
      device_id: 'dev-1',
      device_type: 'boiler',
      source: 'test',
      readings: [
        { ts: now, key: 'temperature', value: 20 },
        { ts: now + 1, key: 'temperature', value: 40 },
        { ts: now + 2, key: 'temperature', value: 20 },
      ],
      received_at: now,
    });
    expect(t.raised).toHaveLength(1);
    expect(t.resolved).toHaveLength(1);
  });

  it('keeps the alert open when the rule says auto_resolve: false, and raises no second one meanwhile', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'threshold',
      conditions: { key: 'temperature', operator: '>', value: 25 },
      auto_resolve: false,
    });
    await t.engine.activate(record, logic);
    t.send({ temperature: 30 });
    await settle();
    t.send({ temperature: 20 });
    t.send({ temperature: 30 });
    expect(t.resolved).toEqual([]);
    expect(t.raised).toHaveLength(1);
    // Resolved by hand: the next episode raises a new alert.
    t.engine.alertClosed(ORG, 'rule-1', 'dev-1', t.raised[0]?.alertId as string);
    t.send({ temperature: 20 });
    t.send({ temperature: 30 });
    expect(t.raised).toHaveLength(2);
  });
});

describe('durations', () => {
  const hot = () =>
    ruleOf({ rule_type: 'threshold', conditions: { key: 'temperature', operator: '>', value: 50, duration: 300 } });

  it('stays pending while the condition holds, then fires once when the duration has passed', async () => {
    const t = testEngine();
    const { record, logic } = hot();
    await t.engine.activate(record, logic);
    t.send({ temperature: 55 });
    await vi.advanceTimersByTimeAsync(299_000);
    t.send({ temperature: 56 });
    expect(t.raised).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.raised).toHaveLength(1);
    expect(t.raised[0]?.witness.value).toBe(56);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(t.raised).toHaveLength(1);
  });

  it('does not fire when the condition clears before the duration, and starts over after', async () => {
    const t = testEngine();
    const { record, logic } = hot();
    await t.engine.activate(record, logic);
    t.send({ temperature: 55 });
    await vi.advanceTimersByTimeAsync(200_000);
    t.send({ temperature: 40 });
    await vi.advanceTimersByTimeAsync(200_000);
    expect(t.raised).toHaveLength(0);
    t.send({ temperature: 55 });
    await vi.advanceTimersByTimeAsync(299_999);
    expect(t.raised).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.raised).toHaveLength(1);
  });

  it('saves a running duration so a restart continues it, and forgets it when it clears', async () => {
    const t = testEngine();
    const { record, logic } = hot();
    await t.engine.activate(record, logic);
    t.send({ temperature: 55 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.pending.get('rule-1/dev-1')).toBe(Date.now() - 5_000);
    t.send({ temperature: 20 });
    await settle();
    expect(t.pending.size).toBe(0);
  });

  it('continues a duration restored after a restart when the stored value still holds', async () => {
    const t = testEngine();
    const { record, logic } = hot();
    const since = Date.now() - 200_000;
    t.latest.set('dev-1', { temperature: { ts: Date.now() - 1000, value: 60 } });
    await t.engine.activate(record, logic, { pending: new Map([['dev-1', since]]) });
    await vi.advanceTimersByTimeAsync(99_000);
    expect(t.raised).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.raised).toHaveLength(1);
  });
});

describe('comparison, statistical and compound rules', () => {
  it('compares two keys of the same device, with an offset', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'comparison',
      conditions: { key1: 'temperature', operator: '>', key2: 'setpoint', offset: 2 },
    });
    await t.engine.activate(record, logic);
    t.send({ temperature: 31 });
    expect(t.raised).toHaveLength(0); // no setpoint yet: unknown, not false
    t.send({ setpoint: 29 });
    expect(t.raised).toHaveLength(0);
    t.send({ temperature: 31.5 });
    expect(t.raised).toHaveLength(1);
    expect(t.raised[0]?.witness).toMatchObject({ value: 31.5, threshold: 31, thresholdLabel: 'setpoint + 2' });
    t.send({ setpoint: 35 });
    expect(t.resolved).toHaveLength(1);
  });

  it.each([
    ['avg', '>', 20, [10, 20, 40], true],
    ['avg', '>', 25, [10, 20, 40], false],
    ['min', '<', 11, [10, 20, 40], true],
    ['max', '>=', 40, [10, 20, 40], true],
    ['sum', '==', 70, [10, 20, 40], true],
    ['count', '>=', 3, [10, 20, 40], true],
    ['count', '>=', 4, [10, 20, 40], false],
    ['stddev', '>', 15, [10, 20, 40], true],
    ['stddev', '>', 16, [10, 20, 40], false],
  ] as const)('%s(vibration) %s %d over %j fires: %s', async (fn, operator, value, points, fires) => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'statistical',
      conditions: { key: 'vibration', function: fn, window: 60, operator, value },
    });
    await t.engine.activate(record, logic);
    for (const p of points) {
      t.send({ vibration: p });
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(t.raised.length > 0).toBe(fires);
  });

  it('slides the window by point time: old points leave it', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'statistical',
      conditions: { key: 'flow', function: 'avg', window: 10, operator: '>', value: 40 },
    });
    await t.engine.activate(record, logic);
    t.send({ flow: 100 });
    expect(t.raised).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    t.send({ flow: 0 });
    expect(t.resolved).toHaveLength(0); // avg(100, 0) = 50 > 40
    await vi.advanceTimersByTimeAsync(6000);
    t.send({ flow: 0 }); // 11 s later the 100 has left the 10 s window: avg(0, 0)
    expect(t.resolved).toHaveLength(1);
  });

  it('warms statistical windows from stored history when the rule starts', async () => {
    const t = testEngine();
    const now = Date.now();
    t.history.set('dev-1/vibration', [
      { ts: now - 120_000, value: 100 },
      { ts: now - 30_000, value: 9 },
      { ts: now - 20_000, value: 9 },
    ]);
    const { record, logic } = ruleOf({
      rule_type: 'statistical',
      conditions: { key: 'vibration', function: 'avg', window: 60, operator: '>', value: 8 },
    });
    await t.engine.activate(record, logic);
    t.send({ vibration: 9 });
    expect(t.raised).toHaveLength(1);
    expect(t.raised[0]?.witness.value).toBe(9);
    expect(t.engine.devices.get('dev-1')?.window('vibration', 60_000)?.count).toBe(3);
  });

  it('any: fires when one condition holds; all: only when every one does', async () => {
    const t = testEngine();
    const any = ruleOf(
      {
        rule_type: 'compound',
        conditions: {
          any: [
            { key: 'temperature', operator: '>', value: 80 },
            { type: 'statistical', key: 'pressure', function: 'max', window: 60, operator: '>', value: 10 },
          ],
        },
      },
      'r-any',
    );
    const all = ruleOf(
      {
        rule_type: 'compound',
        conditions: {
          all: [
            { key: 'temperature', operator: '>', value: 60 },
            { key1: 'pressure', operator: '>', key2: 'pressure_limit' },
          ],
        },
      },
      'r-all',
    );
    await t.engine.activate(any.record, any.logic);
    await t.engine.activate(all.record, all.logic);
    t.send({ temperature: 70, pressure: 5, pressure_limit: 8 });
    expect(t.raised).toEqual([]);
    t.send({ pressure: 12 });
    expect(t.raised.map((r) => r.ruleId).sort()).toEqual(['r-all', 'r-any']);
    expect(t.raised.find((r) => r.ruleId === 'r-any')?.witness).toMatchObject({
      key: 'max(pressure, 60 s)',
      value: 12,
    });
    t.send({ temperature: 50 });
    expect(t.resolved.map((r) => r.ruleId)).toEqual(['r-all']);
  });
});

describe('the index', () => {
  it('evaluates only the rules that watch the device and key of a point', async () => {
    const t = testEngine([
      { id: 'dev-1', deviceType: 'boiler', active: true, status: 'online', lastSeen: 1 },
      { id: 'dev-2', deviceType: 'pump', active: true, status: 'online', lastSeen: 1 },
    ]);
    for (let i = 0; i < 500; i++) {
      const r = ruleOf(
        { rule_type: 'threshold', device_id: 'dev-2', conditions: { key: `k${i}`, operator: '>', value: 1 } },
        `r${i}`,
      );
      await t.engine.activate(r.record, r.logic);
    }
    const typed = ruleOf(
      {
        rule_type: 'threshold',
        device_id: null,
        device_type: 'boiler',
        conditions: { key: 'temperature', operator: '>', value: 90 },
      },
      'r-typed',
    );
    await t.engine.activate(typed.record, typed.logic);
    t.send({ temperature: 20, k1: 5 }, 'dev-1');
    expect(t.engine.stats.evaluations).toBe(1);
    t.send({ k7: 5 }, 'dev-2');
    expect(t.engine.stats.evaluations).toBe(2);
    expect(t.raised.map((r) => r.ruleId)).toEqual(['r7']);
  });

  it('stops evaluating a rule the moment it is removed', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'threshold',
      conditions: { key: 'temperature', operator: '>', value: 25 },
    });
    const rule = await t.engine.activate(record, logic);
    t.engine.deactivate(rule);
    t.send({ temperature: 30 });
    expect(t.raised).toEqual([]);
  });

  it('does not raise again for an alert that was open before a restart, and resolves that one', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'threshold',
      conditions: { key: 'temperature', operator: '>', value: 25 },
    });
    await t.engine.activate(record, logic, { openAlerts: new Map([['dev-1', 'alert-before-restart']]) });
    t.send({ temperature: 30 });
    expect(t.raised).toEqual([]);
    t.send({ temperature: 20 });
    expect(t.resolved).toEqual([{ ruleId: 'rule-1', deviceId: 'dev-1', alertId: 'alert-before-restart' }]);
  });
});

describe('time-based rules', () => {
  it('runs a cron schedule in its time zone: 08:00 in New York is 13:00 UTC', async () => {
    vi.setSystemTime(new Date('2026-01-15T12:58:00Z'));
    const t = testEngine([
      { id: 'dev-1', deviceType: 'boiler', active: true, status: 'offline', lastSeen: 1 },
      { id: 'dev-2', deviceType: 'boiler', active: true, status: 'online', lastSeen: 1 },
      { id: 'dev-new', deviceType: 'boiler', active: true, status: 'offline', lastSeen: null },
    ]);
    const { record, logic } = ruleOf({
      rule_type: 'time_based',
      device_id: null,
      conditions: { schedule: '0 8 * * *', timezone: 'America/New_York', check: 'device_offline' },
    });
    await t.engine.activate(record, logic);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.raised).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.raised.map((r) => r.deviceId)).toEqual(['dev-1']);
    // The device coming back resolves at once; the next morning checks again.
    await t.engine.onDeviceStatus({
      organization_id: ORG,
      device_id: 'dev-1',
      status: 'online',
      ts: Date.now(),
      reason: 'connect',
    });
    expect(t.resolved.map((r) => r.deviceId)).toEqual(['dev-1']);
    t.status.set('dev-1', 'online');
    t.status.set('dev-2', 'offline');
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(t.raised.map((r) => r.deviceId)).toEqual(['dev-1', 'dev-2']);
  });

  it('checks no_data on its schedule and resolves when data arrives', async () => {
    vi.setSystemTime(new Date('2026-01-15T11:59:30Z'));
    const t = testEngine();
    t.latest.set('dev-1', { level: { ts: Date.now() - 3_600_000, value: 3 } });
    const { record, logic } = ruleOf({
      rule_type: 'time_based',
      conditions: { schedule: '0 * * * *', check: { type: 'no_data', key: 'level', seconds: 1800 } },
    });
    await t.engine.activate(record, logic);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.raised).toHaveLength(1);
    expect(t.raised[0]?.witness).toMatchObject({ key: 'level', threshold: 1800 });
    await settle();
    t.send({ level: 4 });
    expect(t.resolved).toHaveLength(1);
  });

  it('evaluates a threshold check against the latest values at the scheduled time only', async () => {
    vi.setSystemTime(new Date('2026-01-15T07:59:59Z'));
    const t = testEngine();
    t.latest.set('dev-1', { tank: { ts: Date.now(), value: 5 } });
    const { record, logic } = ruleOf({
      rule_type: 'time_based',
      conditions: {
        schedule: '0 8 * * *',
        timezone: 'UTC',
        check: { threshold: { key: 'tank', operator: '<', value: 10 } },
      },
    });
    await t.engine.activate(record, logic);
    t.send({ tank: 1 });
    expect(t.raised).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.raised[0]?.witness).toMatchObject({ value: 5, threshold: 10 });
  });

  it('detects silence on a timer without a schedule: fires N seconds after the last point, resolves on data', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({ rule_type: 'time_based', conditions: { check: 'no_data', seconds: 600 } });
    await t.engine.activate(record, logic);
    t.send({ anything: 1 });
    await vi.advanceTimersByTimeAsync(300_000);
    t.send({ other: 2 });
    await vi.advanceTimersByTimeAsync(599_000);
    expect(t.raised).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.raised).toHaveLength(1);
    expect(t.raised[0]?.witness).toMatchObject({ value: 600, threshold: 600 });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(t.raised).toHaveLength(1);
    t.send({ anything: 3 });
    expect(t.resolved).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(t.raised).toHaveLength(2);
  });

  it('raises device_offline on the status change, after its duration, and resolves when the device is back', async () => {
    const t = testEngine();
    const { record, logic } = ruleOf({
      rule_type: 'time_based',
      conditions: { check: 'device_offline', duration: 120 },
    });
    await t.engine.activate(record, logic);
    const status = (s: 'online' | 'offline') =>
      t.engine.onDeviceStatus({ organization_id: ORG, device_id: 'dev-1', status: s, ts: Date.now(), reason: 'test' });
    await status('offline');
    await vi.advanceTimersByTimeAsync(60_000);
    await status('online');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.raised).toHaveLength(0);
    await status('offline');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.raised).toHaveLength(1);
    await status('online');
    expect(t.resolved).toHaveLength(1);
  });
});
