import { rmSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import sparkplug from 'sparkplug-client';
import spb from 'sparkplug-payload';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app.js';
import { rpcRequestId } from '../src/commands/index.js';
import type { CommandUpdatedEvent } from '../src/kernel/events.js';
import { createLogger } from '../src/kernel/index.js';
import { ADMIN_PASSWORD, apiCall, createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';

type Message = { topic: string; payload: string };

const sparkplugCodec = spb.get('spBv1.0') as { encodePayload: (p: unknown) => Uint8Array };

/**
 * A device on the embedded broker. The handlers are attached before CONNECT, so anything written to the
 * connection is seen — `packets` is the order of what arrived (connack, suback, publish, …).
 */
function deviceClient(
  url: string,
  token: string,
  answer?: (m: Message, c: MqttClient) => void,
  options: IClientOptions = {},
) {
  const received: Message[] = [];
  const packets: string[] = [];
  const client = mqtt.connect(url, { username: token, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  client.on('packetreceive', (packet) => packets.push(packet.cmd));
  client.on('message', (topic, payload) => {
    const m = { topic, payload: payload.toString() };
    received.push(m);
    answer?.(m, client);
  });
  const connected = new Promise<MqttClient>((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
  return { client, received, packets, connected };
}

/** Answers every native command with success. */
const answerOk = (m: Message, c: MqttClient) => {
  c.publish(`${m.topic}/response`, JSON.stringify({ status: 'ok' }), { qos: 1 });
};
const idsOf = (received: Message[]) => received.map((m) => (JSON.parse(m.payload) as { id: string }).id);

describe('commands to devices', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  const tokens: Record<string, string> = {};
  const events: CommandUpdatedEvent[] = [];

  const createDevice = async (id: string, token = t.adminToken) => {
    const r = await t.api('/api/v1/devices', { token, body: { id, name: id } });
    expect(r.status, r.text).toBe(201);
    tokens[id] = r.body.credentials.access_token;
  };
  const connectDevice = async (
    id: string,
    answer?: (m: Message, c: MqttClient) => void,
    options: IClientOptions = {},
  ) => {
    const d = deviceClient(t.mqttUrl, tokens[id] ?? '', answer, options);
    clients.push(d.client);
    await d.connected;
    return d;
  };
  const send = (id: string, body: unknown, token = t.adminToken) =>
    t.api(`/api/v1/devices/${id}/commands`, { token, body });
  const command = async (id: string, commandId: string) =>
    (await t.api(`/api/v1/devices/${id}/commands/${commandId}`, { token: t.adminToken })).body;
  const settled = (id: string, commandId: string) =>
    expect.poll(async () => (await command(id, commandId)).status, { timeout: 5000 });

  beforeAll(async () => {
    t = await startTestApp({}, { mqtt: true });
    t.app.bus.on('command.updated', (e) => {
      events.push(e);
    });
    for (const id of [
      'cmd-native',
      'cmd-tb-a',
      'cmd-tb-b',
      'cmd-offline',
      'cmd-silent',
      'cmd-inactive',
      'cmd-expiring',
      'cmd-persistent',
      'cmd-unsubscribed',
      'cmd-telemetry-only',
      'cmd-tb-late',
      'cmd-deactivated',
      'cmd-deleted',
    ])
      await createDevice(id);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends a native command on the device topic and records its answer', async () => {
    const d = await connectDevice('cmd-native', (m, c) => {
      const cmd = JSON.parse(m.payload);
      const answer =
        cmd.name === 'reboot'
          ? { status: 'ok', result: { rebooting_in_s: cmd.params.delay_s } }
          : { status: 'error', error: `unknown command ${cmd.name}` };
      c.publish(`${m.topic}/response`, JSON.stringify(answer), { qos: 1 });
    });
    await d.client.subscribeAsync('fieldline/devices/cmd-native/commands/+', { qos: 1 });

    const created = await send('cmd-native', { name: 'reboot', params: { delay_s: 5 }, timeout_ms: 10_000 });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      device_id: 'cmd-native',
      name: 'reboot',
      params: { delay_s: 5 },
      family: 'native',
      timeout_ms: 10_000,
    });
    expect(['delivered', 'succeeded']).toContain(created.body.status);
    const id: string = created.body.id;
    await settled('cmd-native', id).toBe('succeeded');
    const done = await command('cmd-native', id);
    expect(done.response).toEqual({ rebooting_in_s: 5 });
    expect(done.error).toBeNull();
    expect(done.delivered_at).not.toBeNull();
    expect(done.completed_at).not.toBeNull();
    expect(d.received[0]).toEqual({
      topic: `fieldline/devices/cmd-native/commands/${id}`,
      payload: JSON.stringify({ id, name: 'reboot', params: { delay_s: 5 } }),
    });
    // On the bus for the realtime gateway: created, then (unless the answer overtook it) delivered, then final.
    const statuses = events.filter((e) => e.id === id).map((e) => e.status);
    expect([
      ['pending', 'delivered', 'succeeded'],
      ['pending', 'succeeded'],
    ]).toContainEqual(statuses);

    const failed = await send('cmd-native', { name: 'self_destruct' });
    await settled('cmd-native', failed.body.id).toBe('failed');
    expect((await command('cmd-native', failed.body.id)).error).toBe('unknown command self_destruct');

    const list = await t.api('/api/v1/devices/cmd-native/commands', { token: t.adminToken });
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([failed.body.id, id]);
    const audit = await t.api('/api/v1/audit?action=command.created', { token: t.adminToken });
    expect(audit.body.items.map((a: { resource_id: string }) => a.resource_id)).toContain(id);
  });

  it('sends ThingsBoard RPC to that one device only, and correlates the numeric request id', async () => {
    const a = await connectDevice('cmd-tb-a', (m, c) => {
      const n = m.topic.split('/').pop();
      c.publish(`v1/devices/me/rpc/response/${n}`, JSON.stringify({ valve: 'open' }), { qos: 1 });
    });
    const b = await connectDevice('cmd-tb-b');
    for (const d of [a, b]) {
      await d.client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ pressure: 2 }), { qos: 1 });
      await d.client.subscribeAsync('v1/devices/me/rpc/request/+', { qos: 1 });
    }
    // The device's family is learnt from what it publishes.
    await expect
      .poll(async () => (await t.api('/api/v1/devices/cmd-tb-a', { token: t.adminToken })).body.protocol)
      .toBe('thingsboard');

    const created = await send('cmd-tb-a', { name: 'setValve', params: { open: true } });
    expect(created.status, created.text).toBe(201);
    const id: string = created.body.id;
    await settled('cmd-tb-a', id).toBe('succeeded');
    const done = await command('cmd-tb-a', id);
    expect(done.family).toBe('thingsboard');
    expect(done.response).toEqual({ valve: 'open' });
    expect(a.received).toEqual([
      {
        topic: `v1/devices/me/rpc/request/${rpcRequestId(id)}`,
        payload: JSON.stringify({ method: 'setValve', params: { open: true } }),
      },
    ]);
    // b subscribed to the very same topic filter, in the same organization, and got nothing.
    await b.client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ pressure: 3 }), { qos: 1 });
    expect(b.received).toEqual([]);
  });

  it('writes a Sparkplug device metric with DCMD (Eclipse Tahu edge node)', async () => {
    const key = (await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'cmd edge', role: 'operator' } }))
      .body.key;
    const edge = sparkplug.newClient({
      serverUrl: t.mqttUrl.replace('mqtt://', 'tcp://'),
      username: key,
      password: 'unused',
      groupId: 'CmdPlant',
      edgeNode: 'CmdLine',
      clientId: 'tahu-cmd-line',
      version: 'spBv1.0',
      publishDeath: true,
    });
    const writes: { device: string; metrics: { name: string; value: unknown }[] }[] = [];
    edge.on('dcmd', (device, payload) => {
      // Without the birth datatype an integer goes out as Int64, which Tahu decodes as a Long.
      const plain = (v: unknown) =>
        typeof v === 'object' && v !== null ? (v as { toNumber(): number }).toNumber() : v;
      const metrics = payload.metrics ?? [];
      writes.push({ device, metrics: metrics.map((m) => ({ name: m.name ?? '', value: plain(m.value) })) });
    });
    try {
      await new Promise<void>((resolve) =>
        edge.on('birth', () => {
          edge.publishNodeBirth({ timestamp: Date.now(), metrics: [] });
          edge.publishDeviceBirth('Press', {
            timestamp: Date.now(),
            metrics: [{ name: 'Outputs/Setpoint', value: 10, type: 'Int32' }],
          });
          resolve();
        }),
      );
      const id = 'CmdPlant:CmdLine:Press';
      await expect
        .poll(async () => (await t.api(`/api/v1/devices/${id}`, { token: t.adminToken })).body.status)
        .toBe('online');
      const created = await send(id, { name: 'Outputs/Setpoint', params: { value: 42 } });
      expect(created.status, created.text).toBe(201);
      // Sparkplug B has no command response: published is as far as Fieldline can follow it.
      await settled(id, created.body.id).toBe('succeeded');
      expect((await command(id, created.body.id)).family).toBe('sparkplug');
      await expect
        .poll(() => writes)
        .toEqual([{ device: 'Press', metrics: [{ name: 'Outputs/Setpoint', value: 42 }] }]);

      const bad = await send(id, { name: 'Outputs/Setpoint', params: { value: { nested: true } } });
      await settled(id, bad.body.id).toBe('failed');
      expect((await command(id, bad.body.id)).error).toContain('params.value');
    } finally {
      edge.stop();
    }
  });

  it('keeps a Sparkplug command pending until the edge node subscribes to its DCMD topic', async () => {
    const key = (
      await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'quiet edge', role: 'operator' } })
    ).body.key;
    const edge = await mqtt.connectAsync(t.mqttUrl, { username: key, reconnectPeriod: 0 });
    clients.push(edge);
    const writes: string[] = [];
    edge.on('message', (topic) => writes.push(topic));
    const publish = (topic: string, seq: number, metrics: unknown[]) =>
      edge.publishAsync(topic, Buffer.from(sparkplugCodec.encodePayload({ timestamp: Date.now(), seq, metrics })), {
        qos: 0,
      });
    // Births without the NCMD/DCMD subscriptions a Sparkplug edge node makes first (Sparkplug B 3.0 §5.4).
    await publish('spBv1.0/QuietPlant/NBIRTH/Line', 0, [{ name: 'bdSeq', type: 'UInt64', value: 0 }]);
    await publish('spBv1.0/QuietPlant/DBIRTH/Line/Pump', 1, [{ name: 'Speed', type: 'Int32', value: 1 }]);
    const id = 'QuietPlant:Line:Pump';
    await expect
      .poll(async () => (await t.api(`/api/v1/devices/${id}`, { token: t.adminToken })).body.status)
      .toBe('online');
    const created = await send(id, { name: 'Speed', params: { value: 5 } });
    expect(created.status, created.text).toBe(201);
    // Published to nobody would be "succeeded" for a command no edge node received.
    expect(created.body.status).toBe('pending');

    await edge.subscribeAsync('spBv1.0/QuietPlant/DCMD/Line/#', { qos: 0 });
    // The edge node's next data shows it is there.
    await publish('spBv1.0/QuietPlant/DDATA/Line/Pump', 2, [{ name: 'Speed', type: 'Int32', value: 1 }]);
    await settled(id, created.body.id).toBe('succeeded');
    await expect.poll(() => writes).toEqual(['spBv1.0/QuietPlant/DCMD/Line/Pump']);
  });

  it('keeps a command pending while the device is offline and delivers it when it connects', async () => {
    const created = await send('cmd-offline', { name: 'set_interval', params: { seconds: 30 } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.status).toBe('pending');
    expect(created.body.delivered_at).toBeNull();
    const id: string = created.body.id;
    expect((await command('cmd-offline', id)).status).toBe('pending');

    const d = await connectDevice('cmd-offline', answerOk);
    await d.client.subscribeAsync('fieldline/devices/cmd-offline/commands/+', { qos: 1 });
    await settled('cmd-offline', id).toBe('succeeded');
    expect((await command('cmd-offline', id)).delivered_at).not.toBeNull();
    expect(idsOf(d.received)).toEqual([id]);
  });

  it('delivers a queued command once to a device that comes back with its persistent session', async () => {
    const topic = 'fieldline/devices/cmd-persistent/commands/+';
    const session = { clientId: 'cmd-persistent-p2', clean: false };
    const first = await connectDevice('cmd-persistent', undefined, session);
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.client.endAsync();

    // Sent while the device is away: its session at the broker holds the subscription, Fieldline the command.
    const queued = await send('cmd-persistent', { name: 'offline2' });
    expect(queued.body.status).toBe('pending');
    // Back with the same session and without subscribing again: the session's subscription is enough.
    const back = await connectDevice('cmd-persistent', answerOk, session);
    await settled('cmd-persistent', queued.body.id).toBe('succeeded');
    // Everything written before it is in front of a command sent now: its answer closes the count.
    const probe = await send('cmd-persistent', { name: 'probe' });
    await settled('cmd-persistent', probe.body.id).toBe('succeeded');
    expect(idsOf(back.received)).toEqual([queued.body.id, probe.body.id]);
    await back.client.endAsync();

    // Firmware that subscribes again after every CONNECT (session restored and a new SUBSCRIBE) gets it once too.
    const again = await send('cmd-persistent', { name: 'offline3' });
    expect(again.body.status).toBe('pending');
    const third = await connectDevice('cmd-persistent', answerOk, session);
    await third.client.subscribeAsync(topic, { qos: 1 });
    await settled('cmd-persistent', again.body.id).toBe('succeeded');
    const probe2 = await send('cmd-persistent', { name: 'probe' });
    await settled('cmd-persistent', probe2.body.id).toBe('succeeded');
    expect(idsOf(third.received)).toEqual([again.body.id, probe2.body.id]);
    await third.client.endAsync();
    // The session ends with a clean CONNECT, as a device leaving for good would.
    await (await connectDevice('cmd-persistent', undefined, { ...session, clean: true })).client.endAsync();
  });

  it('sends commands only once the device subscribed to them, after the SUBACK', async () => {
    const queued = await send('cmd-unsubscribed', { name: 'queued' });
    expect(queued.body.status).toBe('pending');
    const d = await connectDevice('cmd-unsubscribed', answerOk);
    // The device's data reaches Fieldline (its PUBACK means committed); still nobody listens for commands.
    await d.client.publishAsync('fieldline/devices/cmd-unsubscribed/telemetry', JSON.stringify({ t: 1 }), { qos: 1 });
    expect((await command('cmd-unsubscribed', queued.body.id)).status).toBe('pending');
    const live = await send('cmd-unsubscribed', { name: 'live' });
    expect(live.status, live.text).toBe(201);
    expect(live.body.status).toBe('pending');
    expect(d.received).toEqual([]);

    await d.client.subscribeAsync('fieldline/devices/cmd-unsubscribed/commands/+', { qos: 1 });
    await settled('cmd-unsubscribed', live.body.id).toBe('succeeded');
    expect((await command('cmd-unsubscribed', queued.body.id)).status).toBe('succeeded');
    // Oldest first, and nothing before the SUBACK.
    expect(idsOf(d.received)).toEqual([queued.body.id, live.body.id]);
    expect(d.packets.filter((p) => p !== 'puback')).toEqual(['connack', 'suback', 'publish', 'publish']);
  });

  it('lets the commands of a device that never subscribes expire instead of timing out', async () => {
    const d = await connectDevice('cmd-telemetry-only');
    await d.client.publishAsync('fieldline/devices/cmd-telemetry-only/telemetry', JSON.stringify({ t: 1 }), {
      qos: 1,
    });
    const created = await send('cmd-telemetry-only', { name: 'ping', timeout_ms: 100, expires_in_s: 1 });
    expect(created.body.status).toBe('pending');
    await settled('cmd-telemetry-only', created.body.id).toBe('expired');
    expect((await command('cmd-telemetry-only', created.body.id)).delivered_at).toBeNull();
    expect(d.received).toEqual([]);
  });

  it('sends ThingsBoard RPC only to a connection subscribed to the RPC request topic', async () => {
    const d = await connectDevice('cmd-tb-late', (m, c) => {
      c.publish(`v1/devices/me/rpc/response/${m.topic.split('/').pop()}`, JSON.stringify({ done: true }), { qos: 1 });
    });
    await d.client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ pressure: 2 }), { qos: 1 });
    await expect
      .poll(async () => (await t.api('/api/v1/devices/cmd-tb-late', { token: t.adminToken })).body.protocol)
      .toBe('thingsboard');
    // A subscription to the native commands topic does not take ThingsBoard RPC.
    await d.client.subscribeAsync('fieldline/devices/cmd-tb-late/commands/+', { qos: 1 });
    const created = await send('cmd-tb-late', { name: 'setValve', params: { open: true } });
    expect(created.body.status).toBe('pending');
    await d.client.subscribeAsync('v1/devices/me/rpc/request/+', { qos: 1 });
    await settled('cmd-tb-late', created.body.id).toBe('succeeded');
    expect(d.received.map((m) => m.topic)).toEqual([`v1/devices/me/rpc/request/${rpcRequestId(created.body.id)}`]);
  });

  it('fails a waiting command when its device is made inactive', async () => {
    const created = await send('cmd-deactivated', { name: 'open_valve' });
    expect(created.body.status).toBe('pending');
    const off = await t.api('/api/v1/devices/cmd-deactivated', {
      method: 'PUT',
      token: t.adminToken,
      body: { active: false },
    });
    expect(off.status, off.text).toBe(200);
    await settled('cmd-deactivated', created.body.id).toBe('failed');
    const failed = await command('cmd-deactivated', created.body.id);
    expect(failed.error).toContain('deactivated');
    expect(failed.delivered_at).toBeNull();
    expect(events.filter((e) => e.id === created.body.id).map((e) => e.status)).toEqual(['pending', 'failed']);

    // Active again, the device gets what is sent from now on, and not the old command.
    await t.api('/api/v1/devices/cmd-deactivated', { method: 'PUT', token: t.adminToken, body: { active: true } });
    const d = await connectDevice('cmd-deactivated', answerOk);
    await d.client.subscribeAsync('fieldline/devices/cmd-deactivated/commands/+', { qos: 1 });
    const next = await send('cmd-deactivated', { name: 'close_valve' });
    await settled('cmd-deactivated', next.body.id).toBe('succeeded');
    expect(idsOf(d.received)).toEqual([next.body.id]);
    expect((await command('cmd-deactivated', created.body.id)).status).toBe('failed');
  });

  it('drops the waiting commands of a deleted device with the device', async () => {
    const created = await send('cmd-deleted', { name: 'open_valve' });
    expect(created.body.status).toBe('pending');
    expect((await t.api('/api/v1/devices/cmd-deleted', { method: 'DELETE', token: t.adminToken })).status).toBe(204);
    expect(
      (await t.api(`/api/v1/devices/cmd-deleted/commands/${created.body.id}`, { token: t.adminToken })).status,
    ).toBe(404);
    // A new device under the same id starts with no commands: the old one is neither listed nor sent.
    await createDevice('cmd-deleted');
    expect((await t.api('/api/v1/devices/cmd-deleted/commands', { token: t.adminToken })).body.items).toEqual([]);
    const d = await connectDevice('cmd-deleted', answerOk);
    await d.client.subscribeAsync('fieldline/devices/cmd-deleted/commands/+', { qos: 1 });
    const next = await send('cmd-deleted', { name: 'close_valve' });
    await settled('cmd-deleted', next.body.id).toBe('succeeded');
    expect(idsOf(d.received)).toEqual([next.body.id]);
  });

  it('times out a delivered command that gets no answer', async () => {
    const d = await connectDevice('cmd-silent');
    await d.client.subscribeAsync('fieldline/devices/cmd-silent/commands/+', { qos: 1 });
    const created = await send('cmd-silent', { name: 'ping', timeout_ms: 300 });
    expect(created.body.status).toBe('delivered');
    await settled('cmd-silent', created.body.id).toBe('timed_out');
    const done = await command('cmd-silent', created.body.id);
    expect(done.error).toContain('no answer within 300 ms');
    expect(d.received).toHaveLength(1);
    // A late answer changes nothing.
    await d.client.publishAsync(`${d.received[0]?.topic}/response`, JSON.stringify({ status: 'ok' }), { qos: 1 });
    expect((await command('cmd-silent', created.body.id)).status).toBe('timed_out');
  });

  it('expires a command whose device never connects before expires_at', async () => {
    const created = await send('cmd-expiring', { name: 'ping', expires_in_s: 1 });
    expect(created.body.status).toBe('pending');
    await settled('cmd-expiring', created.body.id).toBe('expired');
    expect((await command('cmd-expiring', created.body.id)).delivered_at).toBeNull();
  });

  it('refuses commands to an inactive device', async () => {
    await t.api('/api/v1/devices/cmd-inactive', { method: 'PUT', token: t.adminToken, body: { active: false } });
    const r = await send('cmd-inactive', { name: 'ping' });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('FIELDLINE_ERR_CONFLICT');
  });

  it('validates the request', async () => {
    expect((await send('cmd-native', { params: {} })).status).toBe(400);
    expect((await send('cmd-native', { name: 'x', timeout_ms: 5 })).status).toBe(400);
    expect((await send('cmd-native', { name: 'x', extra: 1 })).status).toBe(400);
  });

  it('hides devices and commands of other organizations (404) and lets viewers read but not send (403)', async () => {
    const other = await createOrgWithMembers(t, 'Commands Other');
    const mine = await send('cmd-offline', { name: 'ping' });
    for (const token of [other.tokens.owner, other.tokens.operator]) {
      expect((await send('cmd-offline', { name: 'ping' }, token)).status).toBe(404);
      expect((await t.api(`/api/v1/devices/cmd-offline/commands/${mine.body.id}`, { token })).status).toBe(404);
      expect((await t.api('/api/v1/devices/cmd-offline/commands', { token })).status).toBe(404);
    }

    await createDevice('cmd-other-org', other.tokens.admin);
    const viewer = await send('cmd-other-org', { name: 'ping' }, other.tokens.viewer);
    expect(viewer.status).toBe(403);
    const operator = await send('cmd-other-org', { name: 'ping' }, other.tokens.operator);
    expect(operator.status, operator.text).toBe(201);
    const read = await t.api(`/api/v1/devices/cmd-other-org/commands/${operator.body.id}`, {
      token: other.tokens.viewer,
    });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('pending');
    // The id of another device's command is not found under this device either.
    expect(
      (await t.api(`/api/v1/devices/cmd-other-org/commands/${mine.body.id}`, { token: other.tokens.viewer })).status,
    ).toBe(404);
  });
});

describe('commands across a restart', () => {
  let first: TestApp;
  let second: App | null = null;
  let firstStopped = false;

  beforeAll(async () => {
    first = await startTestApp({}, { mqtt: true });
  });
  afterAll(async () => {
    await second?.stop();
    if (firstStopped) rmSync(first.dataDir, { recursive: true, force: true });
    else await first.close();
  });

  it('recovers pending commands from the table and delivers them after the restart', async () => {
    const created = await first.api('/api/v1/devices', {
      token: first.adminToken,
      body: { id: 'cmd-restart', name: 'r' },
    });
    const token: string = created.body.credentials.access_token;
    const cmd = await first.api('/api/v1/devices/cmd-restart/commands', {
      token: first.adminToken,
      body: { name: 'calibrate' },
    });
    expect(cmd.body.status).toBe('pending');
    await first.app.stop();
    firstStopped = true;

    second = await createApp(first.app.config, { logger: createLogger('silent') });
    const { httpUrl } = await second.start();
    const login = await apiCall(httpUrl, '/api/v1/auth/login', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
    });
    const admin: string = login.body.access_token;
    const d = deviceClient(`mqtt://127.0.0.1:${second.broker?.port}`, token, (m, c) => {
      c.publish(`${m.topic}/response`, JSON.stringify({ status: 'ok', result: 'calibrated' }), { qos: 1 });
    });
    await d.connected;
    try {
      await d.client.subscribeAsync('fieldline/devices/cmd-restart/commands/+', { qos: 1 });
      await expect
        .poll(
          async () =>
            (await apiCall(httpUrl, `/api/v1/devices/cmd-restart/commands/${cmd.body.id}`, { token: admin })).body,
          { timeout: 5000 },
        )
        .toMatchObject({ status: 'succeeded', response: 'calibrated' });
    } finally {
      await d.client.endAsync(true);
    }
  });
});
