/**
 * Notifications: webhook deliveries per second from the outbox to a loopback receiver, and the delay from
 * the rule engine's reaction to `alert.raised` (Notifier.enqueueAlertNotifications) to the receiver's request,
 * p50/p99, at a steady rate. Reference in the same run: bare undici POSTs to the same receiver with the same
 * concurrency (what the HTTP path alone allows). Targets: ≥ 1,000 deliveries/s, p99 < 50 ms.
 *
 * Env: N (outbox deliveries, default 5000), ALERTS (default 2000), RATE (alerts/s, default 500).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { createApp } from '../src/app.js';
import { configFrom } from '../src/config.js';
import { createLogger } from '../src/kernel/index.js';

const N = Number(process.env.N ?? 5000);
const ALERTS = Number(process.env.ALERTS ?? 2000);
const RATE = Number(process.env.RATE ?? 500);
const CONCURRENCY = 64;

// The receiver: answers 204 at once and notes when each delivery (or alert) arrived.
const arrivals = new Map<string, number>();
let received = 0;
let onReceived: (() => void) | null = null;
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    const alertId = req.headers['x-bench-alert'];
    if (typeof alertId === 'string') arrivals.set(alertId, at);
    else {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alert?: { id?: string } };
        if (body.alert?.id) arrivals.set(body.alert.id, at);
      } catch {
        // reference requests carry no JSON of interest
      }
    }
    received++;
    onReceived?.();
    res.writeHead(204).end();
  });
});
receiver.keepAliveTimeout = 10_000;
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const until = (done: () => boolean) =>
  new Promise<void>((resolve) => {
    if (done()) return resolve();
    onReceived = () => {
      if (done()) {
        onReceived = null;
        resolve();
      }
    };
  });

// Reference: bare HTTP POSTs of a similar body, CONCURRENCY at a time.
async function bareHttp(count: number): Promise<{ perSecond: number; cpuMs: number }> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const body = JSON.stringify({ event: 'alert.raised', delivery_id: 'x'.repeat(36), message: 'y'.repeat(200) });
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        next++;
        const res = await request(hookUrl, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          dispatcher: agent,
        });
        await res.body.dump();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await agent.close();
  return { perSecond: count / seconds, cpuMs: (used.user + used.system) / 1000 };
}

const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-notify-'));
const config = configFrom({
  FIELDLINE_HTTP_HOST: '127.0.0.1',
  FIELDLINE_HTTP_PORT: '0',
  FIELDLINE_MQTT_PORT: '0',
  FIELDLINE_DATA_DIR: dataDir,
  FIELDLINE_ADMIN_PASSWORD: 'bench-password',
  FIELDLINE_LOG_LEVEL: 'silent',
  FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8',
  // The per-URL limit stays on, set above what one receiver is sent here.
  FIELDLINE_WEBHOOK_RATE_LIMIT: '100000',
  FIELDLINE_NOTIFY_CONCURRENCY: String(CONCURRENCY),
});
const app = await createApp(config, { logger: createLogger('silent') });
await app.start();
const org = (await app.authStore.organizationBySlug('default'))!.id;
const notifier = app.notifications.notifier;
const alertBase = {
  organization_id: org,
  rule_id: 'rule-1',
  rule_name: 'High Temperature Alert',
  device_id: 'device-001',
  device_name: 'Sensor-01',
  severity: 'critical',
  status: 'active',
  message: 'Temperature exceeded threshold: 28.5 > 25',
  value: 28.5,
  threshold: 25,
};
const action = [{ type: 'webhook', url: hookUrl }];

// Warm-up: connections, prepared paths, the signing secret.
for (let i = 0; i < 200; i++)
  await notifier.enqueueAlertNotifications({ ...alertBase, id: `warm-${i}`, created_at: Date.now() }, action);
await until(() => received >= 200);

const bare = await bareHttp(N);

// 1. Throughput: N rows waiting in the outbox, then the worker drains them.
await app.notifications.worker.stop();
for (let i = 0; i < N; i++)
  await notifier.enqueueAlertNotifications({ ...alertBase, id: `tp-${i}`, created_at: Date.now() }, action);
const before = received;
const drainCpu = process.cpuUsage();
const drainStart = performance.now();
app.notifications.worker.start();
app.notifications.worker.wake();
await until(() => received - before >= N);
const drainSeconds = (performance.now() - drainStart) / 1000;
const drainUsed = process.cpuUsage(drainCpu);
// Wait for the last rows to be marked delivered, so the next phase starts from an idle outbox.
for (;;) {
  const b = await app.notifications.store.backlog(Date.now());
  if (b.pending + b.sending + b.failed === 0) break;
  await new Promise((r) => setTimeout(r, 10));
}

// 2. Latency: alerts at a steady rate, each enqueued the way the rule engine does on alert.raised.
const emitted = new Map<string, number>();
const tickMs = 10;
const perTick = (RATE * tickMs) / 1000;
let sent = 0;
let credit = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    credit += perTick;
    while (credit >= 1 && sent < ALERTS) {
      credit--;
      const id = `lat-${sent++}`;
      emitted.set(id, performance.now());
      void notifier.enqueueAlertNotifications({ ...alertBase, id, created_at: Date.now() }, action);
    }
    if (sent >= ALERTS) {
      clearInterval(timer);
      resolve();
    }
  }, tickMs);
});
await until(() => [...emitted.keys()].every((id) => arrivals.has(id)));
const delays = [...emitted].map(([id, at]) => (arrivals.get(id) ?? Number.NaN) - at).sort((a, b) => a - b);
const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? Number.NaN;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

await app.stop();
receiver.closeAllConnections();
receiver.close();
rmSync(dataDir, { recursive: true, force: true });

const perSecond = N / drainSeconds;
console.log(
  JSON.stringify({
    bench: 'notify',
    dialect: app.storage.dialect,
    concurrency: CONCURRENCY,
    deliveries: N,
    deliveries_per_s: Math.round(perSecond),
    reference_bare_http_posts_per_s: Math.round(bare.perSecond),
    ratio_to_bare_http: round(perSecond / bare.perSecond, 2),
    // CPU per message (sender and receiver share this process): steadier than rates on a busy machine.
    cpu_us_per_delivery: Math.round(((drainUsed.user + drainUsed.system) / N) * 10) / 10,
    reference_cpu_us_per_bare_post: Math.round((bare.cpuMs * 1000) / N),
    alerts: ALERTS,
    alert_rate_per_s: RATE,
    alert_to_receiver_ms_p50: round(pct(50), 2),
    alert_to_receiver_ms_p99: round(pct(99), 2),
    alert_to_receiver_ms_max: round(delays[delays.length - 1] ?? Number.NaN, 2),
    target_met: perSecond >= 1000 && pct(99) < 50,
  }),
);
process.exit(0);
