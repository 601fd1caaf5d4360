import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../src/auth/index.js';
import { Keyring, resolveSecretKey } from '../src/secrets/index.js';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';
import {
  type ClientSocket,
  connected,
  disconnection,
  nextEvent,
  record,
  refusal,
  SocketPool,
  sampleAlert,
} from './helpers/realtime.js';

describe('Socket.IO gateway', () => {
  let t: TestApp;
  let other: Awaited<ReturnType<typeof createOrgWithMembers>>;
  const sockets = new SocketPool();
  const clients: MqttClient[] = [];
  const deviceTokens: Record<string, string> = {};

  const createDevice = async (id: string, token = t.adminToken) => {
    const r = await t.api('/api/v1/devices', { token, body: { id, name: id } });
    expect(r.status, r.text).toBe(201);
    deviceTokens[id] = r.body.credentials.access_token;
  };
  const device = async (id: string, url = t.mqttUrl) => {
    const c = await mqtt.connectAsync(url, { username: deviceTokens[id], reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };
  const publish = async (id: string, payload: unknown) =>
    (await device(id)).publishAsync(`fieldline/devices/${id}/telemetry`, JSON.stringify(payload), { qos: 1 });
  /** Token claims of a logged-in user, to sign tokens with other lifetimes under the app's own key. */
  const tokenServiceAt = (now: () => number) =>
    new TokenService(new Keyring(resolveSecretKey(null, t.dataDir).secret).derive('jwt'), 60, now);
  const claimsOf = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      org: string;
      pwd: number;
    };
  const subscribe = async (socket: ClientSocket, deviceId: string) =>
    socket.emitWithAck('subscribe_device', { device_id: deviceId });

  beforeAll(async () => {
    t = await startTestApp({ FIELDLINE_REALTIME_AUTH_TIMEOUT_MS: '400' }, { mqtt: true });
    other = await createOrgWithMembers(t, 'Realtime Other');
    for (const id of ['rt-boiler', 'rt-pump', 'rt-fan', 'rt-ws']) await createDevice(id);
    await createDevice('rt-foreign', other.tokens.admin);
  });
  afterEach(async () => {
    sockets.closeAll();
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await t.close();
  });

  it('delivers an MQTT publish as telemetry_update to a subscribed socket, one event per instant', async () => {
    const socket = await sockets.connect(t.url, t.adminToken);
    expect(await subscribe(socket, 'rt-boiler')).toEqual({ ok: true });

    const update = nextEvent(socket, 'telemetry_update');
    await publish('rt-boiler', { ts: Date.UTC(2026, 0, 1), values: { temperature: 21.5, running: true } });
    expect(await update).toEqual({
      device_id: 'rt-boiler',
      ts: '2026-01-01T00:00:00.000Z',
      values: { temperature: 21.5, running: true },
    });

    // A message carrying two instants gives two updates, in the device's order.
    const seen: unknown[] = [];
    socket.on('telemetry_update', (u) => seen.push(u));
    await publish('rt-boiler', [
      { ts: Date.UTC(2026, 0, 1, 0, 1), values: { temperature: 22 } },
      { ts: Date.UTC(2026, 0, 1, 0, 2), values: { temperature: 23, pressure: 1.2 } },
    ]);
    await expect.poll(() => seen.length).toBe(2);
    expect(seen).toEqual([
      { device_id: 'rt-boiler', ts: '2026-01-01T00:01:00.000Z', values: { temperature: 22 } },
      { device_id: 'rt-boiler', ts: '2026-01-01T00:02:00.000Z', values: { temperature: 23, pressure: 1.2 } },
    ]);
  });

  it('sends an alert to every socket of the organization and to none of another organization', async () => {
    const rule = async (token: string, deviceId: string) => {
      const r = await t.api('/api/v1/rules', {
        token,
        body: {
          name: `${deviceId} too hot`,
          device_id: deviceId,
          rule_type: 'threshold',
          conditions: { key: 'temperature', operator: '>', value: 90 },
          severity: 'critical',
        },
      });
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    };
    const ruleId = await rule(t.adminToken, 'rt-boiler');
    await rule(other.tokens.admin, 'rt-foreign');
    const viewerKey = (
      await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'control-room', role: 'viewer' } })
    ).body.key as string;
    // Alerts need no subscription: every socket of the organization gets them.
    const admin = await sockets.connect(t.url, t.adminToken);
    const screen = await sockets.connect(t.url, viewerKey);
    const foreign = await sockets.connect(t.url, other.tokens.viewer);
    const foreignSeen = record(foreign);

    const atAdmin = nextEvent(admin, 'alert');
    const atScreen = nextEvent(screen, 'alert');
    await publish('rt-boiler', { temperature: 91.5 });
    const [raised, alsoRaised] = await Promise.all([atAdmin, atScreen]);
    expect(alsoRaised).toEqual(raised);
    // The same alert as the REST API shows it, times in ISO 8601.
    const rows = (await t.api(`/api/v1/alerts?rule_id=${ruleId}`, { token: t.adminToken })).body.items;
    expect(rows).toHaveLength(1);
    expect(raised).toMatchObject({
      id: rows[0].id,
      rule_id: ruleId,
      rule_name: 'rt-boiler too hot',
      device_id: 'rt-boiler',
      severity: 'critical',
      status: 'active',
      message: rows[0].message,
      value: 91.5,
      threshold: 90,
      created_at: rows[0].created_at,
      acknowledged_at: null,
      acknowledged_by: null,
      resolved_at: null,
    });

    const acknowledged = nextEvent(screen, 'alert_update');
    const ack = await t.api(`/api/v1/alerts/${raised.id}/acknowledge`, { token: t.adminToken, body: {} });
    expect(ack.status, ack.text).toBe(200);
    expect(await acknowledged).toMatchObject({ id: raised.id, status: 'acknowledged', acknowledged_by: 'admin' });
    expect(Number.isNaN(Date.parse((await acknowledged).acknowledged_at ?? ''))).toBe(false);

    // Events reach a socket in the order they were emitted: once the other organization's own alert has
    // arrived there, ours would have arrived before it had it been sent there at all.
    const theirs = nextEvent(foreign, 'alert');
    await publish('rt-foreign', { temperature: 95 });
    expect((await theirs).device_id).toBe('rt-foreign');
    expect(foreignSeen.filter((e) => e.event.startsWith('alert')).map((e) => e.event)).toEqual(['alert']);
  });

  it('gives an alert raised on the bus to the organization with ISO times (the rules engine’s contract)', async () => {
    const socket = await sockets.connect(t.url, t.adminToken);
    const alert = sampleAlert({ device_id: 'rt-boiler' });
    const arrived = nextEvent(socket, 'alert', (a) => a.id === alert.id);
    t.app.bus.emit('alert.raised', { organization_id: claimsOf(t.adminToken).org, alert });
    expect(await arrived).toEqual({
      ...alert,
      created_at: '2026-01-01T12:00:00.000Z',
      acknowledged_at: null,
      resolved_at: null,
    });
  });

  it('refuses a subscription to another organization’s device, and delivers none of its telemetry', async () => {
    const socket = await sockets.connect(t.url, t.adminToken);
    const seen = record(socket);
    expect(await subscribe(socket, 'rt-foreign')).toEqual({
      ok: false,
      code: 'FIELDLINE_ERR_NOT_FOUND',
      error: "Device 'rt-foreign' not found in your organization",
    });
    // Answered exactly like a device that does not exist at all.
    expect(await subscribe(socket, 'rt-nonexistent')).toMatchObject({ ok: false, code: 'FIELDLINE_ERR_NOT_FOUND' });
    expect(await subscribe(socket, { device_id: 42 } as never)).toMatchObject({
      ok: false,
      code: 'FIELDLINE_ERR_VALIDATION',
    });

    expect(await subscribe(socket, 'rt-pump')).toEqual({ ok: true });
    await publish('rt-foreign', { secret: 1 });
    const marker = nextEvent(socket, 'telemetry_update');
    await publish('rt-pump', { marker: 1 });
    expect((await marker).device_id).toBe('rt-pump');
    expect(seen.filter((e) => e.event === 'telemetry_update').map((e) => e.payload)).toEqual([
      expect.objectContaining({ device_id: 'rt-pump' }),
    ]);
  });

  it('refuses a bad token and an expired token with a clear connect_error', async () => {
    const bad = await refusal(sockets.open(t.url, { auth: { token: 'not-a-token' } }));
    expect(bad).toEqual({ message: 'The access token is invalid', code: 'FIELDLINE_ERR_UNAUTHENTICATED' });

    const badKey = await refusal(sockets.open(t.url, { auth: { token: `fl_${'x'.repeat(40)}` } }));
    expect(badKey.code).toBe('FIELDLINE_ERR_UNAUTHENTICATED');

    const { sub, org, pwd } = claimsOf(t.adminToken);
    const expired = tokenServiceAt(() => Date.now() - 3_600_000).issue(sub, org, pwd).token;
    expect(await refusal(sockets.open(t.url, { auth: { token: expired } }))).toEqual({
      message: 'The access token has expired; log in again',
      code: 'FIELDLINE_ERR_TOKEN_EXPIRED',
    });
  });

  it('gives a socket without a token nothing, and disconnects it when it does not authenticate in time', async () => {
    const socket = sockets.open(t.url);
    await connected(socket);
    const seen = record(socket);
    const gone = disconnection(socket);
    expect(await subscribe(socket, 'rt-boiler')).toMatchObject({ ok: false, code: 'FIELDLINE_ERR_UNAUTHENTICATED' });
    t.app.bus.emit('alert.raised', { organization_id: claimsOf(t.adminToken).org, alert: sampleAlert() });
    expect(await gone).toBe('io server disconnect');
    expect(seen).toEqual([
      {
        event: 'unauthorized',
        payload: {
          code: 'FIELDLINE_ERR_UNAUTHENTICATED',
          message: 'No token within 400 ms: pass auth: {token} when connecting, or send an authenticate event {token}',
        },
      },
    ]);
  });

  it('accepts an authenticate event after connecting, with requests sent right behind it', async () => {
    const socket = sockets.open(t.url);
    await connected(socket);
    // The legacy pattern: emit authenticate and subscribe back to back, without waiting.
    const auth = socket.emitWithAck('authenticate', { token: t.adminToken });
    const sub = subscribe(socket, 'rt-fan');
    expect(await auth).toEqual({ ok: true, organization_id: claimsOf(t.adminToken).org, role: 'owner' });
    expect(await sub).toEqual({ ok: true });
    const update = nextEvent(socket, 'telemetry_update');
    await publish('rt-fan', { rpm: 1200 });
    expect((await update).values).toEqual({ rpm: 1200 });

    // A bad token in authenticate is answered, then the socket is disconnected.
    const late = sockets.open(t.url);
    await connected(late);
    const gone = disconnection(late);
    expect(await late.emitWithAck('authenticate', { token: 'garbage' })).toEqual({
      ok: false,
      code: 'FIELDLINE_ERR_UNAUTHENTICATED',
      error: 'The access token is invalid',
    });
    expect(await gone).toBe('io server disconnect');
  });

  it('disconnects a socket when its token expires, telling it why', async () => {
    const { sub, org, pwd } = claimsOf(t.adminToken);
    // A 60 s token issued 59 s ago.
    const almostExpired = tokenServiceAt(() => Date.now() - 59_000).issue(sub, org, pwd).token;
    const socket = await sockets.connect(t.url, almostExpired);
    const why = nextEvent(socket, 'unauthorized');
    const gone = disconnection(socket);
    expect(await why).toMatchObject({ code: 'FIELDLINE_ERR_TOKEN_EXPIRED' });
    expect(await gone).toBe('io server disconnect');
  });

  it('disconnects the sockets of a revoked API key when credentials are checked again', async () => {
    const created = (
      await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'wall-screen', role: 'viewer' } })
    ).body as { id: string; key: string };
    const socket = await sockets.connect(t.url, created.key);
    const still = await sockets.connect(t.url, t.adminToken);
    await t.app.realtime.revalidateAll();
    expect(socket.connected).toBe(true);

    const revoked = await t.api(`/api/v1/api-keys/${created.id}`, { method: 'DELETE', token: t.adminToken });
    expect(revoked.status).toBe(204);
    const why = nextEvent(socket, 'unauthorized');
    const gone = disconnection(socket);
    // Each socket is checked every minute; the test does not wait for the timer.
    await t.app.realtime.revalidateAll();
    expect(await why).toEqual({ code: 'FIELDLINE_ERR_UNAUTHENTICATED', message: 'The API key is unknown or revoked' });
    expect(await gone).toBe('io server disconnect');
    expect(still.connected).toBe(true);
  });

  it('stops telemetry_update after unsubscribe_device', async () => {
    const socket = await sockets.connect(t.url, t.adminToken);
    expect(await subscribe(socket, 'rt-boiler')).toEqual({ ok: true });
    expect(await subscribe(socket, 'rt-pump')).toEqual({ ok: true });
    const first = nextEvent(socket, 'telemetry_update');
    await publish('rt-boiler', { level: 1 });
    expect((await first).values).toEqual({ level: 1 });

    expect(await socket.emitWithAck('unsubscribe_device', { device_id: 'rt-boiler' })).toEqual({ ok: true });
    const seen = record(socket);
    await publish('rt-boiler', { level: 2 });
    const marker = nextEvent(socket, 'telemetry_update');
    await publish('rt-pump', { marker: 2 });
    await marker;
    const updates = seen.filter((e) => e.event === 'telemetry_update');
    expect(updates.map((e) => (e.payload as { device_id: string }).device_id)).toEqual(['rt-pump']);
  });

  it('gives operators the whole organization’s telemetry, and refuses it to viewers', async () => {
    const viewer = await sockets.connect(t.url, other.tokens.viewer);
    expect(await viewer.emitWithAck('subscribe_org_telemetry')).toEqual({
      ok: false,
      code: 'FIELDLINE_ERR_FORBIDDEN',
      error: 'Telemetry of every device needs the operator role or higher',
    });
    const operator = await sockets.connect(t.url, other.tokens.operator);
    expect(await operator.emitWithAck('subscribe_org_telemetry')).toEqual({ ok: true });
    const update = nextEvent(operator, 'telemetry_update');
    await publish('rt-foreign', { flow: 3.5 });
    expect(await update).toMatchObject({ device_id: 'rt-foreign', values: { flow: 3.5 } });
  });

  it('sends device_status and device_update to the organization', async () => {
    const socket = await sockets.connect(t.url, t.adminToken);
    const created = nextEvent(socket, 'device_update');
    await createDevice('rt-new');
    expect(await created).toEqual({ device_id: 'rt-new', action: 'created' });
    const online = nextEvent(socket, 'device_status', (s) => s.device_id === 'rt-new');
    await device('rt-new');
    expect(await online).toMatchObject({ device_id: 'rt-new', status: 'online', reason: 'connect' });
    expect(Number.isNaN(Date.parse((await online).ts))).toBe(false);
  });

  it('limits the devices one socket may subscribe to', async () => {
    const orgId = claimsOf(t.adminToken).org;
    for (let i = 0; i < 501; i++) await t.app.devices.create(orgId, { id: `rt-many-${i}`, name: `Many ${i}` });
    const socket = await sockets.connect(t.url, t.adminToken);
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => subscribe(socket, `rt-many-${i}`)));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(await subscribe(socket, 'rt-many-500')).toMatchObject({ ok: false, code: 'FIELDLINE_ERR_UNPROCESSABLE' });
    // Subscribing again to a device already watched is not a new subscription.
    expect(await subscribe(socket, 'rt-many-0')).toEqual({ ok: true });
    expect(await socket.emitWithAck('unsubscribe_device', { device_id: 'rt-many-0' })).toEqual({ ok: true });
    expect(await subscribe(socket, 'rt-many-500')).toEqual({ ok: true });
  });

  it('serves MQTT over WebSocket at /mqtt alongside Socket.IO on the same port', async () => {
    const socket = await sockets.connect(t.url, t.adminToken, { transports: ['websocket'] });
    expect(await subscribe(socket, 'rt-ws')).toEqual({ ok: true });
    const update = nextEvent(socket, 'telemetry_update');
    const overWs = await device('rt-ws', `${t.url.replace('http', 'ws')}/mqtt`);
    await overWs.publishAsync('fieldline/devices/rt-ws/telemetry', JSON.stringify({ over_ws: 7 }), { qos: 1 });
    expect((await update).values).toEqual({ over_ws: 7 });
    expect(socket.connected).toBe(true);
  });

  it('answers long-polling from the same origin only, unless FIELDLINE_CORS_ORIGINS allows others', async () => {
    const handshake = (base: string) =>
      fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://dashboard.example' } });
    const closed = await handshake(t.url);
    expect(closed.headers.get('access-control-allow-origin')).toBeNull();
    await closed.text();

    const open = await startTestApp({ FIELDLINE_CORS_ORIGINS: 'https://dashboard.example' });
    try {
      const r = await handshake(open.url);
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('https://dashboard.example');
      await r.text();
    } finally {
      await open.close();
    }
  });
});
