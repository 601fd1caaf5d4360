/**
 * `npm run bench -- api`: `GET /api/v1/devices/{id}` and `GET /api/v1/telemetry/{id}/latest` under load from
 * autocannon in a separate process, against `fieldline serve` on its embedded default (or DATABASE_URL),
 * with a cold cache (a fresh process; every device asked for once) and a warm one (flat out, and at a steady
 * 1,000 requests/s); and, in the same run, a bare Fastify server answering the same JSON as the reference.
 * Prints requests/s, p50/p99 latency and the ratio to the bare route. DEVICES, DURATION_S, CONNECTIONS, RATE
 * and DATABASE_URL override the defaults.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiCall } from '../test/helpers/app.js';
import { type ServeProcess, startServe } from '../test/helpers/cli.js';

const DEVICES = Number(process.env.DEVICES ?? 1000);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const RATE = Number(process.env.RATE ?? 1000);
const DATABASE_URL = process.env.DATABASE_URL;
const here = fileURLToPath(new URL('.', import.meta.url));

interface Figures {
  requests_per_s: number;
  total: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
}

function load(spec: {
  url: string;
  paths: string[];
  headers?: Record<string, string>;
  durationS?: number;
  amount?: number;
  rate?: number;
}): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(here, '_api-load.ts'),
        JSON.stringify({ connections: CONNECTIONS, headers: {}, ...spec }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      const figures = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Figures;
      if (figures.non2xx > 0 || figures.errors > 0)
        return reject(new Error(`load against ${spec.url} failed: ${JSON.stringify(figures)}`));
      resolve(figures);
    });
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-api-'));
const env = {
  FIELDLINE_DATA_DIR: dataDir,
  FIELDLINE_ADMIN_PASSWORD: 'bench-password',
  FIELDLINE_LOG_LEVEL: 'warn',
  ...(DATABASE_URL ? { FIELDLINE_DATABASE_URL: DATABASE_URL } : {}),
};

// Devices with five latest values each.
let serving: ServeProcess = await startServe(env);
const token = (
  await apiCall(serving.url, '/api/v1/auth/login', { body: { username: 'admin', password: 'bench-password' } })
).body.access_token as string;
const ids: string[] = [];
for (let i = 0; i < DEVICES; i++) {
  const r = await apiCall(serving.url, '/api/v1/devices', {
    token,
    body: { id: `api-${i}`, name: `API bench ${i}`, metadata: { line: i % 7, site: 'bench' } },
  });
  const deviceToken = r.body.credentials.access_token as string;
  await apiCall(serving.url, `/api/v1/${deviceToken}/telemetry`, {
    body: { temperature: 20 + (i % 10), humidity: 40, pressure: 1.01, running: true, mode: 'auto' },
  });
  ids.push(r.body.id as string);
}
const sample = {
  device: (await apiCall(serving.url, `/api/v1/devices/${ids[0]}`, { token })).body,
  latest: (await apiCall(serving.url, `/api/v1/telemetry/${ids[0]}/latest`, { token })).body,
};
const headers = { authorization: `Bearer ${token}` };
const routes = {
  device: ids.map((id) => `/api/v1/devices/${id}`),
  latest: ids.map((id) => `/api/v1/telemetry/${id}/latest`),
};

// Cold: a fresh process, every device asked for exactly once per route.
await serving.stop('SIGTERM');
serving = await startServe(env);
const cold = {
  device: await load({ url: serving.url, paths: routes.device, headers, amount: DEVICES }),
  latest: await load({ url: serving.url, paths: routes.latest, headers, amount: DEVICES }),
};
// Warm: the same paths again, flat out, then at a steady rate.
const warm = {
  device: await load({ url: serving.url, paths: routes.device, headers, durationS: DURATION_S }),
  latest: await load({ url: serving.url, paths: routes.latest, headers, durationS: DURATION_S }),
};
const steady = {
  device: await load({ url: serving.url, paths: routes.device, headers, durationS: DURATION_S, rate: RATE }),
  latest: await load({ url: serving.url, paths: routes.latest, headers, durationS: DURATION_S, rate: RATE }),
};
const metrics = await (await fetch(`${serving.url}/metrics`)).text();
await serving.stop('SIGTERM');
rmSync(dataDir, { recursive: true, force: true });

// Reference: a bare Fastify route with the same bodies.
const bare = spawn(process.execPath, ['--import', 'tsx', join(here, '_bare-api.ts'), JSON.stringify(sample)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const bareUrl = await new Promise<string>((resolve) => {
  let out = '';
  bare.stdout.on('data', (d) => {
    out += d;
    const m = /BARE (\S+)/.exec(out);
    if (m?.[1]) resolve(m[1]);
  });
});
const reference = {
  device: await load({ url: bareUrl, paths: routes.device, durationS: DURATION_S }),
  latest: await load({ url: bareUrl, paths: routes.latest, durationS: DURATION_S }),
};
const referenceSteady = {
  device: await load({ url: bareUrl, paths: routes.device, durationS: DURATION_S, rate: RATE }),
  latest: await load({ url: bareUrl, paths: routes.latest, durationS: DURATION_S, rate: RATE }),
};
bare.kill('SIGTERM');

const hits = (cache: string) =>
  Number(
    new RegExp(`^fieldline_cache_hits_total\\{cache="${cache}",tier="local"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0,
  );
const misses = (cache: string) =>
  Number(new RegExp(`^fieldline_cache_misses_total\\{cache="${cache}"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0);
const brief = (f: Figures) => ({ rps: f.requests_per_s, p50_ms: f.p50_ms, p99_ms: f.p99_ms });
const ratio = (a: Figures, b: Figures) => Math.round((a.requests_per_s / b.requests_per_s) * 100) / 100;

console.log(
  JSON.stringify({
    bench: 'api',
    database: DATABASE_URL ? 'postgres' : 'sqlite',
    devices: DEVICES,
    connections: CONNECTIONS,
    duration_s: DURATION_S,
    device: {
      cold: brief(cold.device),
      warm: brief(warm.device),
      [`warm_at_${RATE}_rps`]: brief(steady.device),
      reference_bare: brief(reference.device),
      [`reference_bare_at_${RATE}_rps`]: brief(referenceSteady.device),
      warm_over_bare: ratio(warm.device, reference.device),
    },
    latest: {
      cold: brief(cold.latest),
      warm: brief(warm.latest),
      [`warm_at_${RATE}_rps`]: brief(steady.latest),
      reference_bare: brief(reference.latest),
      [`reference_bare_at_${RATE}_rps`]: brief(referenceSteady.latest),
      warm_over_bare: ratio(warm.latest, reference.latest),
    },
    cache_hit_ratio: Object.fromEntries(
      ['device_rows', 'latest', 'users', 'memberships'].map((c) => [
        c,
        Math.round((hits(c) / Math.max(1, hits(c) + misses(c))) * 1000) / 1000,
      ]),
    ),
  }),
);
