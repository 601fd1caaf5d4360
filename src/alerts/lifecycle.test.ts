import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, EventBus, type FieldlineEvents, systemClock } from '../kernel/index.js';
import { ORG, ruleOf } from '../rules/engine.test-support.js';
import { CompiledRule } from '../rules/index.js';
import { openStorage, type Storage } from '../storage/index.js';
import { AlertLifecycle } from './lifecycle.js';
import { AlertStore } from './store.js';

interface Sent {
  event: string;
  occurrence: number;
  /** Indexes of the actions that notify in this call. */
  indexes: number[];
  severity: string;
}

let storage: Storage;
const principal = {
  kind: 'user' as const,
  id: 'u1',
  name: 'olga',
  organizationId: ORG,
  role: 'operator' as const,
  isPlatformAdmin: false,
};

function lifecycleFor(rule: CompiledRule) {
  const sent: Sent[] = [];
  const bus = new EventBus<FieldlineEvents>();
  const updates: FieldlineEvents['alert.updated'][] = [];
  bus.on('alert.updated', (e) => {
    updates.push(e);
  });
  const store = new AlertStore(storage.db);
  const closed: string[] = [];
  const lifecycle = new AlertLifecycle({
    store,
    clock: systemClock,
    log: createLogger('silent'),
    bus,
    notifier: {
      enqueueAlertNotifications: async (alert, actions, options = {}) => {
        sent.push({
          event: options.event ?? 'alert.raised',
          occurrence: Number(options.occurrence ?? 0),
          indexes: actions.flatMap((a, i) => (a.type === 'alert' ? [] : [i])),
          severity: alert.severity,
        });
        return [];
      },
    },
    publish: null,
    device: async (id) => ({ name: `Device ${id}`, deviceType: 'boiler' }),
    ruleOf: () => rule,
    onClosed: (_org, _rule, _device, alertId) => closed.push(alertId),
  });
  return { lifecycle, store, sent, updates, closed };
}

const witness = { value: 95, threshold: 90, key: 'temperature', operator: '>' };

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(new Date('2026-03-02T10:00:00Z'));
  storage = openStorage({ databaseUrl: null, dataDir: '.', sqliteFile: ':memory:' });
  await storage.migrate();
  await storage.db
    .insertInto('organizations')
    .values({ id: ORG, name: 'Plant', slug: 'plant', settings: '{}', created_at: 0, updated_at: 0 })
    .execute();
});
afterEach(async () => {
  vi.useRealTimers();
  await storage.close();
});

const escalatingRule = () => {
  const { record, logic } = ruleOf({
    rule_type: 'threshold',
    conditions: { key: 'temperature', operator: '>', value: 90 },
    actions: [
      { type: 'email', recipients: ['shift@example.com'], severity: 'warning', repeat_every: 600 },
      {
        type: 'webhook',
        url: 'https://hooks.example.com/pager',
        escalate_after: 1800,
        severity: 'critical',
        repeat_every: 900,
      },
      { type: 'alert', escalate_after: 3600, severity: 'critical' },
    ],
  });
  return new CompiledRule(record, logic);
};

describe('AlertLifecycle', () => {
  it('records raised and resolved notifications for the immediate actions', async () => {
    const rule = escalatingRule();
    const l = lifecycleFor(rule);
    const id = await l.lifecycle.raise(rule, 'dev-1', witness, 'alert-1');
    expect(id).toBe('alert-1');
    const row = await l.store.get('alert-1');
    expect(row).toMatchObject({ status: 'active', severity: 'warning', value: '95', threshold: '90' });
    expect(row?.message).toBe('Test rule: temperature is 95 > 90 on Device dev-1');
    await l.lifecycle.resolve(rule, 'dev-1', 'alert-1');
    expect(l.sent).toEqual([
      { event: 'alert.raised', occurrence: 0, indexes: [0], severity: 'warning' },
      { event: 'alert.resolved', occurrence: 0, indexes: [0], severity: 'warning' },
    ]);
    expect((await l.store.get('alert-1'))?.resolved_by).toBe('auto');
    await l.lifecycle.stop();
  });

  it('reminds every repeat_every while active, escalates after escalate_after, and tells the escalated of the resolution', async () => {
    const rule = escalatingRule();
    const l = lifecycleFor(rule);
    await l.lifecycle.raise(rule, 'dev-1', witness, 'alert-2');
    await vi.advanceTimersByTimeAsync(600_000);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(l.sent.slice(1)).toEqual([
      { event: 'alert.reminder', occurrence: 1, indexes: [0], severity: 'warning' },
      { event: 'alert.reminder', occurrence: 2, indexes: [0], severity: 'warning' },
    ]);
    await vi.advanceTimersByTimeAsync(600_000); // 30 min: third reminder and the first escalation
    const row = await l.store.get('alert-2');
    expect(row).toMatchObject({ escalation_level: 1, severity: 'critical' });
    expect(l.sent).toContainEqual({ event: 'alert.escalated', occurrence: 1, indexes: [1], severity: 'critical' });
    expect(l.updates.at(-1)?.alert).toMatchObject({ id: 'alert-2', escalation_level: 1, severity: 'critical' });
    await vi.advanceTimersByTimeAsync(900_000); // the escalation's own reminder
    expect(l.sent).toContainEqual({ event: 'alert.reminder', occurrence: 1, indexes: [1], severity: 'critical' });
    await vi.advanceTimersByTimeAsync(900_000); // 60 min: the alert action escalates (no notification)
    expect((await l.store.get('alert-2'))?.escalation_level).toBe(2);
    l.sent.length = 0;
    await l.lifecycle.resolveByUser(principal, 'alert-2', 'fixed');
    expect(l.sent).toEqual([{ event: 'alert.resolved', occurrence: 0, indexes: [0, 1], severity: 'critical' }]);
    expect(l.closed).toEqual(['alert-2']);
    await vi.advanceTimersByTimeAsync(7_200_000);
    expect(l.sent).toHaveLength(1);
    await l.lifecycle.stop();
  });

  it('stops reminders and escalations once the alert is acknowledged', async () => {
    const rule = escalatingRule();
    const l = lifecycleFor(rule);
    await l.lifecycle.raise(rule, 'dev-1', witness, 'alert-3');
    await vi.advanceTimersByTimeAsync(600_000);
    const acked = await l.lifecycle.acknowledge(principal, 'alert-3', undefined, 'looking');
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledged_by: 'olga', notes: 'looking' });
    await vi.advanceTimersByTimeAsync(10_800_000);
    expect(l.sent.map((s) => s.event)).toEqual(['alert.raised', 'alert.reminder']);
    expect((await l.store.get('alert-3'))?.escalation_level).toBe(0);
    await l.lifecycle.stop();
  });

  it('after a restart plans follow-ups again and sends only the latest missed reminder', async () => {
    const rule = escalatingRule();
    const first = lifecycleFor(rule);
    await first.lifecycle.raise(rule, 'dev-1', witness, 'alert-4');
    await first.lifecycle.stop();
    // Down for 25 minutes: reminders 1 and 2 were missed.
    vi.setSystemTime(Date.now() + 1_500_000);
    const second = lifecycleFor(rule);
    await second.lifecycle.restore(await second.store.open());
    await vi.advanceTimersByTimeAsync(0);
    expect(second.sent).toEqual([
      { event: 'alert.raised', occurrence: 0, indexes: [0], severity: 'warning' },
      { event: 'alert.reminder', occurrence: 2, indexes: [0], severity: 'warning' },
    ]);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(second.sent.map((s) => `${s.event}:${s.occurrence}`)).toEqual([
      'alert.raised:0',
      'alert.reminder:2',
      'alert.escalated:1',
      'alert.reminder:3',
    ]);
    await second.lifecycle.stop();
  });

  it('adopts the open alert already stored for the rule and device instead of raising a second one', async () => {
    const rule = escalatingRule();
    const l = lifecycleFor(rule);
    await l.lifecycle.raise(rule, 'dev-1', witness, 'alert-5');
    const again = await l.lifecycle.raise(rule, 'dev-1', witness, 'alert-6');
    expect(again).toBe('alert-5');
    expect(await l.store.get('alert-6')).toBeUndefined();
    expect(l.sent.filter((s) => s.event === 'alert.raised')).toHaveLength(1);
    await l.lifecycle.stop();
  });
});
