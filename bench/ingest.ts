/**
 * `npm run bench -- ingest`: 200 MQTT device connections publish QoS 1 messages of 5 points for 60 s
 * against `fieldline serve` on its embedded default; then the same clients against a bare Aedes broker.
 * Prints points/s committed, messages/s, publish→PUBACK p50/p99, peak RSS, points lost (acknowledged but not
 * stored) and the ratio to the bare broker.
 *
 * Each closed-loop run keeps W publishes in flight per connection, for each W of WINDOWS (default 1, 2, 4, 8).
 * W = 1 is a device that publishes, waits for its PUBACK and publishes again: every message waits for the
 * commit of the one before it, so parsing and committing never overlap; W = 2 lets them overlap; W = 8 is a deep
 * pipeline, where the latency is mostly queueing — by Little's law 1,600 messages in flight at 40k messages/s wait 40 ms on
 * average, on the bare broker too. Then each server gets an open-loop run offering RATE_POINTS points/s
 * (default 50,000, the target throughput) for RATE_S seconds: the PUBACK latency at that load.
 * Each run also reports CPU µs per acknowledged message of the server's main (MQTT) thread, of its other threads
 * (writer, checkpointer, V8), and of the load generator, for both servers: with the load generator on the same
 * cores, the ratio is mostly the ratio of those sums, and they move less between runs than the rates do.
 * DEVICES, DURATION_S, WINDOWS (comma list), RATE_POINTS, RATE_S and DATABASE_URL override defaults.
 * CPU_PROF_DIR=dir writes V8 CPU profiles of both servers there, a file per thread (profiling slows them: the
 * figures of such a run are not comparable); `node --import tsx bench/_cpu-profile-summary.ts [--top N] files…`
 * sums each up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { apiCall, freePort } from '../test/helpers/app.js';
import { startServe } from '../test/helpers/cli.js';
import { cpuBetween, threadCpuUs } from './_thread-cpu.js';

const DEVICES = Number(process.env.DEVICES ?? 200);
const DURATION_S = Number(process.env.DURATION_S ?? 60);
const WINDOWS = (process.env.WINDOWS ?? process.env.WINDOW ?? '1,2,4,8').split(',').map(Number);
/** The open-loop run: this many points/s offered, for RATE_S seconds, to measure PUBACK latency at that load. */
const RATE_POINTS = Number(process.env.RATE_POINTS ?? 50_000);
const RATE_S = Number(process.env.RATE_S ?? 20);
const DATABASE_URL = process.env.DATABASE_URL;
const CPU_PROF_DIR = process.env.CPU_PROF_DIR;
const profiled = (name: string) => (CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(CPU_PROF_DIR, name)] : []);
const POINTS_PER_MESSAGE = 5;
const here = fileURLToPath(new URL('.', import.meta.url));

interface LoadResult {
  elapsed: number;
  messages: number;
  acked: Record<string, number>;
  p50: number;
  p99: number;
  /** The load generator's own CPU time over the run. */
  cpuUs: number;
  /** The server's CPU time over the same run: its main (MQTT) thread and its other threads. */
  serverCpu: { main: number; others: number };
}

function runLoad(
  url: string,
  server: number,
  creds: { id: string; username: string }[],
  topic: string,
  window: number,
  open?: { messagesPerS: number; durationS: number },
) {
  return new Promise<LoadResult>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(here, '_ingest-load.ts'),
        url,
        JSON.stringify(creds),
        String(open?.durationS ?? DURATION_S),
        String(window),
        topic,
        ...(open ? [String(open.messagesPerS)] : []),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    let before = new Map<number, number>();
    let serverCpu = { main: 0, others: 0 };
    child.stdout.on('data', (d) => {
      out += d;
      if (before.size === 0 && out.includes('MARK start\n')) before = threadCpuUs(server);
      else if (before.size > 0 && out.includes('MARK stop\n') && serverCpu.main === 0)
        serverCpu = cpuBetween(server, before, threadCpuUs(server));
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve({ ...JSON.parse(out.trim().split('\n').pop() ?? '{}'), serverCpu })
        : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

const peakRssMb = (child: ChildProcess) =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** PostgreSQL: a fresh schema per run, so no run sees another's devices and rows; dropped at the end. */
async function freshSchema(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `fl_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
const schema = DATABASE_URL ? await freshSchema(DATABASE_URL) : null;

// 1. Fieldline.
const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-ingest-'));
const mqttPort = await freePort();
const serving = await startServe(
  {
    FIELDLINE_DATA_DIR: dataDir,
    FIELDLINE_ADMIN_PASSWORD: 'bench-password',
    FIELDLINE_MQTT_PORT: String(mqttPort),
    FIELDLINE_LOG_LEVEL: 'warn',
    ...(schema ? { FIELDLINE_DATABASE_URL: schema.url } : {}),
  },
  undefined,
  profiled('fieldline'),
);
const token = (
  await apiCall(serving.url, '/api/v1/auth/login', { body: { username: 'admin', password: 'bench-password' } })
).body.access_token;
const creds: { id: string; username: string }[] = [];
for (let i = 0; i < DEVICES; i++) {
  const r = await apiCall(serving.url, '/api/v1/devices', { token, body: { id: `bench-${i}`, name: `Bench ${i}` } });
  creds.push({ id: r.body.id, username: r.body.credentials.access_token });
}
const TOPIC = 'fieldline/devices/{id}/telemetry';
const OPEN = { messagesPerS: RATE_POINTS / POINTS_PER_MESSAGE, durationS: RATE_S };
const flPid = serving.child.pid as number;
const fl: LoadResult[] = [];
for (const w of WINDOWS) fl.push(await runLoad(`mqtt://127.0.0.1:${mqttPort}`, flPid, creds, TOPIC, w));
const flOpen = await runLoad(`mqtt://127.0.0.1:${mqttPort}`, flPid, creds, TOPIC, 1, OPEN);
const rss = peakRssMb(serving.child);
await serving.stop('SIGTERM');

// Loss check: every acknowledged message's 5 points must be in storage.
let stored = 0;
if (schema) {
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  stored = Number(
    (
      await client.query(
        `select count(*) as n from telemetry t join telemetry_series s on s.id = t.series_id where s.device_id like 'bench-%'`,
      )
    ).rows[0].n,
  );
  await client.end();
  await schema.drop();
} else {
  const db = new SQLite(join(dataDir, 'fieldline.db'), { readonly: true });
  // A clean stop merged the inbox; a row still there counts as stored all the same.
  stored = (
    db.prepare(`select (select count(*) from telemetry) + (select count(*) from telemetry_inbox) as n`).get() as {
      n: number;
    }
  ).n;
  db.close();
}
rmSync(dataDir, { recursive: true, force: true });
const ackedPoints = [...fl, flOpen].reduce((n, r) => n + r.messages, 0) * POINTS_PER_MESSAGE;

// 2. The reference: a bare Aedes broker, same clients, same load.
const bare = spawn(process.execPath, [...profiled('bare-aedes'), '--import', 'tsx', join(here, '_bare-aedes.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const barePort = await new Promise<number>((resolve) => {
  let out = '';
  bare.stdout.on('data', (d) => {
    out += d;
    const m = /BARE (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
});
const barePid = bare.pid as number;
const ref: LoadResult[] = [];
for (const w of WINDOWS) ref.push(await runLoad(`mqtt://127.0.0.1:${barePort}`, barePid, creds, TOPIC, w));
const refOpen = await runLoad(`mqtt://127.0.0.1:${barePort}`, barePid, creds, TOPIC, 1, OPEN);
bare.kill('SIGTERM');

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const perS = (r: { messages: number; elapsed: number }) => r.messages / r.elapsed;
/** CPU µs per acknowledged message: the server's main thread, its other threads, and the load generator. */
const cpuPerMessage = (r: LoadResult) => ({
  server_main_thread: round(r.serverCpu.main / r.messages),
  server_other_threads: round(r.serverCpu.others / r.messages),
  load_generator: round(r.cpuUs / r.messages),
});
const closedLoop = WINDOWS.map((w, i) => {
  const f = fl[i] as LoadResult;
  const b = ref[i] as LoadResult;
  return {
    in_flight_per_device: w,
    points_per_s_committed: Math.round(perS(f) * POINTS_PER_MESSAGE),
    messages_per_s: Math.round(perS(f)),
    puback_p50_ms: round(f.p50, 2),
    puback_p99_ms: round(f.p99, 2),
    reference_bare_aedes_messages_per_s: Math.round(perS(b)),
    reference_bare_aedes_puback_p50_ms: round(b.p50, 2),
    reference_bare_aedes_puback_p99_ms: round(b.p99, 2),
    ratio_to_bare_broker: round(perS(f) / perS(b), 2),
    cpu_us_per_message: cpuPerMessage(f),
    reference_bare_aedes_cpu_us_per_message: cpuPerMessage(b),
  };
});
console.log(
  JSON.stringify({
    bench: 'ingest',
    database: DATABASE_URL ? 'postgres' : 'sqlite',
    devices: DEVICES,
    duration_s: DURATION_S,
    closed_loop: closedLoop,
    [`open_loop_at_${RATE_POINTS}_points_per_s`]: {
      duration_s: RATE_S,
      points_per_s_acknowledged: Math.round(perS(flOpen) * POINTS_PER_MESSAGE),
      puback_p50_ms: round(flOpen.p50, 2),
      puback_p99_ms: round(flOpen.p99, 2),
      reference_bare_aedes_puback_p50_ms: round(refOpen.p50, 2),
      reference_bare_aedes_puback_p99_ms: round(refOpen.p99, 2),
    },
    peak_rss_mb: round(rss),
    points_acknowledged: ackedPoints,
    points_stored: stored,
    points_lost: Math.max(0, ackedPoints - stored),
  }),
);
process.exit(0);
