import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, startTestApp, type TestApp } from '../helpers/app.js';
import { freshPgSchema, serviceUrl, unlessSet } from '../helpers/services.js';

const pgBase = serviceUrl('FIELDLINE_TEST_PG_URL');
const hasRedisServer = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const POLL = { timeout: 15_000, interval: 100 };

/**
 * A TCP relay in front of PostgreSQL that the test can stop (connections cut, port closed) and start again on
 * the same port: to Fieldline, exactly a database server going away and coming back.
 */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}
  async start(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = createConnection(this.target);
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

async function health(t: TestApp) {
  const r = await fetch(`${t.url}/health`);
  return { status: r.status, body: (await r.json()) as Record<string, { status: string; error?: string } & unknown> };
}

let app: TestApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

describe.skipIf(!pgBase)(`health with a database that stops${unlessSet('FIELDLINE_TEST_PG_URL', pgBase)}`, () => {
  let drop: (() => Promise<void>) | null = null;
  afterAll(async () => {
    await drop?.();
  });

  it('reports the database down with its error (503, not ready, still live), then recovers', async () => {
    const schema = await freshPgSchema(pgBase as string);
    drop = schema.drop;
    const real = new URL(schema.url);
    const relay = new Relay(await freePort(), { host: real.hostname, port: Number(real.port || 5432) });
    await relay.start();
    const viaRelay = new URL(schema.url);
    viaRelay.host = `127.0.0.1:${relay.port}`;
    app = await startTestApp({ FIELDLINE_DATABASE_URL: viaRelay.toString() });
    try {
      const up = await health(app);
      expect(up.status).toBe(200);
      expect(up.body.database).toMatchObject({ status: 'up', dialect: 'postgres' });
      expect(typeof (up.body.database as { latency_ms?: number }).latency_ms).toBe('number');

      await relay.stop();
      const down = await health(app);
      expect(down.status).toBe(503);
      expect(down.body.status).toBe('down');
      expect(down.body.database?.status).toBe('down');
      expect(down.body.database?.error).toMatch(/ECONNREFUSED|terminat|connect|Connection/i);
      expect((await fetch(`${app.url}/health/ready`)).status).toBe(503);
      expect((await fetch(`${app.url}/health/live`)).status).toBe(200);

      await relay.start();
      await expect.poll(async () => (await health(app as TestApp)).status, POLL).toBe(200);
      expect((await health(app)).body.database?.status).toBe('up');
    } finally {
      await relay.stop();
    }
  });
});

describe.skipIf(!hasRedisServer)(
  `health with a Redis that stops${hasRedisServer ? '' : ' [skipped: redis-server is not installed]'}`,
  () => {
    let redis: ChildProcess | null = null;
    const startRedis = async (port: number) => {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      await expect.poll(() => /Ready to accept connections/.test(out), POLL).toBe(true);
      redis = child;
    };
    const stopRedis = async () => {
      const child = redis;
      redis = null;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    };
    afterAll(stopRedis);

    it('requires Redis only when configured, reports it down with its error, then recovers', async () => {
      app = await startTestApp();
      const none = await health(app);
      expect(none.status).toBe(200);
      expect(none.body.redis).toBeUndefined();
      await app.close();
      app = null;

      const port = await freePort();
      await startRedis(port);
      app = await startTestApp({ FIELDLINE_REDIS_URL: `redis://127.0.0.1:${port}` });
      const up = await health(app);
      expect(up.status).toBe(200);
      expect(up.body.redis).toMatchObject({ status: 'up', invalidations: 'subscribed' });

      await stopRedis();
      await expect.poll(async () => (await health(app as TestApp)).status, POLL).toBe(503);
      const down = await health(app);
      expect(down.body.redis?.status).toBe('down');
      expect(down.body.redis?.error).toMatch(/ECONNREFUSED|connect|closed|not connected|reconnecting/i);
      // Meanwhile the API still answers from the database.
      expect((await app.api('/api/v1/devices', { token: app.adminToken })).status).toBe(200);

      await startRedis(port);
      await expect.poll(async () => (await health(app as TestApp)).status, POLL).toBe(200);
      expect((await health(app)).body.redis).toMatchObject({ status: 'up' });
    });
  },
);
