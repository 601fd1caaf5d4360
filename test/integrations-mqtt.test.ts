import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  expectStatus,
  freeTcpPort,
  mqttIntegrationWithIngest,
  openApp,
  statusUntil,
  TestBroker,
} from './helpers/integrations.js';
import { waitFor } from './helpers/notify.js';
import { nextEvent, SocketPool } from './helpers/realtime.js';

const PASSWORD = 'plant-secret-pw';

describe('MQTT integrations against an embedded, authenticating broker', () => {
  let t: TestApp;
  const broker = new TestBroker({ plant: PASSWORD });
  let publisher: mqtt.MqttClient;
  const sockets = new SocketPool();

  beforeAll(async () => {
    await broker.start();
    t = await startTestApp();
    publisher = await mqtt.connectAsync(broker.url, { username: 'plant', password: PASSWORD, reconnectPeriod: 200 });
    for (const id of ['m1', 'm2', 's1'])
      expectStatus(await t.api('/api/v1/devices', { token: t.adminToken, body: { id, name: id } }), 201);
  });

  afterAll(async () => {
    await publisher?.endAsync(true);
    await t?.close();
    await broker.stop();
  });

  afterEach(() => sockets.closeAll());

  const brokerConfig = () => ({ host: '127.0.0.1', port: broker.port, username: 'plant', password: PASSWORD });
  const latest = async (device: string) =>
    (await t.api(`/api/v1/telemetry/${device}/latest`, { token: t.adminToken })).body;
  const sub = async (id: string, subId: string) =>
    (await t.api(`/api/v1/integrations/${id}/subscriptions/${subId}`, { token: t.adminToken })).body;

  describe('connection test', () => {
    it("succeeds with the right credentials and reports the broker's reason with wrong ones", async () => {
      const ok = await t.api('/api/v1/integrations/test', {
        token: t.adminToken,
        body: { type: 'mqtt', config: { broker: brokerConfig() } },
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ status: 'success', connected: true, connack_code: 0 });

      const bad = await t.api('/api/v1/integrations/test', {
        token: t.adminToken,
        body: { type: 'mqtt', config: { broker: { ...brokerConfig(), password: 'wrong' } } },
      });
      expect(bad.body).toMatchObject({
        status: 'error',
        connected: false,
        error_kind: 'connack',
        connack_code: 4,
        details: 'bad username or password',
      });
      expect(bad.body.message).toMatch(/bad username or password \(CONNACK code 4\)/);
    });

    it('tells a DNS failure, a refused port, a TLS failure and a timeout apart', async () => {
      const test = async (b: Record<string, unknown>) =>
        (
          await t.api('/api/v1/integrations/test', {
            token: t.adminToken,
            body: { type: 'mqtt', config: { broker: b } },
          })
        ).body;
      expect(await test({ host: 'no-such-broker.invalid' })).toMatchObject({ status: 'error', error_kind: 'dns' });
      const closed = await freeTcpPort();
      expect(await test({ host: '127.0.0.1', port: closed })).toMatchObject({ error_kind: 'network' });
      const tls = await test({ ...brokerConfig(), use_tls: true });
      expect(tls).toMatchObject({ status: 'error', error_kind: 'tls' });
      // A listener that accepts and never answers: the CONNACK never comes.
      const silent: Server = createServer(() => {});
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as { port: number }).port;
      const slow = await test({ host: '127.0.0.1', port, connect_timeout_ms: 800 });
      expect(slow).toMatchObject({ status: 'error', error_kind: 'timeout' });
      expect(slow.message).toMatch(/CONNACK/);
      silent.close();
    });

    it('tests a saved integration, with an unsaved change merged on top', async () => {
      const { id } = await mqttIntegrationWithIngest(t, t.adminToken, brokerConfig(), 'probe/{device_id}');
      const saved = await t.api(`/api/v1/integrations/${id}/test`, { token: t.adminToken, body: {} });
      expect(saved.body).toMatchObject({ status: 'success' });
      const changed = await t.api(`/api/v1/integrations/${id}/test`, {
        token: t.adminToken,
        body: { config: { broker: { password: 'not-it' } } },
      });
      expect(changed.body).toMatchObject({ status: 'error', connack_code: 4 });
      expectStatus(await t.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: t.adminToken }), 204);
    });
  });

  it('keeps credentials encrypted in the rows, masked in every answer, and kept by "***"', async () => {
    const { id, created } = await mqttIntegrationWithIngest(t, t.adminToken, brokerConfig(), 'secret/{device_id}/x');
    expect(created.config.broker.password).toBe('***');
    const rows = await t.app.storage.db.selectFrom('integrations').selectAll().execute();
    const audit = await t.app.storage.db.selectFrom('audit_log').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
    expect(JSON.stringify(audit)).not.toContain(PASSWORD);
    const row = rows.find((r) => r.id === id);
    expect(row?.secrets).toMatch(/^v1:[A-Za-z0-9_-]+:/);
    for (const path of ['/api/v1/integrations', `/api/v1/integrations/${id}`]) {
      const r = await t.api(path, { token: t.adminToken });
      expect(r.text).not.toContain(PASSWORD);
      expect(r.text).toContain('"password":"***"');
    }
    // A form sends back what it got: *** keeps the stored password, and the connection still logs in.
    const patched = await t.api(`/api/v1/integrations/${id}`, {
      method: 'PATCH',
      token: t.adminToken,
      body: { config: { broker: { ...brokerConfig(), password: '***', keep_alive: 30 } } },
    });
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain(PASSWORD);
    const saved = await t.api(`/api/v1/integrations/${id}/test`, { token: t.adminToken, body: {} });
    expect(saved.body).toMatchObject({ status: 'success' });
    await statusUntil(t, t.adminToken, id, (s) => s.connected === true, 'reconnected with the kept password');
    expectStatus(await t.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: t.adminToken }), 204);
  });

  it('ingests through a subscription, counts, stops when disabled, and follows a topic change without reconnecting', async () => {
    const { id, subId } = await mqttIntegrationWithIngest(t, t.adminToken, brokerConfig(), 'plant/{device_id}/data', {
      topics: { prefix: 'site-a' },
      action: { values: { temperature: '$.t' } },
    });
    // A second subscription on another topic: when its message has arrived, an earlier one sent to a disabled
    // topic would have arrived too (the broker keeps one publisher's order), so "nothing came" is provable.
    const sentinel = await t.api(`/api/v1/integrations/${id}/subscriptions`, {
      token: t.adminToken,
      body: { name: 'sentinel', topic: 'sentinel/{device_id}', actions: [{ type: 'ingest' }] },
    });
    expect(sentinel.status).toBe(201);
    expect(sentinel.body.filter).toBe('site-a/sentinel/+');
    const first = await statusUntil(
      t,
      t.adminToken,
      id,
      (s) => s.connected === true && s.subscribed_topics_count === 2,
      'subscribed',
    );

    await publisher.publishAsync('site-a/plant/m1/data', JSON.stringify({ t: 21.5 }), { qos: 1 });
    await waitFor(async () => (await latest('m1')).values?.temperature?.value === 21.5, 'telemetry of m1');
    await waitFor(async () => (await sub(id, subId)).actions_executed === 1, 'counters');
    expect(await sub(id, subId)).toMatchObject({ messages_received: 1, actions_executed: 1, actions_failed: 0 });
    expect((await sub(id, subId)).last_message_at).not.toBeNull();

    // A message the action cannot map counts as received and failed, with the reason.
    await publisher.publishAsync('site-a/plant/m1/data', 'not json', { qos: 1 });
    await waitFor(async () => (await sub(id, subId)).actions_failed === 1, 'a failed action');
    expect((await sub(id, subId)).last_error).toMatch(/ingest: not JSON/);

    // Disabled: unsubscribed on the live connection.
    expectStatus(
      await t.api(`/api/v1/integrations/${id}/subscriptions/${subId}`, {
        method: 'PUT',
        token: t.adminToken,
        body: { enabled: false },
      }),
      200,
    );
    await statusUntil(t, t.adminToken, id, (s) => s.subscribed_topics_count === 1, 'unsubscribed');
    await publisher.publishAsync('site-a/plant/m1/data', JSON.stringify({ t: 99 }), { qos: 1 });
    await publisher.publishAsync('site-a/sentinel/s1', JSON.stringify({ n: 1 }), { qos: 1 });
    await waitFor(async () => (await latest('s1')).values?.n?.value === 1, 'sentinel 1');
    expect((await latest('m1')).values.temperature.value).toBe(21.5);
    expect((await sub(id, subId)).messages_received).toBe(2);

    // Enabled again with a new topic: the old topic is no longer heard, the new one is, same connection.
    expectStatus(
      await t.api(`/api/v1/integrations/${id}/subscriptions/${subId}`, {
        method: 'PUT',
        token: t.adminToken,
        body: { enabled: true, topic: 'line2/{device_id}/data' },
      }),
      200,
    );
    await statusUntil(
      t,
      t.adminToken,
      id,
      (s) => (s.subscribed_topics as string[]).includes('site-a/line2/+/data'),
      'new topic',
    );
    await publisher.publishAsync('site-a/plant/m2/data', JSON.stringify({ t: 1 }), { qos: 1 });
    await publisher.publishAsync('site-a/line2/m2/data', JSON.stringify({ t: 2 }), { qos: 1 });
    await publisher.publishAsync('site-a/sentinel/s1', JSON.stringify({ n: 2 }), { qos: 1 });
    await waitFor(async () => (await latest('s1')).values?.n?.value === 2, 'sentinel 2');
    await waitFor(async () => (await latest('m2')).values?.temperature?.value === 2, 'm2 on the new topic');
    const after = await statusUntil(t, t.adminToken, id, () => true, 'status');
    expect(after.last_connected_at).toBe(first.last_connected_at);
    expect(after.reconnect_attempts).toBe(0);
    expect((await sub(id, subId)).messages_received).toBe(3);
    expectStatus(await t.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: t.adminToken }), 204);
  });

  it('shows a broker outage, reconnects with backoff and resubscribes by itself, live on Socket.IO', async () => {
    const { id } = await mqttIntegrationWithIngest(t, t.adminToken, brokerConfig(), 'outage/{device_id}', {
      name: 'outage',
    });
    await statusUntil(t, t.adminToken, id, (s) => s.connected === true && s.subscribed_topics_count === 1, 'connected');
    const socket = await sockets.connect(t.url, t.adminToken);
    const down = nextEvent(socket, 'integration_status', (p) => p.integration_id === id && p.connected === false);

    await broker.stop();
    const lost = await statusUntil(
      t,
      t.adminToken,
      id,
      (s) => s.connected === false && s.connection_error !== null,
      'disconnected',
    );
    expect(lost.last_disconnected_at).not.toBeNull();
    expect(String(lost.connection_error)).toMatch(/refused|lost|closed/i);
    expect((await down).connection_error).not.toBeNull();
    const listed = await t.api('/api/v1/integrations?type=mqtt', { token: t.adminToken });
    const mine = listed.body.items.find((i: { id: string }) => i.id === id);
    expect(mine.health.state).toBe('error');
    expect(mine.status).toBe('error');

    const up = nextEvent(socket, 'integration_status', (p) => p.integration_id === id && p.connected === true);
    await broker.start();
    // The contract: back and resubscribed by itself within 10 s (the wait fails the test beyond that).
    const back = await statusUntil(
      t,
      t.adminToken,
      id,
      (s) => s.connected === true && s.subscribed_topics_count === 1,
      'reconnected and resubscribed',
      10_000,
    );
    expect(back.connection_error).toBeNull();
    await up;
    // Resubscribed for real: a message on the topic is stored.
    await waitFor(async () => {
      if (!publisher.connected) return false;
      await publisher.publishAsync('outage/m1', JSON.stringify({ after_outage: 7 }), { qos: 1 });
      return (await latest('m1')).values?.after_outage?.value === 7;
    }, 'a message after the outage');
    const row = await t.api(`/api/v1/integrations/${id}`, { token: t.adminToken });
    expect(row.body).toMatchObject({ status: 'active', health: { state: 'ok' } });
    expectStatus(await t.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: t.adminToken }), 204);
  });

  it('publishes back to the broker for operators, reconnects on demand, and republishes', async () => {
    const { id } = await mqttIntegrationWithIngest(t, t.adminToken, brokerConfig(), 'in/{device_id}', { name: 'pub' });
    expectStatus(
      await t.api(`/api/v1/integrations/${id}/subscriptions`, {
        token: t.adminToken,
        body: {
          name: 'mirror',
          topic: 'in/{device_id}',
          actions: [{ type: 'republish', topic: 'out/{device_id}', qos: 1 }],
        },
      }),
      201,
    );
    await statusUntil(t, t.adminToken, id, (s) => s.connected === true && s.subscribed_topics_count === 1, 'connected');
    const received: { topic: string; payload: string }[] = [];
    await publisher.subscribeAsync('out/#', { qos: 1 });
    publisher.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    const res = await t.api(`/api/v1/integrations/${id}/publish`, {
      token: t.adminToken,
      body: { topic: 'in/m2', payload: { v: 5 }, qos: 1 },
    });
    expect(res.body).toMatchObject({ published: true, topic: 'in/m2' });
    await waitFor(() => received.find((r) => r.topic === 'out/m2'), 'republished message');
    expect(received.find((r) => r.topic === 'out/m2')?.payload).toBe('{"v":5}');
    await waitFor(async () => (await latest('m2')).values?.v?.value === 5, 'ingested too');

    const before = await statusUntil(t, t.adminToken, id, () => true, 'status');
    const re = await t.api(`/api/v1/integrations/${id}/reconnect`, { method: 'POST', token: t.adminToken });
    expect(re.status).toBe(202);
    const after = await statusUntil(
      t,
      t.adminToken,
      id,
      (s) => s.connected === true && s.last_connected_at !== before.last_connected_at,
      'reconnected',
    );
    expect(after.subscribed_topics_count).toBe(1);
    expectStatus(await t.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: t.adminToken }), 204);
  });

  it('applies broker changes live and stops a deactivated integration', async () => {
    const { id } = await mqttIntegrationWithIngest(
      t,
      t.adminToken,
      { ...brokerConfig(), password: 'wrong' },
      'live/{device_id}',
      {
        name: 'live change',
      },
    );
    const failing = await statusUntil(t, t.adminToken, id, (s) => s.connection_error !== null, 'refused');
    expect(String(failing.connection_error)).toMatch(/bad username or password/);
    expectStatus(
      await t.api(`/api/v1/integrations/${id}`, {
        method: 'PATCH',
        token: t.adminToken,
        body: { config: { broker: { password: PASSWORD } } },
      }),
      200,
    );
    await statusUntil(t, t.adminToken, id, (s) => s.connected === true, 'connected with the new password');
    expectStatus(
      await t.api(`/api/v1/integrations/${id}`, { method: 'PATCH', token: t.adminToken, body: { status: 'inactive' } }),
      200,
    );
    const st = await t.api(`/api/v1/integrations/${id}/status`, { token: t.adminToken });
    expect(st.status).toBe(409);
    const one = await t.api(`/api/v1/integrations/${id}`, { token: t.adminToken });
    expect(one.body).toMatchObject({ status: 'inactive', health: { state: 'disabled' } });
    expectStatus(await t.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: t.adminToken }), 204);
  });

  it('starts the active integrations with the app, and stops them cleanly with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldline-restart-'));
    try {
      const first = await openApp(dir);
      const created = await first.api('/api/v1/integrations', {
        body: {
          type: 'mqtt',
          name: 'persistent',
          config: { broker: { ...brokerConfig(), client_id: 'restart-client' } },
        },
      });
      await first.api(`/api/v1/integrations/${created.body.id}/subscriptions`, {
        body: { name: 'all', topic: 'restart/{device_id}', actions: [{ type: 'ingest', create_devices: true }] },
      });
      await waitFor(
        () => first.app.integrations.mqtt.status(created.body.id)?.subscribed_topics_count === 1,
        'subscribed',
      );
      const clients = broker.clientCount;
      await first.app.stop();
      // Closed with a DISCONNECT, not dropped: the broker already let the client go.
      await waitFor(() => broker.clientCount === clients - 1, 'the client disconnected');
      const second = await openApp(dir);
      try {
        await waitFor(
          () => second.app.integrations.mqtt.status(created.body.id)?.subscribed_topics_count === 1,
          'running again',
        );
        await publisher.publishAsync('restart/r9', JSON.stringify({ v: 9 }), { qos: 1 });
        await waitFor(
          async () => (await second.api('/api/v1/telemetry/r9/latest')).body?.values?.v?.value === 9,
          'ingested',
        );
      } finally {
        await second.app.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates configurations and subscriptions with the field at fault', async () => {
    const bad = await t.api('/api/v1/integrations', {
      token: t.adminToken,
      body: { type: 'mqtt', name: 'bad', config: { broker: { port: 1883 } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toContainEqual({ field: 'config.broker.host', message: expect.stringMatching(/required/) });
    const { id } = await mqttIntegrationWithIngest(t, t.adminToken, brokerConfig(), 'v/{device_id}', {
      name: 'validation',
    });
    const badSub = await t.api(`/api/v1/integrations/${id}/subscriptions`, {
      token: t.adminToken,
      body: {
        name: 'x',
        topic: 'a/{site}/#',
        actions: [
          { type: 'ingest' },
          { type: 'republish', topic: 'b/{nope}' },
          { type: 'forward', integration_id: id },
        ],
      },
    });
    expect(badSub.status).toBe(400);
    const fields = badSub.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['actions.0.device_id', 'actions.1.topic', 'actions.2.integration_id']),
    );
    const dup = await t.api('/api/v1/integrations', {
      token: t.adminToken,
      body: { type: 'mqtt', name: 'validation', config: { broker: brokerConfig() } },
    });
    expect(dup.status).toBe(409);
    expectStatus(await t.api(`/api/v1/integrations/${id}`, { method: 'DELETE', token: t.adminToken }), 204);
  });
});
