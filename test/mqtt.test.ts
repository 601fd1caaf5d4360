import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';

const exec = promisify(execFile);

describe('embedded MQTT broker', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  const devices: Record<string, string> = {};

  const connect = async (options: mqtt.IClientOptions, url = t.mqttUrl) => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    clients.push(c);
    return c;
  };
  const createDevice = async (id: string, token = t.adminToken) => {
    const r = await t.api('/api/v1/devices', { token, body: { id, name: id } });
    expect(r.status, r.text).toBe(201);
    devices[id] = r.body.credentials.access_token;
    return r.body.credentials.access_token as string;
  };
  const latest = async (id: string) =>
    (await t.api(`/api/v1/telemetry/${id}/latest`, { token: t.adminToken })).body.values;
  const device = async (id: string) => (await t.api(`/api/v1/devices/${id}`, { token: t.adminToken })).body;

  beforeAll(async () => {
    t = await startTestApp({}, { mqtt: true });
    for (const id of ['mqtt-dev-1', 'mqtt-dev-2', 'tb-dev', 'bad-dev', 'will-dev', 'revoked-dev'])
      await createDevice(id);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores a QoS 1 reading before PUBACK: it is queryable the moment the publish resolves', async () => {
    const c = await connect({ username: devices['mqtt-dev-1'] });
    await c.publishAsync(
      'fieldline/devices/mqtt-dev-1/telemetry',
      JSON.stringify({ temperature: 28.5, running: true }),
      { qos: 1 },
    );
    const values = await latest('mqtt-dev-1');
    expect(values.temperature.value).toBe(28.5);
    expect(values.running.value).toBe(true);
  });

  it('accepts every native payload form, with device id as username and the token as password', async () => {
    const c = await connect({ username: 'mqtt-dev-2', password: devices['mqtt-dev-2'] });
    const topic = 'fieldline/devices/mqtt-dev-2/telemetry';
    await c.publishAsync(topic, JSON.stringify({ ts: 1_767_225_600_000, values: { pressure: 1.5 } }), { qos: 1 });
    await c.publishAsync(topic, JSON.stringify([{ ts: 1_767_225_601_000, values: { pressure: 1.6 } }, { flow: 3 }]), {
      qos: 1,
    });
    const values = await latest('mqtt-dev-2');
    expect(values.pressure).toEqual({ ts: '2026-01-01T00:00:01.000Z', value: 1.6 });
    expect(values.flow.value).toBe(3);
    // The protocol is recorded off the PUBACK path, so it may land just after the publish resolved.
    await vi.waitFor(async () => expect((await device('mqtt-dev-2')).protocol).toBe('native'));
  });

  it('refuses bad credentials with CONNACK 4 and none with CONNACK 5', async () => {
    await expect(connect({ username: 'not-a-token' })).rejects.toMatchObject({ code: 4 });
    await expect(connect({ username: 'mqtt-dev-1', password: devices['mqtt-dev-2'] })).rejects.toMatchObject({
      code: 4,
    });
    await expect(connect({})).rejects.toMatchObject({ code: 5 });
  });

  it('speaks the ThingsBoard device API unchanged', async () => {
    const c = await connect({ username: devices['tb-dev'] });
    await c.publishAsync('v1/devices/me/telemetry', JSON.stringify({ temperature: 25 }), { qos: 1 });
    await c.publishAsync(
      'v1/devices/me/telemetry',
      JSON.stringify([{ ts: 1_767_225_600_000, values: { humidity: 40 } }]),
      { qos: 1 },
    );
    await c.publishAsync('v1/devices/me/attributes', JSON.stringify({ firmware: '2.0.1' }), { qos: 1 });
    const values = await latest('tb-dev');
    expect(values.temperature.value).toBe(25);
    expect(values.humidity.value).toBe(40);
    expect((await device('tb-dev')).attributes).toEqual({ firmware: '2.0.1' });
  });

  it("answers a ThingsBoard device's attribute request: client attributes it sent, shared ones from its metadata", async () => {
    await createDevice('tb-attrs');
    const set = await t.api('/api/v1/devices/tb-attrs', {
      token: t.adminToken,
      method: 'PUT',
      body: { metadata: { setpoint: 21.5, mode: 'eco' } },
    });
    expect(set.status, set.text).toBe(200);
    const c = await connect({ username: devices['tb-attrs'] });
    await c.publishAsync('v1/devices/me/attributes', JSON.stringify({ firmware: 'v3.1', serial: 'A7' }), { qos: 1 });
    // Asked before subscribing to the answers: nothing is sent, and the device's last error says why.
    await c.publishAsync('v1/devices/me/attributes/request/1', '{}', { qos: 1 });
    expect((await device('tb-attrs')).last_error.message).toContain('v1/devices/me/attributes/response/+');
    const answers: { topic: string; body: unknown }[] = [];
    c.on('message', (topic, payload) => answers.push({ topic, body: JSON.parse(payload.toString()) }));
    await c.subscribeAsync('v1/devices/me/attributes/response/+', { qos: 1 });
    await c.publishAsync(
      'v1/devices/me/attributes/request/7',
      JSON.stringify({ clientKeys: 'firmware', sharedKeys: 'setpoint,absent' }),
      { qos: 1 },
    );
    await c.publishAsync('v1/devices/me/attributes/request/8', '', { qos: 1 });
    await expect.poll(() => answers.length).toBe(2);
    expect(answers).toEqual([
      {
        topic: 'v1/devices/me/attributes/response/7',
        body: { client: { firmware: 'v3.1' }, shared: { setpoint: 21.5 } },
      },
      {
        topic: 'v1/devices/me/attributes/response/8',
        body: { client: { firmware: 'v3.1', serial: 'A7' }, shared: { setpoint: 21.5, mode: 'eco' } },
      },
    ]);
  });

  it('closes the connections of a device whose token is replaced, that is deactivated or deleted', async () => {
    const closed = (c: MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));
    const old = devices['revoked-dev'] as string;
    const first = await connect({ username: old });
    const rotated = closed(first);
    const r = await t.api('/api/v1/devices/revoked-dev/credentials', { token: t.adminToken, method: 'POST', body: {} });
    expect(r.status, r.text).toBe(200);
    await rotated;
    await expect(connect({ username: old })).rejects.toMatchObject({ code: 4 });
    const fresh = r.body.access_token as string;

    const second = await connect({ username: fresh });
    const deactivated = closed(second);
    const off = await t.api('/api/v1/devices/revoked-dev', {
      token: t.adminToken,
      method: 'PUT',
      body: { active: false },
    });
    expect(off.status, off.text).toBe(200);
    await deactivated;
    await expect(connect({ username: fresh })).rejects.toBeTruthy();
    // A change that leaves the device active keeps its connection.
    await t.api('/api/v1/devices/revoked-dev', { token: t.adminToken, method: 'PUT', body: { active: true } });
    const third = await connect({ username: fresh });
    await t.api('/api/v1/devices/revoked-dev', { token: t.adminToken, method: 'PUT', body: { location: 'Hall 2' } });
    await third.publishAsync('fieldline/devices/revoked-dev/telemetry', JSON.stringify({ level: 1 }), { qos: 1 });
    expect((await latest('revoked-dev')).level.value).toBe(1);

    const deleted = closed(third);
    expect((await t.api('/api/v1/devices/revoked-dev', { token: t.adminToken, method: 'DELETE' })).status).toBe(204);
    await deleted;
  });

  it('closes the connections of an API key when it is revoked, and keeps those of other keys', async () => {
    const closed = (c: MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));
    const create = async (name: string) =>
      (await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name, role: 'viewer' } })).body;
    const revoked = await create('revoked-scada');
    const kept = await create('kept-scada');
    const doomed = await connect({ username: revoked.key });
    const staying = await connect({ username: kept.key });
    await doomed.subscribeAsync('fieldline/devices/+/telemetry', { qos: 1 });
    const seen: string[] = [];
    staying.on('message', (_topic, payload) => seen.push(payload.toString()));
    await staying.subscribeAsync('fieldline/devices/+/telemetry', { qos: 1 });
    const gone = closed(doomed);
    const r = await t.api(`/api/v1/api-keys/${revoked.id}`, { token: t.adminToken, method: 'DELETE' });
    expect(r.status, r.text).toBe(204);
    await gone;
    await expect(connect({ username: revoked.key })).rejects.toMatchObject({ code: 4 });
    const dev = await connect({ username: devices['mqtt-dev-1'] });
    await dev.publishAsync('fieldline/devices/mqtt-dev-1/telemetry', JSON.stringify({ after_revoke: 1 }), { qos: 1 });
    await expect.poll(() => seen).toContain('{"after_revoke":1}');
    expect(staying.connected).toBe(true);
  });

  it('never delivers what a device was refused, not even through its persistent session', async () => {
    await createDevice('session-dev');
    await createDevice('session-victim');
    const options = { username: devices['session-dev'], clientId: 'session-dev-1', clean: false };
    const first = await connect(options);
    // One SUBACK granting the first filter and refusing the others (mqtt.js rejects on any refusal).
    await expect(
      first.subscribeAsync(['fieldline/devices/session-dev/commands/+', 'fieldline/devices/session-victim/#', '#'], {
        qos: 1,
      }),
    ).rejects.toMatchObject({ packet: { granted: [1, 128, 128] } });
    await first.endAsync();
    /** Connects and answers the client with its CONNACK (sessionPresent says whether a session was kept). */
    const connackOf = async (o: mqtt.IClientOptions) => {
      const c = mqtt.connect(t.mqttUrl, { ...o, reconnectPeriod: 0, manualConnect: true });
      clients.push(c);
      const connack = new Promise<mqtt.IConnackPacket>((resolve) => c.once('connect', resolve));
      c.connect();
      return { client: c, connack: await connack };
    };
    // Another device using the same client id gets a session of its own, not this one's.
    const other = await connackOf({ username: devices['session-victim'], clientId: 'session-dev-1', clean: false });
    expect(other.connack.sessionPresent).toBe(false);
    await other.client.endAsync();
    // While it is away, the other device's telemetry is forwarded at QoS 1 (what a stored session would queue).
    const victim = await connect({ username: devices['session-victim'] });
    await victim.publishAsync('fieldline/devices/session-victim/telemetry', JSON.stringify({ secret: 42 }), {
      qos: 1,
    });
    const received: string[] = [];
    // Listening before CONNACK: a session's queue is replayed right after it.
    const again = mqtt.connect(t.mqttUrl, { ...options, reconnectPeriod: 0, manualConnect: true });
    clients.push(again);
    again.on('message', (topic) => received.push(topic));
    const connack = new Promise<mqtt.IConnackPacket>((resolve) => again.once('connect', resolve));
    again.connect();
    expect((await connack).sessionPresent).toBe(true);
    await victim.publishAsync('fieldline/devices/session-victim/telemetry', JSON.stringify({ secret: 43 }), {
      qos: 1,
    });
    // A command to the device on its own topic marks the point by which anything else would have arrived.
    const sent = await t.api('/api/v1/devices/session-dev/commands', { token: t.adminToken, body: { name: 'mark' } });
    expect(sent.status, sent.text).toBe(201);
    await expect.poll(() => received.length).toBeGreaterThan(0);
    expect(received).toEqual([`fieldline/devices/session-dev/commands/${sent.body.id}`]);
  });

  it('keeps a device to its own topics, without dropping its connection', async () => {
    const c = await connect({ username: devices['mqtt-dev-1'] });
    await c.publishAsync('fieldline/devices/mqtt-dev-2/telemetry', JSON.stringify({ hijacked: 1 }), { qos: 1 });
    expect((await latest('mqtt-dev-2')).hijacked).toBeUndefined();
    // SUBACK 0x80 for the refused filter (mqtt.js rejects the subscribe with that packet).
    await expect(c.subscribeAsync('fieldline/devices/mqtt-dev-2/commands/#', { qos: 1 })).rejects.toMatchObject({
      packet: { granted: [128] },
    });
    const own = await c.subscribeAsync('fieldline/devices/mqtt-dev-1/commands/#', { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    // Still connected and still storing its own data.
    await c.publishAsync('fieldline/devices/mqtt-dev-1/telemetry', JSON.stringify({ after_refusal: 1 }), { qos: 1 });
    expect((await latest('mqtt-dev-1')).after_refusal.value).toBe(1);
  });

  it('refuses malformed data with a counter and the device last error, and keeps the connection', async () => {
    const c = await connect({ username: devices['bad-dev'] });
    const before = t.app.ingest.counters.refusedTotal();
    await c.publishAsync('fieldline/devices/bad-dev/telemetry', '{"temperature": 2', { qos: 1 });
    await c.publishAsync('fieldline/devices/bad-dev/telemetry', JSON.stringify({ temperature: 'x'.repeat(5000) }), {
      qos: 1,
    });
    expect(t.app.ingest.counters.refusedTotal()).toBe(before + 2);
    expect(t.app.ingest.counters.refused.get('malformed_json')).toBeGreaterThan(0);
    await c.publishAsync('fieldline/devices/bad-dev/telemetry', JSON.stringify({ temperature: 20 }), { qos: 1 });
    expect((await latest('bad-dev')).temperature.value).toBe(20);
    expect((await device('bad-dev')).last_error.message).toContain('malformed_json');
  });

  it("delivers an organization's device telemetry to its API-key subscribers, and nothing of other organizations", async () => {
    const other = await createOrgWithMembers(t, 'MQTT Other');
    const otherToken = await createDevice('other-org-dev', other.tokens.admin);
    const key = (await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'scada', role: 'viewer' } })).body
      .key;
    const otherKey = (
      await t.api('/api/v1/api-keys', { token: other.tokens.admin, body: { name: 'scada', role: 'viewer' } })
    ).body.key;
    const sub = await connect({ username: key });
    const otherSub = await connect({ username: otherKey });
    const seen: string[] = [];
    const otherSeen: string[] = [];
    sub.on('message', (topic) => seen.push(topic));
    otherSub.on('message', (topic) => otherSeen.push(topic));
    await sub.subscribeAsync('fieldline/devices/+/telemetry', { qos: 1 });
    await otherSub.subscribeAsync('#', { qos: 1 });

    const mine = await connect({ username: devices['tb-dev'] });
    const theirs = await connect({ username: otherToken });
    await mine.publishAsync('v1/devices/me/telemetry', JSON.stringify({ a: 1 }), { qos: 1 });
    await theirs.publishAsync('fieldline/devices/other-org-dev/telemetry', JSON.stringify({ b: 1 }), { qos: 1 });
    await expect.poll(() => seen).toContain('fieldline/devices/tb-dev/telemetry');
    await expect.poll(() => otherSeen).toContain('fieldline/devices/other-org-dev/telemetry');
    expect(seen).not.toContain('fieldline/devices/other-org-dev/telemetry');
    expect(otherSeen.filter((s) => s.includes('tb-dev'))).toEqual([]);
  });

  it('tracks presence: online on connect, offline on a status message, and on the Last Will', async () => {
    const c = await connect({
      username: devices['will-dev'],
      will: {
        topic: 'fieldline/devices/will-dev/status',
        payload: Buffer.from('{"status":"offline"}'),
        qos: 1,
        retain: false,
      },
    });
    const online = await device('will-dev');
    expect(online.status).toBe('online');
    expect(online.last_seen).not.toBeNull();
    await c.publishAsync('fieldline/devices/will-dev/status', JSON.stringify({ status: 'offline' }), { qos: 1 });
    expect((await device('will-dev')).status).toBe('offline');
    await c.publishAsync('fieldline/devices/will-dev/status', 'online', { qos: 1 });
    expect((await device('will-dev')).status).toBe('online');
    // Kill the socket without DISCONNECT: the broker publishes the will and the device goes offline.
    (c as unknown as { stream: { destroy: () => void } }).stream.destroy();
    await expect.poll(async () => (await device('will-dev')).status).toBe('offline');
  });

  it('closes a connection that sends a packet over the size limit, and nobody else notices', async () => {
    await createDevice('big-dev');
    const big = await connect({ username: devices['big-dev'] });
    const closed = new Promise<void>((resolve) => big.once('close', () => resolve()));
    big.publish('fieldline/devices/bad-dev/telemetry', Buffer.alloc(300_000, 0x20), { qos: 0 });
    await closed;
    expect(t.app.ingest.counters.refused.get('too_large')).toBeGreaterThan(0);
    expect((await device('big-dev')).last_error.message).toContain('too_large');
    const other = await connect({ username: devices['mqtt-dev-1'] });
    await other.publishAsync('fieldline/devices/mqtt-dev-1/telemetry', JSON.stringify({ unaffected: 1 }), { qos: 1 });
    expect((await latest('mqtt-dev-1')).unaffected.value).toBe(1);
  });

  it('serves MQTT over WebSocket at /mqtt on the HTTP port', async () => {
    const c = await connect({ username: devices['mqtt-dev-1'] }, `${t.url.replace('http', 'ws')}/mqtt`);
    await c.publishAsync('fieldline/devices/mqtt-dev-1/telemetry', JSON.stringify({ over_ws: 7 }), { qos: 1 });
    expect((await latest('mqtt-dev-1')).over_ws.value).toBe(7);
  });

  it('works with mosquitto_pub and mosquitto_sub from Debian', async () => {
    const port = new URL(t.mqttUrl).port;
    const key = (await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'cli', role: 'viewer' } })).body
      .key;
    const sub = exec('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-u',
      key,
      '-t',
      'fieldline/devices/mqtt-dev-2/telemetry',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    await exec('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-u',
      devices['mqtt-dev-2'] ?? '',
      '-q',
      '1',
      '-t',
      'fieldline/devices/mqtt-dev-2/telemetry',
      '-m',
      '{"from_cli": 42}',
    ]);
    const { stdout } = await sub;
    expect(JSON.parse(stdout)).toEqual({ from_cli: 42 });
    expect((await latest('mqtt-dev-2')).from_cli.value).toBe(42);
    const refused = await exec('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-u',
      'wrong',
      '-t',
      'x',
      '-m',
      '1',
    ]).catch((e: { stderr: string }) => e);
    expect((refused as { stderr: string }).stderr).toMatch(/not authori[sz]ed|bad user name or password/i);
  });
});
