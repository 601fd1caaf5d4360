/**
 * Server side of bench/realtime.ts, one process per server so its memory is its own. `fieldline`: the whole
 * app (SQLite, embedded broker, Socket.IO gateway); `bare`: the reference, a bare socket.io server that
 * forwards each MQTT publish of a bare Aedes broker to the device's room, with no authentication, no storage
 * and no coalescing. Driven over IPC by the parent: `alert` emits an organization-wide alert stamped with
 * the send time, `mem` answers the memory after a full GC.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { Aedes } from 'aedes';
import { Server } from 'socket.io';
import { startTestApp } from '../test/helpers/app.js';

export type ServerRequest = { type: 'alert'; round: number } | { type: 'mem' } | { type: 'stop' };
export type ServerReply =
  | { type: 'ready'; url: string; token: string; mqttUrl: string; deviceId: string; deviceToken: string }
  | { type: 'mem'; rss: number; heapUsed: number; external: number }
  | { type: 'alerted'; round: number; emitMs: number };

const kind = process.argv[2];
const now = () => performance.timeOrigin + performance.now();
const send = (m: ServerReply) => process.send?.(m);
const gc = (globalThis as { gc?: () => void }).gc;

let emitAlert: (round: number) => void;
let stop: () => Promise<void>;

if (kind === 'fieldline') {
  const t = await startTestApp({ FIELDLINE_LOG_LEVEL: 'warn' }, { mqtt: true });
  const device = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'bench-rt', name: 'Bench' } });
  const org = (JSON.parse(Buffer.from(t.adminToken.split('.')[1] ?? '', 'base64url').toString()) as { org: string })
    .org;
  emitAlert = (round) =>
    // The alert as the rules engine hands it to the bus; `value` carries the send time for the clients.
    t.app.bus.emit('alert.raised', {
      organization_id: org,
      alert: {
        id: `bench-${round}`,
        rule_id: null,
        rule_name: 'bench',
        device_id: 'bench-rt',
        severity: 'critical',
        status: 'active',
        message: `round ${round}`,
        value: now(),
        threshold: null,
        created_at: Date.now(),
        acknowledged_at: null,
        acknowledged_by: null,
        resolved_at: null,
      },
    });
  stop = () => t.close();
  send({
    type: 'ready',
    url: t.url,
    token: t.adminToken,
    mqttUrl: t.mqttUrl,
    deviceId: 'bench-rt',
    deviceToken: device.body.credentials.access_token,
  });
} else if (kind === 'bare') {
  const http = createHttpServer();
  const io = new Server(http, { serveClient: false });
  io.on('connection', (socket) => {
    void socket.join('org');
    socket.on('subscribe_device', (req: { device_id: string }, ack: (r: unknown) => void) => {
      void socket.join(`device:${req.device_id}`);
      ack({ ok: true });
    });
  });
  const aedes = await Aedes.createBroker();
  aedes.on('publish', (packet, client) => {
    const m = client ? /^fieldline\/devices\/([^/]+)\/telemetry$/.exec(packet.topic) : null;
    if (!m) return;
    const values = JSON.parse(packet.payload.toString()) as Record<string, unknown>;
    io.to(`device:${m[1]}`).emit('telemetry_update', { device_id: m[1], ts: new Date().toISOString(), values });
  });
  const mqtt = createTcpServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => mqtt.listen(0, '127.0.0.1', resolve));
  const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
  emitAlert = (round) =>
    io.to('org').emit('alert', {
      id: `bench-${round}`,
      message: `round ${round}`,
      value: now(),
      created_at: new Date().toISOString(),
    });
  stop = async () => {
    io.local.disconnectSockets(true);
    await new Promise((resolve) => io.close(resolve));
    mqtt.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  };
  send({
    type: 'ready',
    url: `http://127.0.0.1:${port(http)}`,
    token: 'none',
    mqttUrl: `mqtt://127.0.0.1:${port(mqtt)}`,
    deviceId: 'bench-rt',
    deviceToken: 'none',
  });
} else {
  throw new Error('usage: _realtime-server.ts fieldline|bare');
}

process.on('message', (m: ServerRequest) => {
  switch (m.type) {
    case 'alert': {
      // The broadcast writes to every socket synchronously: this is the server's own share of the latency.
      const t0 = performance.now();
      emitAlert(m.round);
      send({ type: 'alerted', round: m.round, emitMs: performance.now() - t0 });
      break;
    }
    case 'mem': {
      gc?.();
      gc?.();
      const u = process.memoryUsage();
      send({ type: 'mem', rss: u.rss, heapUsed: u.heapUsed, external: u.external });
      break;
    }
    case 'stop':
      void stop().then(() => process.exit(0));
      break;
  }
});
