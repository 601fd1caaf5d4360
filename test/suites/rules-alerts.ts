import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/kernel/index.js';
import { apiCall, createOrgWithMembers, startTestApp, type TestApp } from '../helpers/app.js';

/** The body users already write (the reference platform's documentation), unchanged. */
export const USER_RULE = {
  name: 'High Temperature Alert',
  device_id: 'device-001',
  rule_type: 'threshold',
  conditions: { key: 'temperature', operator: '>', value: 25 },
  actions: [{ type: 'email', recipients: ['alerts@example.com'], severity: 'warning' }],
  priority: 5,
  enabled: true,
};

/** Rules and alerts over HTTP as users rely on them; runs on SQLite and on PostgreSQL. */
export function rulesAlertsSuite(dialect: string) {
  describe(`rules and alerts (${dialect})`, () => {
    let t: TestApp;
    let other: Awaited<ReturnType<typeof createOrgWithMembers>>;
    const admin = () => t.adminToken;

    const device = async (body: Record<string, unknown>, token = admin()) => {
      const r = await t.api('/api/v1/devices', { token, body });
      expect(r.status, r.text).toBe(201);
    };
    const rule = async (body: Record<string, unknown>, token = admin()) => {
      const r = await t.api('/api/v1/rules', { token, body });
      expect(r.status, r.text).toBe(201);
      return r.body as { id: string; [k: string]: unknown };
    };
    const send = async (deviceId: string, data: Record<string, unknown>, token = admin()) => {
      const r = await t.api('/api/v1/telemetry', { token, body: { device_id: deviceId, data } });
      expect(r.status, r.text).toBe(200);
    };
    // biome-ignore lint/suspicious/noExplicitAny: alert JSON as the API answers it
    const alerts = async (query: string, token = admin()): Promise<any[]> => {
      const r = await t.api(`/api/v1/alerts?${query}`, { token });
      expect(r.status, r.text).toBe(200);
      return r.body.items;
    };
    /** Alert writes follow the commit asynchronously: poll until the API shows what is expected. */
    const eventually = async <T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
      let v = await read();
      for (let i = 0; i < 200 && !ok(v); i++) {
        await new Promise((r) => setTimeout(r, 25));
        v = await read();
      }
      return v;
    };

    beforeAll(async () => {
      t = await startTestApp();
      other = await createOrgWithMembers(t, `Rules Other ${dialect}`);
      await device({ id: 'device-001', name: 'Boiler 1', device_type: 'boiler' });
      await device({ id: 'boiler-2', name: 'Boiler 2', device_type: 'boiler' });
      await device({ id: 'pump-1', name: 'Pump 1', device_type: 'pump' });
      await device({ id: 'other-dev', name: 'Their device' }, other.tokens.admin);
    });
    afterAll(async () => {
      await t.close();
    });

    it('accepts the rule body users already write, unchanged, and raises a templated alert from it', async () => {
      const r = await rule(USER_RULE);
      expect(r).toMatchObject({ ...USER_RULE, severity: 'warning', auto_resolve: true, device_type: null });
      await send('device-001', { temperature: 28.5 });
      const [a] = await eventually(
        () => alerts(`rule_id=${r.id}`),
        (l) => l.length === 1,
      );
      expect(a).toMatchObject({
        rule_id: r.id,
        rule_name: 'High Temperature Alert',
        device_id: 'device-001',
        device_name: 'Boiler 1',
        severity: 'warning',
        status: 'active',
        value: 28.5,
        threshold: 25,
        message: 'High Temperature Alert: temperature is 28.5 > 25 on Boiler 1',
        acknowledged_at: null,
        resolved_at: null,
      });
      // The email action is recorded in the notifications outbox for this alert.
      const n = await eventually(
        async () => (await t.api(`/api/v1/notifications?alert_id=${a.id}`, { token: admin() })).body.items,
        (items: unknown[]) => items.length > 0,
      );
      expect(n[0]).toMatchObject({
        channel: 'email',
        event: 'alert.raised',
        target: { recipients: ['alerts@example.com'] },
      });
      await t.api(`/api/v1/rules/${r.id}`, { token: admin(), method: 'DELETE' });
    });

    it('rejects invalid rules, naming the field at fault', async () => {
      const base = { name: 'Bad', device_id: 'device-001' };
      const cases: [Record<string, unknown>, string][] = [
        [
          { rule_type: 'threshold', conditions: { key: 'temperature', operator: '=>', value: 25 } },
          'conditions.operator',
        ],
        [
          { rule_type: 'threshold', conditions: { key: 'temperature', operator: '>', value: 'hot' } },
          'conditions.value',
        ],
        [{ rule_type: 'threshold', conditions: { operator: '>', value: 1 } }, 'conditions.key'],
        [
          { rule_type: 'threshold', conditions: { key: 't', operator: '>', value: 1, duration: -5 } },
          'conditions.duration',
        ],
        [{ rule_type: 'threshold', conditions: { key: 't', operator: '>', value: 1, extra: 1 } }, 'conditions.extra'],
        [{ rule_type: 'comparison', conditions: { key1: 'a', operator: '>' } }, 'conditions.key2'],
        [
          {
            rule_type: 'statistical',
            conditions: { key: 'v', function: 'median', window: 60, operator: '>', value: 1 },
          },
          'conditions.function',
        ],
        [
          { rule_type: 'statistical', conditions: { key: 'v', function: 'avg', operator: '>', value: 1 } },
          'conditions.window',
        ],
        [
          {
            rule_type: 'compound',
            conditions: {
              any: [
                { key: 'a', operator: '>', value: 1 },
                { key: 'b', operator: '~', value: 1 },
              ],
            },
          },
          'conditions.any.1.operator',
        ],
        [{ rule_type: 'compound', conditions: { all: [] } }, 'conditions.all'],
        [
          { rule_type: 'time_based', conditions: { schedule: '61 * * * *', check: 'device_offline' } },
          'conditions.schedule',
        ],
        [
          {
            rule_type: 'time_based',
            conditions: { schedule: '0 8 * * *', timezone: 'Mars/Olympus', check: 'device_offline' },
          },
          'conditions.timezone',
        ],
        [{ rule_type: 'time_based', conditions: { schedule: '0 8 * * *', check: 'reboot' } }, 'conditions.check'],
        [{ rule_type: 'time_based', conditions: { check: { type: 'no_data' } } }, 'conditions.check.seconds'],
        [{ rule_type: 'pattern', conditions: {} }, 'rule_type'],
        [
          {
            rule_type: 'threshold',
            conditions: { key: 't', operator: '>', value: 1 },
            actions: [{ type: 'email', recipients: ['not-an-address'] }],
          },
          'actions.0.recipients.0',
        ],
        [
          {
            rule_type: 'threshold',
            conditions: { key: 't', operator: '>', value: 1 },
            actions: [{ type: 'sms', to: '+1' }],
          },
          'actions.0.type',
        ],
        [
          {
            rule_type: 'threshold',
            conditions: { key: 't', operator: '>', value: 1 },
            actions: [{ type: 'email', recipients: ['a@example.com'], repeat_every: 1 }],
          },
          'actions.0.repeat_every',
        ],
        [
          { rule_type: 'threshold', conditions: { key: 't', operator: '>', value: 1 }, message: 'Hot {{device.nmae}}' },
          'message',
        ],
        [
          { rule_type: 'threshold', device_type: 'boiler', conditions: { key: 't', operator: '>', value: 1 } },
          'device_type',
        ],
        [
          { rule_type: 'threshold', device_id: 'other-dev', conditions: { key: 't', operator: '>', value: 1 } },
          'device_id',
        ],
      ];
      for (const [body, field] of cases) {
        const r = await t.api('/api/v1/rules', { token: admin(), body: { ...base, ...body } });
        expect(r.status, `${field}: ${r.text}`).toBe(400);
        expect(r.body.code).toBe('FIELDLINE_ERR_VALIDATION');
        expect(
          r.body.errors.map((e: { field: string }) => e.field),
          `${field}: ${r.text}`,
        ).toContain(field);
      }
      expect((await t.api('/api/v1/rules?rule_type=threshold', { token: admin() })).body.items).toEqual([]);
    });

    it('stores every rule type and lists them by filter', async () => {
      const bodies = [
        { rule_type: 'threshold', conditions: { key: 'temperature', operator: '>=', value: 90, duration: 300 } },
        { rule_type: 'comparison', conditions: { key1: 'temperature', operator: '>', key2: 'setpoint', offset: 5 } },
        {
          rule_type: 'statistical',
          conditions: { key: 'vibration', function: 'stddev', window: 600, operator: '>', value: 2 },
        },
        {
          rule_type: 'time_based',
          conditions: { schedule: '0 8 * * 1-5', timezone: 'Europe/Berlin', check: 'device_offline' },
        },
        { rule_type: 'time_based', conditions: { check: { type: 'no_data', key: 'level', seconds: 900 } } },
        {
          rule_type: 'compound',
          conditions: {
            any: [
              { key: 'temperature', operator: '>', value: 80 },
              {
                all: [
                  { key: 'pressure', operator: '>', value: 8 },
                  { key1: 'flow', operator: '<', key2: 'flow_min' },
                ],
              },
            ],
            duration: 60,
          },
        },
      ];
      const ids: string[] = [];
      for (const b of bodies)
        ids.push((await rule({ name: `All types ${b.rule_type}`, device_type: 'pump', ...b })).id);
      const listed = (await t.api('/api/v1/rules?device_type=pump&limit=2', { token: admin() })).body;
      expect(listed.items).toHaveLength(2);
      expect(listed.next_cursor).toBeTruthy();
      const rest = (await t.api(`/api/v1/rules?device_type=pump&cursor=${listed.next_cursor}`, { token: admin() }))
        .body;
      expect([...listed.items, ...rest.items].map((r: { id: string }) => r.id)).toEqual(ids);
      const timeBased = (await t.api('/api/v1/rules?rule_type=time_based', { token: admin() })).body.items;
      expect(timeBased.map((r: { conditions: unknown }) => r.conditions)).toEqual([
        bodies[3]?.conditions,
        bodies[4]?.conditions,
      ]);
      for (const id of ids)
        expect((await t.api(`/api/v1/rules/${id}`, { token: admin(), method: 'DELETE' })).status).toBe(204);
    });

    it('raises one alert per episode under a flood, resolves it when the condition clears, and raises anew after', async () => {
      const r = await rule({
        name: 'Flood',
        device_id: 'boiler-2',
        rule_type: 'threshold',
        conditions: { key: 'pressure', operator: '>', value: 10 },
        message: '{{device.name}} at {{value}} bar (limit {{threshold}})',
      });
      await Promise.all(Array.from({ length: 40 }, (_, i) => send('boiler-2', { pressure: 11 + (i % 5) })));
      const first = await eventually(
        () => alerts(`rule_id=${r.id}`),
        (l) => l.length > 0,
      );
      await send('boiler-2', { pressure: 12 });
      expect(first).toHaveLength(1);
      expect(first[0].message).toMatch(/^Boiler 2 at 1\d bar \(limit 10\)$/);
      await send('boiler-2', { pressure: 9 });
      const resolved = await eventually(
        () => alerts(`rule_id=${r.id}&status=resolved`),
        (l) => l.length === 1,
      );
      expect(resolved[0]).toMatchObject({ id: first[0].id, resolved_by: 'auto' });
      expect(resolved[0].resolved_at).not.toBeNull();
      await send('boiler-2', { pressure: 15 });
      const all = await eventually(
        () => alerts(`rule_id=${r.id}`),
        (l) => l.length === 2,
      );
      expect(all.map((a) => a.status)).toEqual(['active', 'resolved']);
      expect(await alerts(`rule_id=${r.id}&status=open`)).toHaveLength(1);
      await t.api(`/api/v1/rules/${r.id}`, { token: admin(), method: 'DELETE' });
      const closed = await alerts(`rule_id=${r.id}&status=resolved`);
      expect(closed.map((a) => a.resolved_by)).toEqual(['system', 'auto']);
    });

    it('applies rule changes at once: update, disable, enable, delete', async () => {
      const r = await rule({
        name: 'Changing',
        device_id: 'device-001',
        rule_type: 'threshold',
        conditions: { key: 'flow', operator: '>', value: 100 },
      });
      await send('device-001', { flow: 50 });
      const updated = await t.api(`/api/v1/rules/${r.id}`, {
        token: admin(),
        method: 'PUT',
        body: { conditions: { key: 'flow', operator: '>', value: 40 }, severity: 'critical' },
      });
      expect(updated.status, updated.text).toBe(200);
      expect(updated.body).toMatchObject({ severity: 'critical', name: 'Changing', conditions: { value: 40 } });
      await send('device-001', { flow: 50 });
      const [a] = await eventually(
        () => alerts(`rule_id=${r.id}`),
        (l) => l.length === 1,
      );
      expect(a.severity).toBe('critical');
      const off = await t.api(`/api/v1/rules/${r.id}/toggle`, { token: admin(), method: 'PATCH' });
      expect(off.body.enabled).toBe(false);
      await send('device-001', { flow: 10 });
      expect((await alerts(`rule_id=${r.id}&status=active`)).length).toBe(1); // disabled: not evaluated
      const on = await t.api(`/api/v1/rules/${r.id}/toggle`, {
        token: admin(),
        method: 'PATCH',
        body: { enabled: true },
      });
      expect(on.body.enabled).toBe(true);
      await send('device-001', { flow: 10 });
      await eventually(
        () => alerts(`rule_id=${r.id}&status=resolved`),
        (l) => l.length === 1,
      );
      expect((await t.api(`/api/v1/rules/${r.id}`, { token: admin(), method: 'DELETE' })).status).toBe(204);
      expect((await t.api(`/api/v1/rules/${r.id}`, { token: admin() })).status).toBe(404);
      await send('device-001', { flow: 500 });
      expect(await alerts(`rule_id=${r.id}&status=open`)).toEqual([]);
      const audit = (await t.api('/api/v1/audit?resource_type=rule', { token: admin() })).body.items.filter(
        (e: { resource_id: string }) => e.resource_id === r.id,
      );
      expect(audit.map((e: { action: string }) => e.action).sort()).toEqual(
        ['rule.created', 'rule.deleted', 'rule.disabled', 'rule.enabled', 'rule.updated'].sort(),
      );
    });

    it('lets operators and up acknowledge and resolve, and viewers only read', async () => {
      const tokens = other.tokens;
      const r = await rule(
        {
          name: 'Theirs',
          device_id: 'other-dev',
          rule_type: 'threshold',
          conditions: { key: 'level', operator: '<', value: 5 },
        },
        tokens.admin,
      );
      expect(
        (await t.api('/api/v1/rules', { token: tokens.operator, body: { ...USER_RULE, device_id: 'other-dev' } }))
          .status,
      ).toBe(403);
      await send('other-dev', { level: 2 }, tokens.admin);
      const [a] = await eventually(
        () => alerts(`rule_id=${r.id}`, tokens.viewer),
        (l) => l.length === 1,
      );
      expect((await t.api(`/api/v1/alerts/${a.id}/acknowledge`, { token: tokens.viewer, body: {} })).status).toBe(403);
      expect((await t.api(`/api/v1/alerts/${a.id}/resolve`, { token: tokens.viewer, body: {} })).status).toBe(403);
      const ack = await t.api(`/api/v1/alerts/${a.id}/acknowledge`, {
        token: tokens.operator,
        body: { notes: 'on my way' },
      });
      expect(ack.status, ack.text).toBe(200);
      expect(ack.body).toMatchObject({
        status: 'acknowledged',
        notes: 'on my way',
        acknowledged_by: expect.stringMatching(/-operator$/),
      });
      expect(await alerts('acknowledged=true', tokens.viewer)).toHaveLength(1);
      expect(await alerts('acknowledged=false&status=open', tokens.viewer)).toHaveLength(0);
      const named = await t.api(`/api/v1/alerts/${a.id}/acknowledge`, {
        token: tokens.admin,
        body: { acknowledged_by: 'shift lead', notes: 'valve replaced' },
      });
      expect(named.body).toMatchObject({ status: 'acknowledged', notes: 'valve replaced' });
      const res = await t.api(`/api/v1/alerts/${a.id}/resolve`, {
        token: tokens.operator,
        body: { notes: 'refilled' },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        status: 'resolved',
        notes: 'refilled',
        resolved_by: expect.stringMatching(/-operator$/),
      });
      // No body at all is fine too (the body is optional).
      expect((await t.api(`/api/v1/alerts/${a.id}/resolve`, { token: tokens.owner, method: 'POST' })).status).toBe(409);
      expect((await t.api(`/api/v1/alerts/${a.id}/acknowledge`, { token: tokens.owner, body: {} })).status).toBe(409);
      // Resolved by hand while the level is still low: the next point starts a new episode.
      await send('other-dev', { level: 1 }, tokens.admin);
      await eventually(
        () => alerts(`rule_id=${r.id}&status=active`, tokens.viewer),
        (l) => l.length === 1,
      );
      const audit = (await t.api('/api/v1/audit?resource_type=alert', { token: tokens.owner })).body.items;
      expect(audit.map((e: { action: string }) => e.action).sort()).toEqual([
        'alert.acknowledged',
        'alert.acknowledged',
        'alert.resolved',
      ]);
    });

    it('never shows one organization the rules or alerts of another', async () => {
      const mine = await rule({
        name: 'Mine',
        device_id: 'device-001',
        rule_type: 'threshold',
        conditions: { key: 'secret', operator: '>', value: 0 },
      });
      await send('device-001', { secret: 1 });
      const [a] = await eventually(
        () => alerts(`rule_id=${mine.id}`),
        (l) => l.length === 1,
      );
      const them = other.tokens.owner;
      for (const [method, path, body] of [
        ['GET', `/api/v1/rules/${mine.id}`, undefined],
        ['PUT', `/api/v1/rules/${mine.id}`, { name: 'Taken' }],
        ['PATCH', `/api/v1/rules/${mine.id}/toggle`, {}],
        ['POST', `/api/v1/rules/${mine.id}/test`, {}],
        ['DELETE', `/api/v1/rules/${mine.id}`, undefined],
        ['GET', `/api/v1/alerts/${a.id}`, undefined],
        ['POST', `/api/v1/alerts/${a.id}/acknowledge`, {}],
        ['POST', `/api/v1/alerts/${a.id}/resolve`, {}],
      ] as const) {
        const r = await t.api(path, { token: them, method, ...(body ? { body } : {}) });
        expect(r.status, `${method} ${path}: ${r.text}`).toBe(404);
      }
      const theirRules = (await t.api('/api/v1/rules', { token: them })).body.items;
      expect(theirRules.map((x: { id: string }) => x.id)).not.toContain(mine.id);
      expect((await alerts('limit=1000', them)).map((x) => x.id)).not.toContain(a.id);
      expect(await alerts('device_id=device-001', them)).toEqual([]);
      // A rule of theirs on my device is refused, and my device's points never reach their rules.
      const onMine = await t.api('/api/v1/rules', {
        token: them,
        body: {
          name: 'Spy',
          device_id: 'device-001',
          rule_type: 'threshold',
          conditions: { key: 'secret', operator: '>', value: 0 },
        },
      });
      expect(onMine.status).toBe(400);
      const everyDevice = await rule(
        { name: 'Their every device', rule_type: 'threshold', conditions: { key: 'secret', operator: '>', value: 0 } },
        other.tokens.admin,
      );
      await send('device-001', { secret: 2 });
      expect(await alerts(`rule_id=${everyDevice.id}`, them)).toEqual([]);
    });

    it("gives the daily summary the day's alerts from the alerts themselves, also those that notify nobody", async () => {
      const plant = await createOrgWithMembers(t, `Rules Summary ${dialect}`);
      const token = plant.tokens.admin;
      await device({ id: 'summary-tank', name: 'Tank 3' }, token);
      const r = await rule(
        {
          name: 'Tank level',
          device_id: 'summary-tank',
          rule_type: 'threshold',
          severity: 'critical',
          conditions: { key: 'level', operator: '>', value: 5 },
          actions: [{ type: 'alert' }],
        },
        token,
      );
      await send('summary-tank', { level: 7 }, token);
      await eventually(
        () => alerts(`rule_id=${r.id}`, token),
        (l) => l.length === 1,
      );
      const now = Date.now();
      const summary = await t.app.notifications.summary.source(plant.orgId, now - 86_400_000, now + 1);
      expect(summary).toMatchObject({
        organization_name: `Rules Summary ${dialect}`,
        source: 'alerts',
        alerts: {
          raised: 1,
          resolved: 0,
          open: 1,
          by_severity: { critical: 1 },
          top_devices: [{ device_id: 'summary-tank', device_name: 'Tank 3', count: 1 }],
        },
      });
    });

    it('tests a rule against samples or stored values, with a trace, without side effects', async () => {
      const r = await rule({
        name: 'Tested',
        device_type: 'boiler',
        rule_type: 'compound',
        conditions: {
          all: [
            { key: 'temperature', operator: '>', value: 70 },
            { type: 'statistical', key: 'vibration', function: 'avg', window: 60, operator: '>=', value: 3 },
          ],
        },
      });
      const before = (await alerts('limit=1000')).length;
      const sample = await t.api(`/api/v1/rules/${r.id}/test`, {
        token: admin(),
        body: {
          device_id: 'boiler-2',
          points: [
            { ts: '2026-01-01T00:00:00Z', data: { temperature: 75, vibration: 2 } },
            { ts: '2026-01-01T00:00:10Z', data: { vibration: 4 } },
          ],
        },
      });
      expect(sample.status, sample.text).toBe(200);
      expect(sample.body).toMatchObject({
        would_fire: true,
        result: true,
        source: 'samples',
        steps: [
          { ts: '2026-01-01T00:00:00.000Z', result: false },
          { ts: '2026-01-01T00:00:10.000Z', result: true },
        ],
      });
      expect(sample.body.trace.condition).toBe('all of (temperature > 70 and avg(vibration, 60 s) >= 3)');
      expect(sample.body.trace.children.map((c: { result: boolean }) => c.result)).toEqual([true, true]);
      expect(sample.body.trace.children[1].detail).toBe('avg(vibration, 60 s) = 3 over 2 point(s) is >= 3');
      expect(sample.body.message).toContain('Boiler 2');
      await send('boiler-2', { temperature: 20 });
      const stored = await t.api(`/api/v1/rules/${r.id}/test`, { token: admin(), body: { device_id: 'boiler-2' } });
      expect(stored.body).toMatchObject({ source: 'stored', would_fire: false, result: false });
      expect(stored.body.trace.children[0].detail).toBe('temperature = 20 is not > 70');
      const noDevice = await t.api(`/api/v1/rules/${r.id}/test`, {
        token: admin(),
        body: { data: { temperature: 99 } },
      });
      expect(noDevice.status).toBe(400);
      expect(noDevice.body.errors[0].field).toBe('device_id');
      const wrongType = await t.api(`/api/v1/rules/${r.id}/test`, { token: admin(), body: { device_id: 'pump-1' } });
      expect(wrongType.status).toBe(400);
      expect((await alerts('limit=1000')).length).toBe(before);
      const viewer = await t.api(`/api/v1/rules/${r.id}/test`, { token: (await viewerToken()).token, body: {} });
      expect(viewer.status).toBe(403);
      await t.api(`/api/v1/rules/${r.id}`, { token: admin(), method: 'DELETE' });
    });

    it('allows one open alert per rule and device in the database itself', async () => {
      const r = await rule({
        name: 'Unique',
        device_id: 'pump-1',
        rule_type: 'threshold',
        conditions: { key: 'x', operator: '>', value: 0 },
      });
      await send('pump-1', { x: 1 });
      const [open] = await eventually(
        () => alerts(`rule_id=${r.id}`),
        (l) => l.length === 1,
      );
      const store = t.app.rules.alertStore;
      const row = await store.get(open.id);
      if (!row) throw new Error('alert row missing');
      const copy = { ...row, id: `${row.id.slice(0, -4)}ffff` };
      await expect(t.app.storage.db.insertInto('alerts').values(copy).execute()).rejects.toThrow();
      const adopted = await store.insertOpen(copy);
      expect(adopted).toMatchObject({ created: false, row: { id: open.id } });
      // Resolved alerts do not count: a new open one is allowed beside them.
      await store.resolve(open.id, Date.now(), 'test');
      expect((await store.insertOpen(copy)).created).toBe(true);
      await t.api(`/api/v1/rules/${r.id}`, { token: admin(), method: 'DELETE' });
    });

    it('detects silence on a timer and resolves when data comes back; closes alerts of a deleted device', async () => {
      await device({ id: 'quiet-1', name: 'Quiet sensor', device_type: 'level' });
      const r = await rule({
        name: 'Silent',
        device_type: 'level',
        rule_type: 'time_based',
        conditions: { check: { type: 'no_data', seconds: 1 } },
        message: 'No data from {{device.name}} for {{value}} s',
      });
      await send('quiet-1', { level: 3 });
      const [silent] = await eventually(
        () => alerts(`rule_id=${r.id}&status=active`),
        (l) => l.length === 1,
      );
      expect(silent).toMatchObject({ device_id: 'quiet-1', threshold: 1 });
      expect(silent.message).toMatch(/^No data from Quiet sensor for \d+ s$/);
      await send('quiet-1', { level: 4 });
      await eventually(
        () => alerts(`rule_id=${r.id}&status=resolved`),
        (l) => l.length === 1,
      );
      // Silent again → a new alert; deleting the device closes it without anyone being told.
      const [again] = await eventually(
        () => alerts(`rule_id=${r.id}&status=active`),
        (l) => l.length === 1,
      );
      expect((await t.api('/api/v1/devices/quiet-1', { token: admin(), method: 'DELETE' })).status).toBe(204);
      const closed = await eventually(
        () => t.api(`/api/v1/alerts/${again.id}`, { token: admin() }),
        (res) => res.body.status === 'resolved',
      );
      expect(closed.body).toMatchObject({ resolved_by: 'system', notes: 'device deleted' });
      await t.api(`/api/v1/rules/${r.id}`, { token: admin(), method: 'DELETE' });
    });

    const viewerToken = async () => ({ token: other.tokens.viewer });
  });

  describe(`rules and alerts across a restart (${dialect})`, () => {
    it('keeps an open alert open, does not raise it again, and resolves it when the condition clears', async () => {
      const t = await startTestApp();
      const api = (base: string, path: string, init: Parameters<typeof apiCall>[2]) => apiCall(base, path, init);
      await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'restart-dev', name: 'Restart' } });
      const r = await t.api('/api/v1/rules', {
        token: t.adminToken,
        body: {
          name: 'Survives',
          device_id: 'restart-dev',
          rule_type: 'threshold',
          conditions: { key: 't', operator: '>', value: 50 },
        },
      });
      const pending = await t.api('/api/v1/rules', {
        token: t.adminToken,
        body: {
          name: 'Pending survives',
          device_id: 'restart-dev',
          rule_type: 'threshold',
          conditions: { key: 'p', operator: '>', value: 1, duration: 3600 },
        },
      });
      await t.api('/api/v1/telemetry', {
        token: t.adminToken,
        body: { device_id: 'restart-dev', data: { t: 60, p: 5 } },
      });
      const waitOpen = async (base: string) => {
        for (let i = 0; i < 200; i++) {
          const l = (await api(base, `/api/v1/alerts?rule_id=${r.body.id}`, { token: t.adminToken })).body.items;
          if (l.length > 0) return l;
          await new Promise((res) => setTimeout(res, 25));
        }
        return [];
      };
      const [before] = await waitOpen(t.url);
      // The running duration is saved after a second; wait for it so the restart finds it.
      for (let i = 0; i < 200 && (await t.app.rules.store.pending()).length === 0; i++)
        await new Promise((res) => setTimeout(res, 25));
      await t.app.stop();
      const app = await createApp(t.app.config, { logger: createLogger(t.app.config.logLevel) });
      const { httpUrl } = await app.start();
      try {
        expect([...app.rules.engine.index.rules()].map((x) => x.id)).toContain(r.body.id);
        const restoredState = [...app.rules.engine.index.rules()]
          .find((x) => x.id === pending.body.id)
          ?.states.get('restart-dev');
        expect(restoredState?.phase).toBe('pending');
        await api(httpUrl, '/api/v1/telemetry', {
          token: t.adminToken,
          body: { device_id: 'restart-dev', data: { t: 70 } },
        });
        await api(httpUrl, '/api/v1/telemetry', {
          token: t.adminToken,
          body: { device_id: 'restart-dev', data: { t: 80 } },
        });
        const all = (await api(httpUrl, `/api/v1/alerts?rule_id=${r.body.id}`, { token: t.adminToken })).body.items;
        expect(all).toHaveLength(1);
        expect(all[0]).toMatchObject({ id: before.id, status: 'active' });
        await api(httpUrl, '/api/v1/telemetry', {
          token: t.adminToken,
          body: { device_id: 'restart-dev', data: { t: 20 } },
        });
        let status = '';
        for (let i = 0; i < 200 && status !== 'resolved'; i++) {
          status = (await api(httpUrl, `/api/v1/alerts/${before.id}`, { token: t.adminToken })).body.status;
          if (status !== 'resolved') await new Promise((res) => setTimeout(res, 25));
        }
        expect(status).toBe('resolved');
      } finally {
        await app.stop();
        rmSync(t.dataDir, { recursive: true, force: true });
      }
    });
  });
}
