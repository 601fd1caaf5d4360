/**
 * Cold start and idle memory of `fieldline serve`: time from spawn to the first 200 from /health, on a first
 * start (empty data dir: migrations, secret key, admin bootstrap) and on a restart, and RSS after idling.
 * Reference in the same run: a bare Fastify server answering one route.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, childEnv, ROOT } from '../test/helpers/cli.js';

const RUNS = Number(process.env.RUNS ?? 5);
const IDLE_MS = 5000;

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

async function timeToHealthy(
  args: string[],
  env: NodeJS.ProcessEnv,
  url: (out: string) => string | null,
  measureIdle: boolean,
) {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, cwd: ROOT });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let base: string | null = null;
  for (;;) {
    base ??= url(out);
    if (
      base &&
      (await fetch(base).then(
        (r) => r.ok,
        () => false,
      ))
    )
      break;
    if (child.exitCode !== null) throw new Error(out);
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - started;
  let rss = 0;
  if (measureIdle) {
    await new Promise((r) => setTimeout(r, IDLE_MS));
    rss = rssKb(child.pid ?? 0);
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return { ms, rssMb: rss / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const bareFile = join(mkdtempSync(join(tmpdir(), 'fl-bare-')), 'bare.mjs');
writeFileSync(
  bareFile,
  `import Fastify from '${join(ROOT, 'node_modules/fastify/fastify.js')}';
const app = Fastify(); app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ port: 0, host: '127.0.0.1' }); console.log('BARE http://127.0.0.1:' + app.server.address().port + '/health');`,
);
const fieldlineUrl = (out: string) => {
  const m = /HTTP API\s+(http:\/\/\S+)/.exec(out);
  return m ? `${m[1]}/health` : null;
};

const first: number[] = [];
const restart: number[] = [];
const bare: number[] = [];
let rss = 0;
let bareRss = 0;
for (let i = 0; i < RUNS; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'fl-startup-'));
  const env = childEnv({ FIELDLINE_DATA_DIR: dataDir, FIELDLINE_HTTP_PORT: '0', FIELDLINE_MQTT_PORT: '0' });
  first.push((await timeToHealthy([BIN, 'serve'], env, fieldlineUrl, false)).ms);
  const r = await timeToHealthy([BIN, 'serve'], env, fieldlineUrl, i === 0);
  restart.push(r.ms);
  if (i === 0) rss = r.rssMb;
  const b = await timeToHealthy([bareFile], process.env, (out) => /BARE (\S+)/.exec(out)?.[1] ?? null, i === 0);
  bare.push(b.ms);
  if (i === 0) bareRss = b.rssMb;
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(
  JSON.stringify({
    bench: 'startup',
    runs: RUNS,
    first_start_ms_median: Math.round(median(first)),
    restart_ms_median: Math.round(median(restart)),
    idle_rss_mb: Math.round(rss * 10) / 10,
    reference_bare_fastify_ms_median: Math.round(median(bare)),
    reference_bare_fastify_idle_rss_mb: Math.round(bareRss * 10) / 10,
    restart_over_bare: Math.round((median(restart) / median(bare)) * 100) / 100,
  }),
);
