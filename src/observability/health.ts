import { Type } from 'typebox';
import type { Http } from '../http/server.js';
import type { Clock } from '../kernel/index.js';

export interface PartHealth {
  status: 'up' | 'down' | 'degraded' | 'disabled';
  latency_ms?: number;
  error?: string;
  [detail: string]: unknown;
}

export interface HealthCheck {
  name: string;
  /** A required part being down makes the whole service 503 (and not ready). */
  required: boolean;
  check(): Promise<PartHealth>;
}

const CHECK_TIMEOUT_MS = 2000;

/** Runs every registered part's check in parallel, each bounded in time, and reports them together. */
export class HealthRegistry {
  private readonly checks: HealthCheck[] = [];

  constructor(
    private readonly version: string,
    private readonly clock: Clock,
  ) {}

  register(check: HealthCheck): void {
    this.checks.push(check);
  }

  async report(): Promise<{ ok: boolean; body: Record<string, unknown> }> {
    const parts = await Promise.all(this.checks.map((c) => this.run(c)));
    const ok = parts.every(([c, h]) => !c.required || h.status === 'up' || h.status === 'degraded');
    const degraded = parts.some(([, h]) => h.status === 'down' || h.status === 'degraded');
    const body: Record<string, unknown> = {
      status: ok ? (degraded ? 'degraded' : 'ok') : 'down',
      version: this.version,
      timestamp: new Date(this.clock.now()).toISOString(),
      uptime_s: Math.round(process.uptime()),
    };
    for (const [c, h] of parts) body[c.name] = h;
    return { ok, body };
  }

  private async run(c: HealthCheck): Promise<[HealthCheck, PartHealth]> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result: PartHealth = await Promise.race([
        c.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      return [c, { ...result, latency_ms: Math.round((performance.now() - started) * 100) / 100 }];
    } catch (err) {
      return [c, { status: 'down', error: err instanceof Error ? err.message : String(err) }];
    } finally {
      clearTimeout(timer);
    }
  }
}

export function registerHealthRoutes(app: Http, health: HealthRegistry): void {
  const schema = {
    tags: ['health'],
    security: [],
    response: {
      200: Type.Object({}, { additionalProperties: true }),
      503: Type.Object({}, { additionalProperties: true }),
    },
  };
  app.get('/health', { config: { auth: 'public' }, schema }, async (_request, reply) => {
    const { ok, body } = await health.report();
    return reply.status(ok ? 200 : 503).send(body);
  });
  // Liveness: the process answers. Orchestrators restart it only when this fails.
  app.get('/health/live', { config: { auth: 'public' }, schema }, async () => ({ status: 'ok' }));
  // Readiness: every required part is up, so traffic may be sent here.
  app.get('/health/ready', { config: { auth: 'public' }, schema }, async (_request, reply) => {
    const { ok, body } = await health.report();
    return reply.status(ok ? 200 : 503).send({ status: body.status });
  });
}
