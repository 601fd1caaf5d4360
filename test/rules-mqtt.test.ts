import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../src/kernel/events.js';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';

describe('rules end to end over MQTT', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  const connect = async (username: string) => {
    const c = await mqtt.connectAsync(t.mqttUrl, { username, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp({}, { mqtt: true });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await t.close();
  });

  it('MQTT publish → alert row → alert message to MQTT subscribers of the organization only', async () => {
    const other = await createOrgWithMembers(t, 'MQTT Rules Other');
    const dev = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'kiln-1', name: 'Kiln 1' } });
    const rule = await t.api('/api/v1/rules', {
      token: t.adminToken,
      body: {
        name: 'Kiln too hot',
        device_id: 'kiln-1',
        rule_type: 'threshold',
        conditions: { key: 'temperature', operator: '>', value: 900 },
        severity: 'critical',
      },
    });
    expect(rule.status, rule.text).toBe(201);
    const key = (await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'scada', role: 'viewer' } })).body
      .key;
    const otherKey = (
      await t.api('/api/v1/api-keys', { token: other.tokens.admin, body: { name: 'spy', role: 'viewer' } })
    ).body.key;
    const sub = await connect(key);
    const spy = await connect(otherKey);
    const received: { topic: string; body: { event: string; alert: Record<string, unknown> } }[] = [];
    const spied: string[] = [];
    sub.on('message', (topic, payload) => received.push({ topic, body: JSON.parse(payload.toString()) }));
    spy.on('message', (topic) => spied.push(topic));
    await sub.subscribeAsync('fieldline/alerts/#', { qos: 1 });
    await spy.subscribeAsync('#', { qos: 1 });
    const onBus: AlertEvent[] = [];
    t.app.bus.on('alert.raised', (e) => {
      onBus.push(e);
    });

    const kiln = await connect(dev.body.credentials.access_token);
    await kiln.publishAsync('fieldline/devices/kiln-1/telemetry', JSON.stringify({ temperature: 950.5 }), { qos: 1 });
    await expect.poll(() => received.length).toBe(1);
    const rows = (await t.api(`/api/v1/alerts?rule_id=${rule.body.id}`, { token: t.adminToken })).body.items;
    expect(rows).toHaveLength(1);
    expect(received[0]?.topic).toBe('fieldline/alerts/kiln-1');
    expect(received[0]?.body).toEqual({ event: 'alert.raised', alert: rows[0] });
    expect(rows[0]).toMatchObject({ severity: 'critical', value: 950.5, threshold: 900, status: 'active' });
    // The bus carries the same alert with epoch-millisecond times (the realtime gateway's input).
    expect(onBus[0]).toEqual({
      organization_id: expect.any(String),
      alert: {
        id: rows[0].id,
        rule_id: rule.body.id,
        rule_name: 'Kiln too hot',
        device_id: 'kiln-1',
        severity: 'critical',
        status: 'active',
        message: rows[0].message,
        value: 950.5,
        threshold: 900,
        created_at: Date.parse(rows[0].created_at),
        acknowledged_at: null,
        acknowledged_by: null,
        notes: null,
        resolved_at: null,
        escalation_level: 0,
      },
    });

    await kiln.publishAsync('fieldline/devices/kiln-1/telemetry', JSON.stringify({ temperature: 400 }), { qos: 1 });
    await expect.poll(() => received.length).toBe(2);
    expect(received[1]?.body).toMatchObject({ event: 'alert.updated', alert: { id: rows[0].id, status: 'resolved' } });
    // The other organization's subscriber does get its own traffic, and none of these alerts.
    const theirs = await t.api('/api/v1/devices', {
      token: other.tokens.admin,
      body: { id: 'their-kiln', name: 'Theirs' },
    });
    const theirKiln = await connect(theirs.body.credentials.access_token);
    await theirKiln.publishAsync('fieldline/devices/their-kiln/telemetry', JSON.stringify({ temperature: 1 }), {
      qos: 1,
    });
    await expect.poll(() => spied).toContain('fieldline/devices/their-kiln/telemetry');
    expect(spied.filter((topic) => topic.startsWith('fieldline/alerts/'))).toEqual([]);
  });
});
