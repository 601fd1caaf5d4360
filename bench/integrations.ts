/**
 * `npm run bench -- integrations`: one MQTT integration subscribed (QoS 1) to the machine's Mosquitto
 * (FIELDLINE_BENCH_MQTT_URL, default mqtt://127.0.0.1:1883) under a unique topic prefix; a publisher process
 * sends MESSAGES QoS 1 messages of 3 points at full speed. Measured from the first publish to the last message
 * committed as telemetry (the integration acknowledges each message to the broker only after its commit).
 * The reference, in the same run: a bare mqtt.js subscriber on the same broker receiving the same load.
 * Prints messages/s for both, their ratio, and the points lost (published but not stored: counted in the DB).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { createApp } from '../src/app.js';
import { configFrom } from '../src/config.js';
import { createLogger } from '../src/kernel/index.js';
import { apiCall } from '../test/helpers/app.js';

const BROKER_URL = process.env.FIELDLINE_BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const MESSAGES = Number(process.env.MESSAGES ?? 50_000);
const DEVICES = Number(process.env.DEVICES ?? 10);
const WINDOW = Number(process.env.WINDOW ?? 100);
const POINTS = 3;
const here = fileURLToPath(new URL('.', import.meta.url));
const prefix = `fl-bench-${randomBytes(4).toString('hex')}`;
const T0 = Date.now() - 7 * 86_400_000;

function publish(base: string): Promise<{ published: number; elapsed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(here, '_integrations-pub.ts'),
        BROKER_URL,
        base,
        String(MESSAGES),
        String(DEVICES),
        String(WINDOW),
        String(T0),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}'))
        : reject(new Error(`publisher exited ${code}`)),
    );
  });
}

const until = async (check: () => boolean | Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
};

// 1. The reference: a bare mqtt.js subscriber.
const bare = await mqtt.connectAsync(BROKER_URL, {
  clientId: `${prefix}-bare`,
  reconnectPeriod: 0,
  protocolVersion: 5,
  // The window the integration asks for by default (receive_maximum 65535).
  properties: { receiveMaximum: 65_535 },
});
await bare.subscribeAsync(`${prefix}/bare/+/telemetry`, { qos: 1 });
let bareCount = 0;
let bareDone = 0;
bare.on('message', () => {
  bareCount++;
  if (bareCount === MESSAGES) bareDone = performance.now();
});
const bareStart = performance.now();
const barePub = await publish(`${prefix}/bare`);
await until(() => bareCount >= MESSAGES, 60_000);
await bare.endAsync();
const bareSeconds = ((bareDone || performance.now()) - bareStart) / 1000;

// 2. Fieldline: one MQTT integration, an ingest subscription, SQLite (or FIELDLINE_BENCH_DATABASE_URL).
const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-integrations-'));
const config = configFrom({
  FIELDLINE_HTTP_HOST: '127.0.0.1',
  FIELDLINE_HTTP_PORT: '0',
  FIELDLINE_MQTT_PORT: '0',
  FIELDLINE_DATA_DIR: dataDir,
  FIELDLINE_ADMIN_PASSWORD: 'bench-password',
  FIELDLINE_LOG_LEVEL: 'warn',
  ...(process.env.FIELDLINE_BENCH_DATABASE_URL
    ? { FIELDLINE_DATABASE_URL: process.env.FIELDLINE_BENCH_DATABASE_URL }
    : {}),
});
const app = await createApp(config, { logger: createLogger('warn') });
const { httpUrl } = await app.start();
const token = (
  await apiCall(httpUrl, '/api/v1/auth/login', { body: { username: 'admin', password: 'bench-password' } })
).body.access_token as string;
for (let d = 0; d < DEVICES; d++)
  await apiCall(httpUrl, '/api/v1/devices', { token, body: { id: `${prefix}-dev-${d}`, name: `d${d}` } });
const integration = await apiCall(httpUrl, '/api/v1/integrations', {
  token,
  body: {
    type: 'mqtt',
    name: 'bench',
    config: {
      broker: { url: BROKER_URL, client_id: `${prefix}-fl`, protocol_version: 5 },
      topics: { prefix: `${prefix}/fl`, qos: 1 },
    },
  },
});
await apiCall(httpUrl, `/api/v1/integrations/${integration.body.id}/subscriptions`, {
  token,
  body: {
    name: 'telemetry',
    topic: '{device}/telemetry',
    actions: [{ type: 'ingest', device_id: `${prefix}-{device}` }],
  },
});
await until(() => (app.integrations.mqtt.status(integration.body.id)?.subscribed_topics_count ?? 0) === 1, 10_000);
const counters = app.ingest.counters;
const base = counters.pointsIngested;
const flStart = performance.now();
const flPub = await publish(`${prefix}/fl`);
await until(() => counters.pointsIngested - base >= MESSAGES * POINTS, 120_000);
const flSeconds = (performance.now() - flStart) / 1000;
const status = app.integrations.mqtt.status(integration.body.id);
await app.integrations.mqtt.flush();
// Committed points are in telemetry or, until merged, in the SQLite inbox: both count.
const stored = await app.storage.db
  .selectFrom((db) =>
    db
      .selectFrom('telemetry')
      .select('series_id')
      .unionAll(db.selectFrom('telemetry_inbox').select('series_id'))
      .as('t'),
  )
  .innerJoin('telemetry_series', 'telemetry_series.id', 't.series_id')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .where('telemetry_series.device_id', 'like', `${prefix}-%`)
  .executeTakeFirstOrThrow();
const sub = (await apiCall(httpUrl, `/api/v1/integrations/${integration.body.id}/subscriptions`, { token })).body
  .items[0];
await app.stop();
rmSync(dataDir, { recursive: true, force: true });

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const flRate = MESSAGES / flSeconds;
const bareRate = MESSAGES / bareSeconds;
console.log(
  JSON.stringify({
    bench: 'integrations',
    broker: BROKER_URL,
    database: process.env.FIELDLINE_BENCH_DATABASE_URL ? 'postgres' : 'sqlite',
    messages: MESSAGES,
    points_per_message: POINTS,
    publisher_in_flight: WINDOW,
    fieldline_messages_per_s: Math.round(flRate),
    fieldline_points_per_s: Math.round(flRate * POINTS),
    bare_subscriber_messages_per_s: Math.round(bareRate),
    ratio_to_bare_subscriber: round(flRate / bareRate),
    publisher_messages_per_s_fieldline_run: Math.round(flPub.published / flPub.elapsed),
    publisher_messages_per_s_bare_run: Math.round(barePub.published / barePub.elapsed),
    bare_received: bareCount,
    messages_received: status?.messages_received ?? null,
    actions_executed: sub?.actions_executed ?? null,
    actions_failed: sub?.actions_failed ?? null,
    points_published: MESSAGES * POINTS,
    points_stored: Number(stored.n),
    points_lost: MESSAGES * POINTS - Number(stored.n),
  }),
);
process.exit(0);
