/**
 * `npm run bench -- rules`: the ingest benchmark's load (DEVICES MQTT connections, each keeping WINDOW QoS 1
 * publishes of 5 points in flight, bench/_ingest-load.ts in its own process) against Fieldline on its embedded
 * default with 0, 100, 1,000 and 10,000 active rules spread over the devices, then 0 again; prints points/s
 * for each, the ratio to the no-rule run (by points/s, and by the server's CPU time per point, which a shared
 * machine disturbs much less), and the rule engine's own time per point. Then a steady 1,000
 * messages/s with 1,000 rules where every 20th message of a device carries a probe that fires a rule:
 * publish → `alert.raised` latency p50/p99 (the probe value is the publish time, on the shared clock).
 * DEVICES, DURATION_S, WINDOW, RULES (comma list), RATE, LATENCY_S, LATENCY_DEVICES (publishers of the steady load)
 * and NODELAY=0 (leave Nagle's algorithm on in the publishers) override the defaults.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { createApp } from '../src/app.js';
import type { Principal } from '../src/auth/index.js';
import { configFrom } from '../src/config.js';
import { createLogger } from '../src/kernel/index.js';
import { apiCall, freePort } from '../test/helpers/app.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

// ——— the steady-rate probe publisher (this file, run as a child with --probe) ———
if (process.argv[2] === '--probe') {
  const [, , , url, credsJson, rateText, secondsText] = process.argv;
  const creds = JSON.parse(credsJson ?? '[]') as { id: string; username: string }[];
  const rate = Number(rateText);
  const clients = await Promise.all(
    creds.map((c) => mqtt.connectAsync(url as string, { username: c.username, reconnectPeriod: 0, keepalive: 120 })),
  );
  // mqtt.js writes a PUBLISH in several small writes; with Nagle's algorithm the tail waits for the broker's
  // delayed ACK (~40 ms). Devices that care about latency set TCP_NODELAY; so does this probe (NODELAY=0: off).
  if (process.env.NODELAY !== '0')
    for (const c of clients) (c.stream as unknown as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
  const perDeviceMs = (1000 * creds.length) / rate;
  let sent = 0;
  let stop = false;
  const done = creds.map(
    (c, i) =>
      new Promise<void>((resolve) => {
        let n = 0;
        const client = clients[i] as mqtt.MqttClient;
        const tick = () => {
          if (stop) return resolve();
          n++;
          // Every 20th message fires the device's probe rule; the next one clears it.
          const probe = n % 20 === 0 ? now() : 0;
          const payload = JSON.stringify({
            temperature: 20 + (n % 17) / 3,
            humidity: 40 + (n % 11),
            pressure: 1.01 + (n % 5) / 100,
            vibration: (n % 13) / 10,
            probe,
          });
          client.publish(`fieldline/devices/${c.id}/telemetry`, payload, { qos: 1 });
          sent++;
          setTimeout(tick, perDeviceMs);
        };
        setTimeout(tick, (perDeviceMs * i) / creds.length);
      }),
  );
  setTimeout(() => (stop = true), Number(secondsText) * 1000);
  await Promise.all(done);
  await Promise.all(clients.map((c) => c.endAsync()));
  console.log(JSON.stringify({ sent }));
  process.exit(0);
}

// ——— the benchmark ———
const DEVICES = Number(process.env.DEVICES ?? 200);
const DURATION_S = Number(process.env.DURATION_S ?? 20);
const WINDOW = Number(process.env.WINDOW ?? 8);
const RULE_COUNTS = (process.env.RULES ?? '0,100,1000,10000').split(',').map(Number);
const RATE = Number(process.env.RATE ?? 1000);
const LATENCY_S = Number(process.env.LATENCY_S ?? 20);
const LATENCY_DEVICES = Math.min(DEVICES, Number(process.env.LATENCY_DEVICES ?? DEVICES));
const POINTS_PER_MESSAGE = 5;

function child(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout?.on('data', (d) => (out += d));
    p.on('exit', (code) =>
      code === 0 ? resolve(out.trim().split('\n').pop() ?? '{}') : reject(new Error(`exit ${code}`)),
    );
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-rules-'));
const mqttPort = await freePort();
const config = configFrom({
  FIELDLINE_HTTP_HOST: '127.0.0.1',
  FIELDLINE_HTTP_PORT: '0',
  FIELDLINE_MQTT_PORT: String(mqttPort),
  FIELDLINE_DATA_DIR: dataDir,
  FIELDLINE_ADMIN_PASSWORD: 'bench-password',
  FIELDLINE_LOG_LEVEL: 'warn',
});
const app = await createApp(config, { logger: createLogger('warn') });
const latencies: number[] = [];
const committed: number[] = [];
const committedAt = new Map<number, number>();
const afterCommit: number[] = [];
app.bus.on('alert.raised', (e) => {
  if (typeof e.alert.value !== 'number' || e.alert.value < 1e12) return;
  const t = now();
  latencies.push(t - e.alert.value);
  const c = committedAt.get(e.alert.value);
  if (c !== undefined) afterCommit.push(t - c);
  committedAt.delete(e.alert.value);
});
// The same probes at commit (telemetry.ingested, this listener registered before the engine's): what the ingest
// path takes before the rule engine sees them.
app.bus.on('telemetry.ingested', (e) => {
  for (const r of e.readings)
    if (r.key === 'probe' && typeof r.value === 'number' && r.value > 1e12) {
      committed.push(now() - r.value);
      committedAt.set(r.value, now());
    }
});
const { httpUrl } = await app.start();
const token = (
  await apiCall(httpUrl, '/api/v1/auth/login', { body: { username: 'admin', password: 'bench-password' } })
).body.access_token;
const me = (await apiCall(httpUrl, '/api/v1/me', { token })).body;
const principal: Principal = {
  kind: 'user',
  id: me.id ?? 'bench',
  name: 'bench',
  organizationId: me.organization.id,
  role: 'owner',
  isPlatformAdmin: true,
};
const creds: { id: string; username: string }[] = [];
for (let i = 0; i < DEVICES; i++) {
  const r = await apiCall(httpUrl, '/api/v1/devices', { token, body: { id: `bench-${i}`, name: `Bench ${i}` } });
  creds.push({ id: r.body.id, username: r.body.credentials.access_token });
}

/** Rules that watch the keys the load sends and never fire: pure evaluation cost. */
function ruleBody(i: number): Record<string, unknown> {
  const device_id = `bench-${i % DEVICES}`;
  const keys = ['temperature', 'humidity', 'pressure', 'vibration'];
  const key = keys[Math.floor(i / DEVICES) % keys.length] as string;
  const kind = i % 20;
  if (kind < 12)
    return { name: `t${i}`, device_id, rule_type: 'threshold', conditions: { key, operator: '>', value: 1000 + i } };
  if (kind < 15)
    return {
      name: `c${i}`,
      device_id,
      rule_type: 'comparison',
      conditions: { key1: key, operator: '>', key2: key === 'humidity' ? 'temperature' : 'humidity', offset: 1000 },
    };
  if (kind < 18)
    return {
      name: `s${i}`,
      device_id,
      rule_type: 'statistical',
      conditions: { key, function: ['avg', 'max', 'stddev'][i % 3], window: i % 2 ? 2 : 5, operator: '>', value: 1000 },
    };
  return {
    name: `k${i}`,
    device_id,
    rule_type: 'compound',
    conditions: {
      any: [
        { key, operator: '>', value: 1000 },
        { key: 'vibration', function: 'max', window: 5, operator: '>', value: 1000 },
      ],
    },
  };
}

let created = 0;
async function ensureRules(n: number) {
  for (; created < n; created++) await app.rules.rules.create(principal, ruleBody(created) as never);
}

const results: Record<string, unknown>[] = [];
async function throughputRun(rules: number) {
  await ensureRules(rules);
  const before = { ...app.rules.engine.stats };
  const cpu = process.cpuUsage();
  const load = JSON.parse(
    await child([
      join(here, '_ingest-load.ts'),
      `mqtt://127.0.0.1:${mqttPort}`,
      JSON.stringify(creds),
      String(DURATION_S),
      String(WINDOW),
      'fieldline/devices/{id}/telemetry',
    ]),
  ) as { elapsed: number; messages: number; p50: number; p99: number };
  const used = process.cpuUsage(cpu);
  const s = app.rules.engine.stats;
  const points = s.points - before.points;
  const stored = load.messages * POINTS_PER_MESSAGE;
  results.push({
    rules: app.rules.engine.index.size,
    points_per_s: Math.round(stored / load.elapsed),
    // The server's CPU time per point (this process; the load generator is another): steadier than points/s
    // on a shared machine, and what throughput is bound by.
    server_cpu_us_per_point: Math.round(((used.user + used.system) / stored) * 100) / 100,
    messages_per_s: Math.round(load.messages / load.elapsed),
    puback_p99_ms: Math.round(load.p99 * 100) / 100,
    engine_us_per_point: points ? Math.round(((s.busyMs - before.busyMs) * 1000 * 100) / points) / 100 : 0,
    evaluations_per_point: points ? Math.round(((s.evaluations - before.evaluations) / points) * 100) / 100 : 0,
  });
  process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
}

for (const n of RULE_COUNTS) await throughputRun(n);
// The no-rule reference once more at the end (the machine is shared: this shows the drift).
const engineRules = app.rules.engine.index.size;
for (const rule of [...app.rules.engine.index.rules()]) app.rules.engine.deactivate(rule);
await throughputRun(0);
const reference = results.filter((r) => r.rules === 0).map((r) => r.points_per_s as number);
const baseline = Math.max(...reference);

// Latency: 1,000 rules active again, plus one probe rule per device; steady RATE messages/s.
for (const row of await app.rules.store.enabled()) {
  if (app.rules.engine.index.size >= Math.min(1000, engineRules)) break;
  await app.rules.rules.toggle(principal, row.id, true);
}
for (let i = 0; i < DEVICES; i++)
  await app.rules.rules.create(principal, {
    name: `probe ${i}`,
    device_id: `bench-${i}`,
    rule_type: 'threshold',
    conditions: { key: 'probe', operator: '>', value: 0 },
  } as never);
const probe = JSON.parse(
  await child([
    join(here, 'rules.ts'),
    '--probe',
    `mqtt://127.0.0.1:${mqttPort}`,
    JSON.stringify(creds.slice(0, LATENCY_DEVICES)),
    String(RATE),
    String(LATENCY_S),
  ]),
) as { sent: number };
await new Promise((r) => setTimeout(r, 500));
latencies.sort((a, b) => a - b);
committed.sort((a, b) => a - b);
afterCommit.sort((a, b) => a - b);
const pct = (p: number, of = latencies) =>
  Math.round((of[Math.min(of.length - 1, Math.floor(of.length * p))] ?? 0) * 100) / 100;
const latencyRules = app.rules.engine.index.size;
const rssMb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
await app.stop();
rmSync(dataDir, { recursive: true, force: true });

const ratio = (n: number) => {
  const r = results.find((x) => x.rules === n);
  return r ? Math.round(((r.points_per_s as number) / baseline) * 100) / 100 : null;
};
// Throughput relative to no rules, from CPU per point (the mean of the two no-rule runs): what the ratio of
// points/s would be on a machine of our own.
const cpu0 = results.filter((r) => r.rules === 0).map((r) => r.server_cpu_us_per_point as number);
const cpuBase = cpu0.reduce((a, b) => a + b, 0) / cpu0.length;
const cpuRatio = (n: number) => {
  const r = results.find((x) => x.rules === n);
  return r ? Math.round((cpuBase / (r.server_cpu_us_per_point as number)) * 100) / 100 : null;
};
console.log(
  JSON.stringify({
    bench: 'rules',
    database: 'sqlite',
    devices: DEVICES,
    duration_s: DURATION_S,
    in_flight_per_device: WINDOW,
    runs: results,
    reference_no_rules_points_per_s: reference,
    ratio_1000_rules: ratio(1000),
    ratio_10000_rules: ratio(10000),
    cpu_ratio_1000_rules: cpuRatio(1000),
    cpu_ratio_10000_rules: cpuRatio(10000),
    latency_rate_msgs_per_s: RATE,
    latency_devices: LATENCY_DEVICES,
    latency_messages_sent: probe.sent,
    latency_rules: latencyRules,
    probes_committed: committed.length,
    alerts_measured: latencies.length,
    alert_latency_p50_ms: pct(0.5),
    alert_latency_p99_ms: pct(0.99),
    commit_latency_p50_ms: pct(0.5, committed),
    commit_latency_p99_ms: pct(0.99, committed),
    commit_to_alert_p50_ms: pct(0.5, afterCommit),
    commit_to_alert_p99_ms: pct(0.99, afterCommit),
    peak_rss_mb: Math.round(rssMb),
  }),
);
process.exit(0);
