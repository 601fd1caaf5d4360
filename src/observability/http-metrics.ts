import { Counter, Histogram } from 'prom-client';
import type { Http } from '../http/server.js';
import { FieldlineError, safeEqual } from '../kernel/index.js';
import type { FieldlineMetrics } from './metrics.js';

/**
 * Requests by route template and status, and latency by route: a Fastify onResponse hook. The label is the
 * route as declared (`/api/v1/devices/:id`), never the URL — ids and tokens in paths would make a new series
 * per device. Requests that matched no route share one label.
 */
export function installHttpMetrics(http: Http, metrics: FieldlineMetrics): void {
  const requests = new Counter({
    name: 'fieldline_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: 'fieldline_http_request_duration_seconds',
    help: 'HTTP request latency (until the response was written), by method and route template.',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [metrics.registry],
  });
  // Label children are looked up once per (method, route, status), not built per request.
  const counters = new Map<string, Counter.Internal>();
  const histograms = new Map<string, Histogram.Internal<string>>();
  // A callback hook, not an async one: it runs on every request, and the promise cost more than the counting.
  http.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    const status = reply.statusCode;
    const hk = `${method} ${route}`;
    const ck = `${hk} ${status}`;
    let c = counters.get(ck);
    if (!c) {
      c = requests.labels({ method, route, status: String(status) });
      counters.set(ck, c);
    }
    let h = histograms.get(hk);
    if (!h) {
      h = duration.labels({ method, route });
      histograms.set(hk, h);
    }
    c.inc();
    h.observe(reply.elapsedTime / 1000);
    done();
  });
}

/**
 * `GET /metrics`: Prometheus text. Open when FIELDLINE_METRICS_TOKEN is unset (the usual scrape inside a
 * private network); otherwise Prometheus sends it as a bearer token (`authorization.credentials`).
 */
export function registerMetricsRoute(http: Http, metrics: FieldlineMetrics, token: string | null): void {
  http.get(
    '/metrics',
    { config: { auth: 'public' }, schema: { hide: true }, logLevel: 'warn' },
    async (request, reply) => {
      if (token !== null) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
        if (!m?.[1] || !safeEqual(m[1], token)) {
          void reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new FieldlineError(
            'FIELDLINE_ERR_UNAUTHENTICATED',
            'Send Authorization: Bearer <FIELDLINE_METRICS_TOKEN>',
          );
        }
      }
      const body = await metrics.render();
      return reply.type(metrics.contentType).send(body);
    },
  );
}
