/**
 * `npm run bench -- realtime`: N Socket.IO clients (100 / 1,000 / 5,000 / 10,000 by default) connect from a separate
 * process to Fieldline, 100 of them subscribed to one device that publishes telemetry at a steady rate over
 * MQTT. Prints, per N: publish→telemetry_update latency p50/p99 for the subscribed clients, the latency of an
 * organization-wide `alert` to all N (p50/p99/max over every client of every round, emitted while the
 * telemetry flows), memory per connection, and the same figures over a bare socket.io server (a bare Aedes
 * forwarding each publish to the room, no authentication, no storage) measured in the same run.
 *
 * Env: CLIENTS=100,1000,5000,10000  SUBSCRIBED=100  RATE=50 (messages/s)  DURATION_S=10  ALERTS=5.
 * Needs `ulimit -n` above the largest N (each process holds one descriptor per connection).
 * Targets: 10,000 clients on one node; alert to all p99 < 250 ms; publish→telemetry_update p99 < 25 ms (100 clients).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientsConfig, ClientsReply, ClientsRequest, Summary } from './_realtime-clients.js';
import type { ServerReply, ServerRequest } from './_realtime-server.js';

const CLIENTS = (process.env.CLIENTS ?? '100,1000,5000,10000').split(',').map(Number);
const SUBSCRIBED = Number(process.env.SUBSCRIBED ?? 100);
const RATE = Number(process.env.RATE ?? 50);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const ALERTS = Number(process.env.ALERTS ?? 5);
const here = fileURLToPath(new URL('.', import.meta.url));

const openFilesLimit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
const sizes = CLIENTS.filter((n) => {
  if (n + 256 <= openFilesLimit) return true;
  process.stderr.write(`skipping ${n} clients: ulimit -n is ${openFilesLimit}; raise it above ${n + 256}\n`);
  return false;
});

function child(file: string, args: string[]): ChildProcess {
  return fork(join(here, file), args, {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The next IPC message of a child that matches, registered before the request that causes it. */
function reply<T>(proc: ChildProcess, match: (m: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (!match(m)) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => reject(new Error(`${proc.spawnargs.join(' ')} exited (${code})`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

async function startServer(kind: 'fieldline' | 'bare') {
  const proc = child('_realtime-server.ts', [kind]);
  const ready = await reply<ServerReply>(proc, (m) => m.type === 'ready');
  if (ready.type !== 'ready') throw new Error('unreachable');
  const ask = <T extends ServerReply['type']>(request: ServerRequest, type: T) => {
    const answer = reply<ServerReply>(proc, (m) => m.type === type);
    proc.send(request);
    return answer as Promise<Extract<ServerReply, { type: T }>>;
  };
  return { proc, ready, ask };
}
type BenchServer = Awaited<ReturnType<typeof startServer>>;

const ms = (x: number) => Math.round(x * 100) / 100;
const figures = (s: Summary) => ({ p50_ms: ms(s.p50), p99_ms: ms(s.p99), max_ms: ms(s.max) });

let run = 0;
async function measure(server: BenchServer, clients: number) {
  run++;
  const before = await server.ask({ type: 'mem' }, 'mem');
  const proc = child('_realtime-clients.ts', []);
  const tell = (m: ClientsRequest) => proc.send(m);
  const config: ClientsConfig = {
    url: server.ready.url,
    token: server.ready.token,
    mqttUrl: server.ready.mqttUrl,
    deviceId: server.ready.deviceId,
    deviceToken: server.ready.deviceToken,
    clients,
    subscribed: SUBSCRIBED,
    localAddress: `127.0.${(run % 250) + 2}.${(process.pid % 250) + 1}`,
    ratePerS: RATE,
    durationS: DURATION_S,
  };
  const connected = reply<ClientsReply>(proc, (m) => m.type === 'connected');
  tell({ type: 'start', config });
  const conn = (await connected) as Extract<ClientsReply, { type: 'connected' }>;
  const after = await server.ask({ type: 'mem' }, 'mem');

  // Phase 1: steady telemetry alone. Phase 2: the same telemetry while organization-wide alerts go out.
  type Telemetry = Extract<ClientsReply, { type: 'telemetry' }>;
  const phase = (name: string) => {
    const done = reply<ClientsReply>(proc, (m) => m.type === 'telemetry' && m.phase === name);
    tell({ type: 'telemetry', phase: name });
    return done as Promise<Telemetry>;
  };
  const tele = await phase('steady');
  const teleDuringAlerts = phase('alerts');
  await new Promise((r) => setTimeout(r, 1000));
  const alertLatencies: Summary[] = [];
  let alertReceived = 0;
  const emitMs: number[] = [];
  for (let round = 0; round < ALERTS; round++) {
    const armed = reply<ClientsReply>(proc, (m) => m.type === 'armed' && m.round === round);
    tell({ type: 'expect-alert', round });
    await armed;
    const done = reply<ClientsReply>(proc, (m) => m.type === 'alert' && m.round === round);
    const alerted = server.ask({ type: 'alert', round }, 'alerted');
    const result = (await done) as Extract<ClientsReply, { type: 'alert' }>;
    emitMs.push((await alerted).emitMs);
    alertLatencies.push(result.latency);
    alertReceived += result.received;
    await new Promise((r) => setTimeout(r, Math.max(200, (DURATION_S * 1000 - 2000) / ALERTS)));
  }
  const teleAlerts = await teleDuringAlerts;
  const exited = new Promise((r) => proc.once('exit', r));
  tell({ type: 'close' });
  await exited;

  const n = Math.max(1, conn.clients);
  // Alert latency: the worst round (p50, p99 and max over the N clients of that round).
  const alertP = (k: 'p50' | 'p99' | 'max') => Math.max(...alertLatencies.map((s) => s[k]));
  return {
    connected: conn.clients,
    refused: conn.refused,
    connect_s: ms(conn.connectS),
    rss_per_connection_kb: ms((after.rss - before.rss) / n / 1024),
    heap_per_connection_kb: ms((after.heapUsed - before.heapUsed) / n / 1024),
    telemetry: {
      subscribed: conn.subscribed,
      published: tele.published,
      delivered: tele.received,
      expected: tele.expected,
      ...figures(tele.latency),
      during_alerts_p50_ms: ms(teleAlerts.latency.p50),
      during_alerts_p99_ms: ms(teleAlerts.latency.p99),
    },
    alert: {
      rounds: ALERTS,
      delivered: alertReceived,
      expected: ALERTS * conn.clients,
      worst_round_p50_ms: ms(alertP('p50')),
      worst_round_p99_ms: ms(alertP('p99')),
      max_ms: ms(alertP('max')),
      server_emit_max_ms: ms(Math.max(...emitMs)),
    },
  };
}

const fieldline = await startServer('fieldline');
const bare = await startServer('bare');
const runs = [];
for (const clients of sizes) {
  const fl = await measure(fieldline, clients);
  process.stderr.write(`fieldline ${clients}: ${JSON.stringify(fl)}\n`);
  const ref = await measure(bare, clients);
  process.stderr.write(`bare      ${clients}: ${JSON.stringify(ref)}\n`);
  runs.push({
    clients,
    fieldline: fl,
    reference_bare_socketio: ref,
    ratio_alert_p99: ms(fl.alert.worst_round_p99_ms / Math.max(0.01, ref.alert.worst_round_p99_ms)),
    ratio_telemetry_p99: ms(fl.telemetry.p99_ms / Math.max(0.01, ref.telemetry.p99_ms)),
  });
}
for (const s of [fieldline, bare]) {
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.send({ type: 'stop' } satisfies ServerRequest);
  await exited;
}

console.log(
  JSON.stringify({
    bench: 'realtime',
    subscribed: SUBSCRIBED,
    telemetry_rate_per_s: RATE,
    duration_s: DURATION_S,
    open_files_limit: openFilesLimit,
    runs,
    targets: { clients: 10_000, alert_p99_ms: 250, telemetry_p99_ms_with_100_clients: 25 },
  }),
);
process.exit(0);
