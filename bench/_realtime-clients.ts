/**
 * Client side of bench/realtime.ts, its own process: N Socket.IO connections over raw WebSockets (the
 * Engine.IO v4 / Socket.IO v5 wire protocol by hand: a socket.io-client per connection would make this
 * process, not the server, the bottleneck at 10,000), the first S of them subscribed to one device, and
 * one MQTT device publishing at a steady rate. Measures publish→telemetry_update and alert broadcast
 * latencies; both ends of each measurement read this machine's clock.
 */
import mqtt from 'mqtt';
import WebSocket from 'ws';

export interface ClientsConfig {
  url: string;
  token: string;
  mqttUrl: string;
  deviceId: string;
  deviceToken: string;
  clients: number;
  subscribed: number;
  /** Source address of the connections (a fresh one per run: 10,000 closed ones leave their ports in TIME_WAIT). */
  localAddress: string;
  ratePerS: number;
  durationS: number;
}

export type ClientsRequest =
  | { type: 'start'; config: ClientsConfig }
  | { type: 'telemetry'; phase: string }
  | { type: 'expect-alert'; round: number }
  | { type: 'close' };

export interface Summary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export type ClientsReply =
  | { type: 'armed'; round: number }
  | { type: 'connected'; clients: number; subscribed: number; connectS: number; refused: number }
  | { type: 'alert'; round: number; received: number; latency: Summary }
  | { type: 'telemetry'; phase: string; published: number; expected: number; received: number; latency: Summary };

const now = () => performance.timeOrigin + performance.now();
const send = (m: ClientsReply) => process.send?.(m);

export function summarize(xs: number[]): Summary {
  const s = Float64Array.from(xs).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { samples: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? Number.NaN };
}

type Handler = (event: string, payload: Record<string, unknown>) => void;

interface RawClient {
  ws: WebSocket;
  /** Acknowledgement callbacks by packet id. */
  acks: Map<string, () => void>;
}

/** One Socket.IO client over a raw WebSocket; resolves once the server accepted its CONNECT. */
function openClient(config: ClientsConfig, onEvent: Handler): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${config.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      localAddress: config.localAddress,
      perMessageDeflate: false,
    });
    const client: RawClient = { ws, acks: new Map() };
    ws.on('error', reject);
    ws.on('message', (data) => {
      const s = data.toString();
      if (s === '2') return ws.send('3'); // Engine.IO ping → pong
      if (s[0] === '0') return ws.send(`40${JSON.stringify({ token: config.token })}`); // open → CONNECT
      if (s.startsWith('40')) return resolve(client);
      if (s.startsWith('44')) return reject(new Error(`refused: ${s.slice(2)}`));
      if (s.startsWith('42')) {
        const [event, payload] = JSON.parse(s.slice(2)) as [string, Record<string, unknown>];
        return onEvent(event, payload);
      }
      const ackId = /^43(\d+)/.exec(s)?.[1];
      if (ackId) client.acks.get(ackId)?.();
    });
  });
}

function subscribe(client: RawClient, deviceId: string): Promise<void> {
  return new Promise((resolve) => {
    client.acks.set('1', resolve);
    client.ws.send(`421${JSON.stringify(['subscribe_device', { device_id: deviceId }])}`);
  });
}

let config: ClientsConfig;
const sockets: WebSocket[] = [];
let telemetryLatencies: number[] = [];
/** Sequence numbers restart per phase; the first second of each phase is warm-up. */
let phaseStartSeq = 0;
let seqBase = 0;
let alertRound = -1;
let alertLatencies: number[] = [];
let alertDone: (() => void) | null = null;

const onEvent: Handler = (event, payload) => {
  if (event === 'telemetry_update') {
    const { sent_at, seq } = payload.values as { sent_at?: number; seq?: number };
    // The first second warms up JIT and caches on both ends; it is not what a dashboard sees afterwards.
    if (typeof sent_at === 'number' && (seq ?? 0) >= phaseStartSeq + config.ratePerS) {
      telemetryLatencies.push(now() - sent_at);
    }
  } else if (event === 'alert' && payload.id === `bench-${alertRound}`) {
    alertLatencies.push(now() - (payload.value as number));
    if (alertLatencies.length === config.clients) alertDone?.();
  }
};

async function start(c: ClientsConfig) {
  config = c;
  const started = performance.now();
  let refused = 0;
  let next = 0;
  // A bounded number of handshakes in flight, as a fleet of browsers would arrive.
  const opener = async () => {
    while (next < c.clients) {
      const i = next++;
      try {
        const client = await openClient(c, onEvent);
        sockets.push(client.ws);
        if (i < c.subscribed) await subscribe(client, c.deviceId);
      } catch {
        refused++;
      }
    }
  };
  await Promise.all(Array.from({ length: 64 }, opener));
  send({
    type: 'connected',
    clients: sockets.length,
    subscribed: Math.min(c.subscribed, sockets.length),
    connectS: (performance.now() - started) / 1000,
    refused,
  });
}

async function telemetry(phase: string) {
  telemetryLatencies = [];
  phaseStartSeq = seqBase;
  const device = await mqtt.connectAsync(config.mqttUrl, {
    username: config.deviceToken === 'none' ? undefined : config.deviceToken,
    reconnectPeriod: 0,
  });
  const topic = `fieldline/devices/${config.deviceId}/telemetry`;
  const interval = 1000 / config.ratePerS;
  const total = Math.round(config.ratePerS * config.durationS);
  const t0 = performance.now();
  let published = 0;
  for (let i = 0; i < total; i++) {
    const n = seqBase++;
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // QoS 0: the next publish does not wait for this one's commit, so the rate stays steady.
    device.publish(topic, JSON.stringify({ seq: n, value: 20 + (n % 10), sent_at: now() }), { qos: 0 });
    published++;
  }
  await new Promise((r) => setTimeout(r, 1000));
  await device.endAsync();
  const expected = Math.max(0, published - config.ratePerS) * Math.min(config.subscribed, sockets.length);
  send({
    type: 'telemetry',
    phase,
    published,
    expected,
    received: telemetryLatencies.length,
    latency: summarize(telemetryLatencies),
  });
}

process.on('message', (m: ClientsRequest) => {
  switch (m.type) {
    case 'start':
      void start(m.config);
      break;
    case 'telemetry':
      void telemetry(m.phase);
      break;
    case 'expect-alert': {
      alertRound = m.round;
      alertLatencies = [];
      const round = m.round;
      const finish = () => {
        if (alertRound !== round) return;
        alertRound = -1;
        alertDone = null;
        clearTimeout(timer);
        send({ type: 'alert', round, received: alertLatencies.length, latency: summarize(alertLatencies) });
      };
      alertDone = finish;
      const timer = setTimeout(finish, 15_000);
      send({ type: 'armed', round });
      break;
    }
    case 'close':
      for (const ws of sockets) ws.terminate();
      process.exit(0);
  }
});
