import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectStatus, mqttIntegrationWithIngest, OwnMosquitto, statusUntil } from '../helpers/integrations.js';
import { waitFor } from '../helpers/notify.js';
import { freshPgSchema, serviceUrl, unlessSet } from '../helpers/services.js';

const mqttUrl = serviceUrl('FIELDLINE_TEST_MQTT_URL');
const pgBase = process.env.FIELDLINE_TEST_PG_URL || undefined;
const mosquitto = OwnMosquitto.binary();
if (!mosquitto && process.env.CI === 'true') throw new Error('mosquitto is missing (Debian package mosquitto)');

describe(`MQTT integrations against Mosquitto${unlessSet('FIELDLINE_TEST_MQTT_URL', mqttUrl)}`, () => {
  // Every topic of this run under its own prefix: the machine's broker is shared with other runs.
  const prefix = `fl-it-${randomBytes(4).toString('hex')}`;
  let a: TestApp;
  let b: TestApp;
  let publisher: mqtt.MqttClient;
  let drop: () => Promise<void> = async () => {};
  // A Mosquitto of the test's own (free port, password file) for credentials and outages: never the machine's.
  const own = new OwnMosquitto({ plant: 'mosquitto-plant-pw' });

  beforeAll(async () => {
    if (!mqttUrl) return;
    // Node A on PostgreSQL when the services tier has one (the same code path on both databases), B on SQLite.
    let pgUrl: string | undefined;
    if (pgBase) ({ url: pgUrl, drop } = await freshPgSchema(pgBase));
    a = await startTestApp(pgUrl ? { FIELDLINE_DATABASE_URL: pgUrl } : {});
    b = await startTestApp();
    publisher = await mqtt.connectAsync(mqttUrl, { clientId: `${prefix}-pub`, reconnectPeriod: 0 });
    if (mosquitto) await own.start();
  });

  afterAll(async () => {
    await publisher?.endAsync(true);
    await a?.close();
    await b?.close();
    await drop();
    await own.dispose();
  });

  it.skipIf(!mqttUrl)('ingests through a subscription with counters (QoS 1, nothing lost)', async () => {
    const { id, subId } = await mqttIntegrationWithIngest(
      a,
      a.adminToken,
      { url: mqttUrl, protocol_version: 5 },
      '{device_id}/telemetry',
      {
        topics: { prefix, qos: 1 },
        action: { create_devices: true, device_type: 'mosquitto-test' },
      },
    );
    await statusUntil(
      a,
      a.adminToken,
      id,
      (s) => s.connected === true && s.subscribed_topics_count === 1,
      'subscribed',
    );
    const N = 200;
    for (let i = 0; i < N; i++)
      await publisher.publishAsync(
        `${prefix}/dev-${i % 4}/telemetry`,
        JSON.stringify({ ts: Date.now() - 60_000 + i, seq: i }),
        { qos: 1 },
      );
    await waitFor(async () => {
      const s = await a.api(`/api/v1/integrations/${id}/subscriptions/${subId}`, { token: a.adminToken });
      return s.body.actions_executed === N;
    }, 'all messages ingested');
    let stored = 0;
    for (let d = 0; d < 4; d++) {
      const r = await a.api(`/api/v1/telemetry/dev-${d}?keys=seq&start=2000-01-01T00:00:00Z&limit=1000`, {
        token: a.adminToken,
      });
      stored += r.body.series.seq?.length ?? 0;
    }
    expect(stored).toBe(N);
    const sub = await a.api(`/api/v1/integrations/${id}/subscriptions/${subId}`, { token: a.adminToken });
    expect(sub.body).toMatchObject({ messages_received: N, actions_executed: N, actions_failed: 0 });
    expectStatus(await a.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: a.adminToken }), 204);
  });

  it.skipIf(!mqttUrl)('splits a shared subscription between two Fieldline nodes', async () => {
    const topics = { prefix, use_shared: true, shared_group: `${prefix}-group`, qos: 1 };
    const ia = await mqttIntegrationWithIngest(a, a.adminToken, { url: mqttUrl }, 'shared/{device_id}', {
      topics,
      action: { create_devices: true },
    });
    const ib = await mqttIntegrationWithIngest(b, b.adminToken, { url: mqttUrl }, 'shared/{device_id}', {
      topics,
      action: { create_devices: true },
    });
    for (const [t, i] of [
      [a, ia],
      [b, ib],
    ] as const) {
      const s = await statusUntil(
        t,
        t.adminToken,
        i.id,
        (x) => x.connected === true && x.subscribed_topics_count === 1,
        'subscribed',
      );
      expect(s.subscribed_topics).toEqual([`$share/${prefix}-group/${prefix}/shared/+`]);
    }
    const N = 60;
    for (let i = 0; i < N; i++)
      await publisher.publishAsync(`${prefix}/shared/s-${i}`, JSON.stringify({ v: i }), { qos: 1 });
    const count = async (t: TestApp, i: { id: string; subId: string }) =>
      (await t.api(`/api/v1/integrations/${i.id}/subscriptions/${i.subId}`, { token: t.adminToken })).body
        .actions_executed as number;
    await waitFor(async () => (await count(a, ia)) + (await count(b, ib)) === N, 'every message on one node');
    const na = await count(a, ia);
    const nb = await count(b, ib);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);
    expect(na + nb).toBe(N);
    // Each message stored once, on the node that got it.
    const devicesA = (await a.api('/api/v1/devices?search=s-&limit=1000', { token: a.adminToken })).body.items.length;
    const devicesB = (await b.api('/api/v1/devices?search=s-&limit=1000', { token: b.adminToken })).body.items.length;
    expect(devicesA + devicesB).toBe(N);
    expectStatus(await a.api(`/api/v1/integrations/${ia.id}`, { method: 'DELETE', token: a.adminToken }), 204);
    expectStatus(await b.api(`/api/v1/integrations/${ib.id}`, { method: 'DELETE', token: b.adminToken }), 204);
  });

  describe.skipIf(!mqttUrl || !mosquitto)("with a Mosquitto of the test's own", () => {
    it("tests a connection with right and wrong credentials (Mosquitto's reason, both protocol versions)", async () => {
      const test = async (broker: Record<string, unknown>) =>
        (await b.api('/api/v1/integrations/test', { token: b.adminToken, body: { type: 'mqtt', config: { broker } } }))
          .body;
      const base = { host: '127.0.0.1', port: own.port, username: 'plant' };
      expect(await test({ ...base, password: 'mosquitto-plant-pw' })).toMatchObject({
        status: 'success',
        connected: true,
      });
      expect(await test({ ...base, password: 'mosquitto-plant-pw', protocol_version: 5 })).toMatchObject({
        status: 'success',
      });
      // Mosquitto answers a wrong password with "not authorized" (5 / 0x87), not 4 / 0x86.
      const v4 = await test({ ...base, password: 'wrong' });
      expect(v4).toMatchObject({ status: 'error', error_kind: 'connack', connack_code: 5, details: 'not authorized' });
      expect(v4.message).toMatch(/wrong username or password/);
      const v5 = await test({ ...base, password: 'wrong', protocol_version: 5 });
      expect(v5).toMatchObject({ status: 'error', connack_code: 0x87, details: 'not authorized' });
    });

    it('shows the outage when the broker stops and reconnects and resubscribes within 10 s when it is back', async () => {
      const { id, subId } = await mqttIntegrationWithIngest(
        b,
        b.adminToken,
        {
          host: '127.0.0.1',
          port: own.port,
          username: 'plant',
          password: 'mosquitto-plant-pw',
          reconnect_min_ms: 500,
          reconnect_max_ms: 4000,
        },
        'restart/{device_id}',
        { action: { create_devices: true } },
      );
      await statusUntil(
        b,
        b.adminToken,
        id,
        (s) => s.connected === true && s.subscribed_topics_count === 1,
        'subscribed',
      );
      await own.stop();
      const down = await statusUntil(
        b,
        b.adminToken,
        id,
        (s) => s.connected === false && s.connection_error !== null,
        'disconnected',
      );
      expect(down.last_disconnected_at).not.toBeNull();
      await own.start(own.port);
      // Back and resubscribed by itself within 10 s (the wait fails the test beyond that).
      await statusUntil(
        b,
        b.adminToken,
        id,
        (s) => s.connected === true && s.subscribed_topics_count === 1,
        'back',
        10_000,
      );
      const pub = await mqtt.connectAsync(own.url, {
        username: 'plant',
        password: 'mosquitto-plant-pw',
        reconnectPeriod: 0,
      });
      await pub.publishAsync('restart/r1', JSON.stringify({ back: 1 }), { qos: 1 });
      await pub.endAsync();
      await waitFor(async () => {
        const s = await b.api(`/api/v1/integrations/${id}/subscriptions/${subId}`, { token: b.adminToken });
        return s.body.actions_executed === 1;
      }, 'a message after the restart');
      expectStatus(await b.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: b.adminToken }), 204);
    });
  });
});
