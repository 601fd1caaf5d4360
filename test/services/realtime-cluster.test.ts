import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithMembers, startTestApp, type TestApp } from '../helpers/app.js';
import { nextEvent, record, SocketPool, sampleAlert } from '../helpers/realtime.js';
import { freshPgSchema, serviceUrl, unlessSet } from '../helpers/services.js';

const pgUrl = serviceUrl('FIELDLINE_TEST_PG_URL');
const redisUrl = serviceUrl('FIELDLINE_TEST_REDIS_URL');
const missing = !pgUrl ? 'FIELDLINE_TEST_PG_URL' : 'FIELDLINE_TEST_REDIS_URL';

const orgOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { org: string }).org;

describe.skipIf(!pgUrl || !redisUrl)(
  `Socket.IO across two Fieldline nodes (PostgreSQL + Redis)${pgUrl && redisUrl ? '' : unlessSet(missing, undefined)}`,
  () => {
    let a: TestApp;
    let b: TestApp;
    let drop: () => Promise<void> = async () => {};
    let other: Awaited<ReturnType<typeof createOrgWithMembers>>;
    let deviceToken: string;
    const sockets = new SocketPool();
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      const schema = await freshPgSchema(pgUrl as string);
      drop = schema.drop;
      // Two nodes of one deployment: one database, one secret key (tokens of one are valid at the other), one Redis.
      const env = {
        FIELDLINE_DATABASE_URL: schema.url,
        FIELDLINE_SECRET_KEY: randomBytes(32).toString('hex'),
        FIELDLINE_REDIS_URL: redisUrl as string,
      };
      a = await startTestApp(env, { mqtt: true });
      b = await startTestApp(env, { mqtt: true });
      other = await createOrgWithMembers(a, 'Cluster Other');
      const r = await a.api('/api/v1/devices', { token: a.adminToken, body: { id: 'cl-press', name: 'Press' } });
      expect(r.status, r.text).toBe(201);
      deviceToken = r.body.credentials.access_token;
    });
    afterEach(async () => {
      sockets.closeAll();
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await drop();
    });

    it('delivers an alert raised on node B to the sockets of its organization on node A, once, and to no other organization', async () => {
      const onA = await sockets.connect(a.url, a.adminToken);
      const foreignOnA = await sockets.connect(a.url, other.tokens.viewer);
      const onB = await sockets.connect(b.url, a.adminToken);
      const seenA = record(onA);
      const seenB = record(onB);
      const foreignSeen = record(foreignOnA);
      const orgId = orgOf(a.adminToken);

      const alert = sampleAlert({ device_id: 'cl-press', message: 'pressure 12.5 bar > 12 bar' });
      const arrived = nextEvent(onA, 'alert');
      b.app.bus.emit('alert.raised', { organization_id: orgId, alert });
      expect(await arrived).toMatchObject({
        id: alert.id,
        message: alert.message,
        created_at: '2026-01-01T12:00:00.000Z',
      });

      // Everything node B sends goes through one Redis connection, in order: once a second alert has
      // arrived, a duplicate of the first, or a copy for the other organization, would have arrived before it.
      const second = sampleAlert({ message: 'second' });
      const secondAtA = nextEvent(onA, 'alert', (x) => x.id === second.id);
      const secondAtB = nextEvent(onB, 'alert', (x) => x.id === second.id);
      const theirs = nextEvent(foreignOnA, 'alert');
      b.app.bus.emit('alert.raised', { organization_id: orgId, alert: second });
      b.app.bus.emit('alert.raised', { organization_id: other.orgId, alert: sampleAlert({ message: 'theirs' }) });
      await Promise.all([secondAtA, secondAtB, theirs]);
      const alertIds = (seen: { event: string; payload: unknown }[]) =>
        seen.filter((e) => e.event === 'alert').map((e) => (e.payload as { id: string }).id);
      expect(alertIds(seenA)).toEqual([alert.id, second.id]);
      expect(alertIds(seenB)).toEqual([alert.id, second.id]);
      expect(foreignSeen.map((e) => (e.payload as { message: string }).message)).toEqual(['theirs']);
    });

    it('delivers to node A the alert of a rule that fires on node B, where the device publishes', async () => {
      const rule = await a.api('/api/v1/rules', {
        token: a.adminToken,
        body: {
          name: 'Press overpressure',
          device_id: 'cl-press',
          rule_type: 'threshold',
          conditions: { key: 'pressure', operator: '>', value: 100 },
          severity: 'critical',
        },
      });
      expect(rule.status, rule.text).toBe(201);
      const onA = await sockets.connect(a.url, a.adminToken);
      const arrived = nextEvent(onA, 'alert', (x) => x.rule_id === rule.body.id);
      const device = await mqtt.connectAsync(b.mqttUrl, { username: deviceToken, reconnectPeriod: 0 });
      clients.push(device);
      // The rule was created through node A; node B learns it through the cache's Redis invalidation, so the
      // device keeps publishing until B's engine has it (the alert is raised once, then stays active).
      let received = false;
      void arrived.then(() => {
        received = true;
      });
      for (let i = 0; i < 100 && !received; i++) {
        await device.publishAsync('fieldline/devices/cl-press/telemetry', JSON.stringify({ pressure: 150 }), {
          qos: 1,
        });
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await arrived).toMatchObject({
        device_id: 'cl-press',
        severity: 'critical',
        value: 150,
        status: 'active',
      });
      // Resolve it again so the other tests of this file see a quiet device.
      await device.publishAsync('fieldline/devices/cl-press/telemetry', JSON.stringify({ pressure: 50 }), { qos: 1 });
      await a.api(`/api/v1/rules/${rule.body.id}`, { method: 'DELETE', token: a.adminToken });
    });

    it('delivers telemetry published to node B’s broker as telemetry_update on node A, once', async () => {
      const onA = await sockets.connect(a.url, a.adminToken);
      const onB = await sockets.connect(b.url, a.adminToken);
      for (const s of [onA, onB]) {
        expect(await s.emitWithAck('subscribe_device', { device_id: 'cl-press' })).toEqual({ ok: true });
      }
      const pressures = (seen: { event: string; payload: unknown }[]) =>
        seen
          .filter((e) => e.event === 'telemetry_update')
          .map((e) => (e.payload as { values: { pressure: number } }).values.pressure);
      const seenA = record(onA);
      const seenB = record(onB);

      const device = await mqtt.connectAsync(b.mqttUrl, { username: deviceToken, reconnectPeriod: 0 });
      clients.push(device);
      const topic = 'fieldline/devices/cl-press/telemetry';
      const first = nextEvent(onA, 'telemetry_update');
      await device.publishAsync(topic, JSON.stringify({ ts: Date.UTC(2026, 0, 1), values: { pressure: 12.5 } }), {
        qos: 1,
      });
      expect(await first).toEqual({
        device_id: 'cl-press',
        ts: '2026-01-01T00:00:00.000Z',
        values: { pressure: 12.5 },
      });

      const lastAtA = nextEvent(onA, 'telemetry_update', (u) => u.values.pressure === 12.7);
      const lastAtB = nextEvent(onB, 'telemetry_update', (u) => u.values.pressure === 12.7);
      await device.publishAsync(topic, JSON.stringify({ pressure: 12.7 }), { qos: 1 });
      await Promise.all([lastAtA, lastAtB]);
      expect(pressures(seenA)).toEqual([12.5, 12.7]);
      expect(pressures(seenB)).toEqual([12.5, 12.7]);
    });

    it('refuses on node A a subscription to a device another organization created on node B', async () => {
      const created = await b.api('/api/v1/devices', {
        token: other.tokens.admin,
        body: { id: 'cl-foreign', name: 'Foreign' },
      });
      expect(created.status, created.text).toBe(201);
      const onA = await sockets.connect(a.url, a.adminToken);
      expect(await onA.emitWithAck('subscribe_device', { device_id: 'cl-foreign' })).toMatchObject({
        ok: false,
        code: 'FIELDLINE_ERR_NOT_FOUND',
      });
    });
  },
);
