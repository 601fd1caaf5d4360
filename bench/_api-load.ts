/**
 * Load generator for bench/api.ts, run as its own process so it does not share an event loop with the
 * server: autocannon GETs over a list of paths (each request takes the next path), with a fixed rate or flat
 * out, for a duration or a number of requests. Prints one JSON line of figures.
 */
import { createRequire } from 'node:module';

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
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  headers: spec.headers,
  ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationS ?? 10 }),
  ...(spec.rate ? { overallRate: spec.rate } : {}),
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
