/**
 * Load generator for bench/api.ts, run as its own process so it does not share an event loop with the
 * server: GETs over a list of paths (each request takes the next path), for a duration or a number of requests.
 * Flat out: autocannon. At a fixed rate: an open loop of our own over undici, each request sent at its own
 * moment (start + i / rate) and timed from that moment — autocannon's `overallRate` sends each second's
 * requests in a burst, which made even a bare route's p99 10–16 ms at 1,000 req/s. Prints one JSON line.
 */
import { createRequire } from 'node:module';
import { Pool } from 'undici';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
// autocannon ships no types: the little used here is typed by hand.
const autocannon = createRequire(import.meta.url)('autocannon') as (
  opts: Record<string, unknown>,
) => Promise<AutocannonResult>;

interface LoadSpec {
  url: string;
  paths: string[];
  headers: Record<string, string>;
  connections: number;
  durationS?: number;
  amount?: number;
  rate?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
let next = 0;
const result = spec.rate ? await openLoop(spec, spec.rate) : await flatOut();

async function flatOut(): Promise<AutocannonResult> {
  return autocannon({
    url: spec.url,
    connections: spec.connections,
    headers: spec.headers,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationS ?? 10 }),
    requests: [
      {
        method: 'GET',
        setupRequest: (req: Record<string, unknown>) => {
          const path = spec.paths[next++ % spec.paths.length];
          return { ...req, path };
        },
      },
    ],
  });
}

/** Sends request i at start + i / rate on a pool of `connections`, whatever the answers; latency from that moment. */
async function openLoop(load: LoadSpec, rate: number): Promise<AutocannonResult> {
  const pool = new Pool(load.url, { connections: load.connections, pipelining: 1 });
  const total = load.amount ?? Math.round(rate * (load.durationS ?? 10));
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  const send = (i: number) => {
    const due = started + (i * 1000) / rate;
    const path = load.paths[i % load.paths.length] as string;
    return pool.request({ method: 'GET', path, headers: load.headers }).then(
      async (r) => {
        await r.body.dump();
        if (r.statusCode < 200 || r.statusCode > 299) non2xx++;
        latencies.push(performance.now() - due);
      },
      () => {
        errors++;
      },
    );
  };
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) inFlight.push(send(sent));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 100) / 100;
  return {
    requests: { average: total / elapsed, total },
    latency: { p50: pct(0.5), p99: pct(0.99) },
    non2xx,
    errors,
  };
}

console.log(
  JSON.stringify({
    requests_per_s: Math.round(result.requests.average),
    total: result.requests.total,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  }),
);
