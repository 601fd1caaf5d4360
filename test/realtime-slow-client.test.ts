import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { nextEvent, SocketPool } from './helpers/realtime.js';

// 80 messages × 50 instants × a 4,000-character value: about 16 MB of telemetry_update for each subscribed
// socket, several times what the kernel's socket buffers on loopback can absorb for a client that never reads.
const MESSAGES = 80;
const INSTANTS_PER_MESSAGE = 50;
const BLOB = 'x'.repeat(4000);
const MAX_QUEUED_PACKETS = 64;

describe('a Socket.IO client that stops reading', () => {
  let t: TestApp;
  let deviceToken: string;
  const sockets = new SocketPool();
  let device: MqttClient;

  beforeAll(async () => {
    t = await startTestApp({}, { mqtt: true });
    const r = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'slow-dev', name: 'slow-dev' } });
    deviceToken = r.body.credentials.access_token;
  });
  afterAll(async () => {
    sockets.closeAll();
    await device?.endAsync(true);
    await t.close();
  });

  it('does not stall ingest, and its queue stays bounded while its telemetry is coalesced', async () => {
    const stalled = await sockets.connect(t.url, t.adminToken, { transports: ['websocket'] });
    const healthy = await sockets.connect(t.url, t.adminToken, { transports: ['websocket'] });
    for (const s of [stalled, healthy]) {
      expect(await s.emitWithAck('subscribe_device', { device_id: 'slow-dev' })).toEqual({ ok: true });
    }
    device = await mqtt.connectAsync(t.mqttUrl, { username: deviceToken, reconnectPeriod: 0 });
    // The client stops reading its socket: the kernel buffers fill, then the server's writes back up.
    const ws = (stalled.io.engine.transport as unknown as { ws: { pause(): void; resume(): void } }).ws;
    ws.pause();

    const base = Date.UTC(2026, 0, 1);
    const last = MESSAGES * INSTANTS_PER_MESSAGE - 1;
    const newestTs = new Date(base + last).toISOString();
    const healthyGotNewest = nextEvent(healthy, 'telemetry_update', (u) => u.ts === newestTs);
    let maxQueued = 0;
    let maxBuffered = 0;
    let maxHeldDevices = 0;
    for (let m = 0; m < MESSAGES; m++) {
      const payload = Array.from({ length: INSTANTS_PER_MESSAGE }, (_, i) => {
        const n = m * INSTANTS_PER_MESSAGE + i;
        return { ts: base + n, values: { seq: n, blob: BLOB } };
      });
      // Resolves on PUBACK, which the broker sends only after the points are committed.
      await device.publishAsync('fieldline/devices/slow-dev/telemetry', JSON.stringify(payload), { qos: 1 });
      const stats = t.app.realtime.socketStats(stalled.id ?? '');
      expect(stats).not.toBeNull();
      maxQueued = Math.max(maxQueued, stats?.queuedPackets ?? 0);
      maxBuffered = Math.max(maxBuffered, stats?.bufferedBytes ?? 0);
      maxHeldDevices = Math.max(maxHeldDevices, stats?.heldDevices ?? 0);
    }

    // Every acknowledged point is stored.
    const latest = await t.api('/api/v1/telemetry/slow-dev/latest', { token: t.adminToken });
    expect(latest.body.values.seq.value).toBe(last);
    // The stalled socket really lagged (its updates were held), yet what waits for it stayed small: at most
    // MAX_QUEUED_PACKETS packets, one flush of them in the WebSocket's buffer, and one held update per device.
    expect(maxQueued).toBeLessThanOrEqual(MAX_QUEUED_PACKETS);
    expect(maxBuffered).toBeLessThan(1024 * 1024);
    expect(maxHeldDevices).toBe(1);
    expect(t.app.realtime.socketStats(stalled.id ?? '')?.heldTotal).toBeGreaterThan(0);

    // The healthy client received the newest values; once the stalled one reads again, so does it: the held
    // update carries the newest value of every key.
    expect(await healthyGotNewest).toMatchObject({ values: { seq: last } });
    const caughtUp = nextEvent(stalled, 'telemetry_update', (u) => u.ts === newestTs);
    ws.resume();
    expect(await caughtUp).toEqual({ device_id: 'slow-dev', ts: newestTs, values: { seq: last, blob: BLOB } });
  });
});
